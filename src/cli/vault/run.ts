// run: starts a command with secrets in its environment only (never in its argv, never in a file), forwards
// the signals it gets to the child, and ends with the child's exit code (128 + n when a signal n ended it).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { CommandExit, type CliIo } from '../io.js';
import { LocalFileError, UsageError } from '../usage-error.js';
import { CREDENTIAL_ENV, openVault } from './context.js';
import { EntryReader, fieldValue } from './entry-source.js';

export interface EnvReference {
  name: string;
  entry: string;
  field: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** NAME=ENTRY:field; the field is after the last colon (default password when there is none). */
export function parseReference(text: string, where: string): EnvReference {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq);
  if (eq < 1 || !NAME.test(name)) throw new UsageError(`${where}: expected NAME=ENTRY:field, got "${text.slice(0, 80)}"`);
  const ref = text.slice(eq + 1).trim();
  const colon = ref.lastIndexOf(':');
  const [entry, field] = colon > 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'password'];
  if (entry === '' || field === '') throw new UsageError(`${where}: expected NAME=ENTRY:field, got "${text.slice(0, 80)}"`);
  return { name, entry, field };
}

export async function readEnvFile(file: string): Promise<EnvReference[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalFileError(`cannot read the env file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, i }) => parseReference(line.replace(/^export\s+/, ''), `${file}:${i + 1}`));
}

export function runCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run COMMAND with secrets from the vault in its environment (only there)')
    .option('--env <NAME=ENTRY:field>', 'set NAME to a field of an entry (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--env-file <file>', 'lines of NAME=ENTRY:field (# comments); secrets never live in this file')
    .argument('<command...>', 'the command and its arguments, after --')
    .action(async (argv: string[], options: { env: string[]; envFile?: string }) => {
      const refs = [...(options.envFile !== undefined ? await readEnvFile(options.envFile) : []), ...options.env.map((e) => parseReference(e, '--env'))];
      if (refs.length === 0) throw new UsageError('nothing to inject: give --env NAME=ENTRY:field or --env-file F');
      const [command, ...args] = argv;
      if (command === undefined) throw new UsageError('no command: blindvault run --env … -- COMMAND ARGS…');
      const reader = new EntryReader(await openVault(io.env));
      const secrets: Record<string, string> = {};
      for (const ref of refs) secrets[ref.name] = fieldValue(await reader.read(ref.entry), ref.field);
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(io.env)) if (v !== undefined && !(CREDENTIAL_ENV as readonly string[]).includes(k)) env[k] = v;
      Object.assign(env, secrets);
      const child = spawn(command, args, { stdio: 'inherit', env });
      const untrap = io.trapSignals?.((signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      });
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', (error: NodeJS.ErrnoException) =>
          reject(error.code === 'ENOENT' ? new UsageError(`command not found: ${command}`) : new LocalFileError(`cannot start ${command}: ${error.code ?? error.message}`)),
        );
        child.once('exit', (exitCode, signal) => resolve(signal ? 128 + (constants.signals[signal] ?? 0) : (exitCode ?? 1)));
      }).finally(() => untrap?.());
      throw new CommandExit(code);
    });
}
