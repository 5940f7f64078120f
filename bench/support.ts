// What the benchmarks need around the servers they start: a free loopback port, child output with a
// label, a fresh build of the server, and the life of a run (options, temporary folder, signals, exit code).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const HOST = '127.0.0.1';
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Copies a child's output to stderr line by line, each line prefixed with `[label]`. */
export function forwardOutput(label: string, stream: NodeJS.ReadableStream | null): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') process.stderr.write(`[${label}] ${line}\n`);
  });
}

/** Compiles the server into dist/ (tsc -p tsconfig.build.json); rejects when it does not build. */
export async function buildServer(): Promise<void> {
  process.stderr.write('bench: building dist/ (tsc -p tsconfig.build.json)\n');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the server does not build (tsc exited with ${String(code)})`);
}

export interface ChildServer {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has ended (or failed to start). */
  exited: Promise<void>;
  /** Why it ended, once it has; undefined while it runs. */
  exitReason(): string | undefined;
}

/**
 * Starts a server process with its output labelled on stderr, and keeps track of its end. `ipc`: with
 * an IPC channel (for a bench-only probe it preloads, see LIVE_HEAP_PROBE_ARGS).
 */
export function spawnServer(label: string, args: string[], env: NodeJS.ProcessEnv, options: { ipc?: boolean } = {}): ChildServer {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] });
  forwardOutput(label, child.stdout);
  forwardOutput(label, child.stderr);
  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      reason = `exited with ${signal ?? `code ${String(code)}`}`;
      resolve();
    });
    child.once('error', (error) => {
      reason = `did not start: ${error.message}`;
      resolve();
    });
  });
  return { child, pid: child.pid ?? 0, exited, exitReason: () => reason };
}

/** Set once Ctrl-C (or SIGTERM) reached a bench: its loops stop, its servers are being stopped. */
export const interruption = { requested: false };

export interface BenchRun<O> {
  /** The temporary folder's name prefix. */
  tempPrefix: string;
  /** Throws on bad arguments (exit 2). */
  readOptions(argv: string[]): O;
  /** Resolves false when a target was missed (exit 1); throws when the run failed (exit 1). */
  run(options: O, tempDir: string): Promise<boolean | void>;
  /** Stops every server the run started: on a signal (which makes the run fail at once) and at the end. */
  stop(): Promise<unknown>;
}

/**
 * A bench's life around its run: options, a temporary folder removed at the end, a signal that stops its
 * servers, and the exit code (0 done, 1 failed or a target missed, 2 bad arguments, 130 interrupted).
 */
export async function runBench<O>(bench: BenchRun<O>): Promise<number> {
  let options: O;
  try {
    options = bench.readOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const tempDir = await mkdtemp(path.join(os.tmpdir(), bench.tempPrefix));
  const onSignal = (signal: NodeJS.Signals) => {
    interruption.requested = true;
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void bench.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return (await bench.run(options, tempDir)) === false ? 1 : 0;
  } catch (error) {
    if (interruption.requested) return 130;
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await bench.stop();
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * Node flags that preload bench/live-heap-probe.mjs (bench-only: it is not in src/ and never ships)
 * into a server spawned with `{ ipc: true }`; then `liveHeap` asks it for the memory in use after a
 * full garbage collection.
 */
export const LIVE_HEAP_PROBE_ARGS = ['--expose-gc', '--import', pathToFileURL(path.join(ROOT, 'bench', 'live-heap-probe.mjs')).href];

export interface LiveHeap {
  heapUsedBytes: number;
  /** Memory of C++ objects bound to JS ones, Buffers and ArrayBuffers included. */
  externalBytes: number;
  rssBytes: number;
  /** How long the forced collection paused the server. */
  gcMs: number;
}

let probes = 0;

/** The server's live memory after a full GC; undefined when it has no probe or does not answer within `timeoutMs`. */
export function liveHeap(server: ChildServer, timeoutMs = 10_000): Promise<LiveHeap | undefined> {
  const { child } = server;
  if (!child.connected) return Promise.resolve(undefined);
  const id = (probes += 1);
  return new Promise((resolve) => {
    const done = (answer: LiveHeap | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    };
    const onMessage = (message: unknown) => {
      const m = message as Partial<LiveHeap> & { probe?: unknown; id?: unknown };
      if (m?.probe !== 'live-heap' || m.id !== id) return;
      done({ heapUsedBytes: Number(m.heapUsedBytes), externalBytes: Number(m.externalBytes), rssBytes: Number(m.rssBytes), gcMs: Number(m.gcMs) });
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    child.on('message', onMessage);
    child.send({ probe: 'live-heap', id }, (error) => {
      if (error) done(undefined);
    });
  });
}
