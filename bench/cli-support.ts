// What both CLI benchmarks (bench/cli.ts, bench/cli-vault.ts) need around the commands they time:
// a whole-process timer with peak RSS, input files of random bytes, a byte comparison, a health wait.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChildServer } from './support.js';

export const MIB = 1024 * 1024;

export interface Timed {
  seconds: number;
  stdout: string;
  /** Peak RSS of the command, from GNU time's %M (KiB). */
  peakRssKiB: number;
}

/** Runs a command under /usr/bin/time, timing the whole process; rejects on a non-zero exit. */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'peak-rss-kib=%M', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} exited with ${String(code)}: ${stderr.slice(-500)}`));
      resolve({ seconds, stdout, peakRssKiB: Number(/peak-rss-kib=(\d+)/.exec(stderr)?.[1] ?? NaN) });
    });
  });
}

export const mibPerSecond = (bytes: number, seconds: number) => bytes / MIB / seconds;

export async function makeInput(file: string, sizeBytes: number): Promise<void> {
  const block = randomBytes(4 * MIB);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < sizeBytes; ) {
      const n = Math.min(block.byteLength, sizeBytes - written);
      await handle.write(block, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  if ((await stat(a)).size !== (await stat(b)).size) return false;
  const code = await new Promise<number | null>((resolve) => spawn('cmp', ['-s', a, b]).once('exit', resolve));
  return code === 0;
}

export async function waitHealthy(url: string, server: ChildServer): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitReason()) throw new Error(`the server ${String(server.exitReason())}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}
