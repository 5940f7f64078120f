import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { loadConfig } from '../../src/server/config.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';

/** The server's limits a proxy in front of it must match (src/server/config.ts and app.ts). */
export const SERVER = {
  /** The largest upload and the multipart framing the upload route allows beside it (files/routes.ts). */
  maxRequestBodyBytes: loadConfig({}, []).maxUploadBytes + 64 * 1024,
  /** An upload may pause this long between bytes without being stopped (UPLOAD_MIN_BYTES_SECONDS). */
  uploadPauseSeconds: loadConfig({}, []).uploadPace.windowSeconds,
  /** The server closes a connection idle this long (Fastify's connectionTimeout in app.ts). */
  idleSeconds: 120,
};

/** The server as docs/deploy.md runs it behind one proxy on the same host. */
export function startProxiedServer(): Promise<BackendServer> {
  return startBackendServer('sqlite', { TRUST_PROXY: '1', UPLOAD_MAX_PARTIAL_PER_ADDRESS: '2' });
}

/** The server's keep-alive timeout, from its own answer: a proxy must drop idle upstream sockets sooner. */
export async function serverKeepAliveSeconds(backend: BackendServer): Promise<number> {
  const answer = await fetch(`${backend.server.url}/livez`);
  await answer.arrayBuffer();
  const match = /timeout=(\d+)/.exec(answer.headers.get('keep-alive') ?? '');
  assert.ok(match, 'the server states its keep-alive timeout');
  return Number(match[1]);
}

/** Starts a proxy process and waits until its port accepts connections; its output is kept. */
export async function startProxy(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = process.env) {
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not listen on ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
