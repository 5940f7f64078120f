// Runs the BUILT CLI (dist/cli/main.js, through the bin shim) as a subprocess, the way a user runs it:
// a private HOME and XDG folders, no BLINDVAULT_* variable unless the test gives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve('.');
export const CLI = path.join(ROOT, 'bin', 'blindvault.js');

let built: Promise<void> | undefined;

/** Builds dist/ once per test process (tsc -p tsconfig.build.json, as `npm ci` does through "prepare"). */
export function buildCli(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the build failed: ${output}`))));
  });
  return built;
}

export interface CliHome {
  /** HOME, XDG_CONFIG_HOME and XDG_STATE_HOME all live under it. */
  dir: string;
  env: Record<string, string>;
}

export async function cliHome(): Promise<CliHome> {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-cli-'));
  return { dir, env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_STATE_HOME: path.join(dir, 'state') } };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
}

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('BLINDVAULT_') && !name.startsWith('XDG_')) env[name] = value;
  }
  return env;
}

export interface CliOptions {
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  cwd?: string;
  /** What runs the CLI file; default: this Node. E.g. ['/usr/bin/time', '-f', '%M', process.execPath]. */
  command?: string[];
}

export function startCli(args: string[], options: CliOptions = {}): CliRun {
  const [command = process.execPath, ...prefix] = options.command ?? [process.execPath];
  const child = spawn(command, [...prefix, CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.on('error', () => {});
  child.stdin?.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
