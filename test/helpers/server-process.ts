import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './postgres.js';

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  /** What the server wrote to stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts the real server (src/server/main.ts) as its own process and waits until /healthz answers. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a shared 2-core machine under load, tsx compiling the server can take well over 30 s.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not come up: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A real server process on a backend, in a temp folder (and a database of its own on PostgreSQL). */
export interface BackendServer {
  server: ServerProcess;
  /** The temp folder; the server's data lives in its data/ subfolder. */
  work: string;
  /** The PostgreSQL database's URL; undefined on SQLite (data/blindvault.sqlite). */
  databaseUrl: string | undefined;
  close(): Promise<void>;
}

export async function startBackendServer(backend: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<BackendServer> {
  const work = await mkdtemp(path.join(tmpdir(), 'blindvault-server-'));
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  const server = await startServerProcess({ DATA_DIR: path.join(work, 'data'), ...(database ? { DATABASE_URL: database.url } : {}), ...env });
  return {
    server,
    work,
    databaseUrl: database?.url,
    async close() {
      await server.stop();
      await database?.drop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
