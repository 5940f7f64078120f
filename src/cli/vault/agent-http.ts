// The HTTP edge of `blindvault serve`: every request is hostile until it passes, in this order, the Host check
// (a page on another site that rebinds its DNS name to 127.0.0.1 sends its own name), the bearer token (compared in
// constant time), and, for a body, its type and size (bounded before and while reading) and a deadline for the
// whole body. Each refusal is a 4xx JSON answer; a refusal before the body is read also closes the connection, so
// an unread body is never read to its end (only what was already sent is thrown away first, discardUnreadBody).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bytesEqual } from '../../crypto/nacl.js';
import { utf8Bytes } from '../../crypto/encoding.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** A local script sends its body in milliseconds; a connection that trickles it is cut. */
export const BODY_TIMEOUT_MS = 5_000;

/** A 4xx answer with a stable code. */
export class AgentRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Close the connection after answering (the request's body was not read to its end). */
    readonly close = false,
  ) {
    super(message);
    this.name = 'AgentRefusal';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/** Only the names a local client uses for the agent: 127.0.0.1:PORT or localhost:PORT. */
export function checkHost(req: IncomingMessage, port: number): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new AgentRefusal(403, 'BAD_HOST', `the Host header must be 127.0.0.1:${port} or localhost:${port}`, true);
  }
}

export function checkToken(req: IncomingMessage, token: Uint8Array): void {
  const given = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? '')?.[1];
  if (given === undefined || !bytesEqual(utf8Bytes(given), token)) {
    throw new AgentRefusal(401, 'UNAUTHORIZED', 'give "Authorization: Bearer TOKEN" with the token serve printed', true);
  }
}

/** The request path after `prefix`, percent-decoded; malformed escapes are the caller's mistake. */
export function decodedPathAfter(pathname: string, prefix: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    throw new AgentRefusal(400, 'BAD_PATH', 'the path has a malformed percent-encoding');
  }
  if (decoded === '') throw new AgentRefusal(400, 'BAD_PATH', `give an entry after ${prefix}`);
  return decoded;
}

/** A JSON object body of at most MAX_BODY_BYTES, sent as application/json within BODY_TIMEOUT_MS. */
export function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return Promise.reject(new AgentRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', true));
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: AgentRefusal) => {
      cleanup();
      req.pause();
      reject(error);
    };
    const timer = setTimeout(() => stop(new AgentRefusal(408, 'BODY_TIMEOUT', `the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s`, true)), BODY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return stop(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(parseObject(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    };
    const onAborted = () => stop(new AgentRefusal(400, 'BAD_REQUEST', 'the body ended early', true));
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('aborted', onAborted);
  });
}

/** Bounds of what is read and thrown away before a refusal that closes the connection (discardUnreadBody). */
const DISCARD_MAX_BYTES = 8 * 1024 * 1024;
const DISCARD_IDLE_MS = 200;
const DISCARD_MAX_MS = 2_000;

/**
 * Before a refusal that closes the connection: read and drop what the client has already sent of the body, until
 * the body ends, the client pauses for DISCARD_IDLE_MS, or DISCARD_MAX_BYTES / DISCARD_MAX_MS pass. A socket
 * closed with unread bytes makes the kernel send a reset, and a reset can destroy the answer before the client
 * has read it (nginx's lingering close, for the same reason).
 */
export function discardUnreadBody(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(cap);
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      req.off('close', done);
      req.pause();
      resolve();
    };
    const idle = setTimeout(done, DISCARD_IDLE_MS);
    const cap = setTimeout(done, DISCARD_MAX_MS);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_MAX_BYTES) return done();
      idle.refresh();
    };
    req.on('data', onData);
    req.on('end', done);
    req.on('error', done);
    req.on('close', done);
    req.resume();
  });
}

const tooLarge = () => new AgentRefusal(413, 'BODY_TOO_LARGE', `the body may have at most ${MAX_BODY_BYTES} bytes`, true);

function parseObject(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new AgentRefusal(400, 'BAD_JSON', 'the body is not UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AgentRefusal(400, 'BAD_JSON', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
