import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { STRICT_TRANSPORT_SECURITY } from '../../src/server/edge/security-headers.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import type { BackendServer } from '../helpers/server-process.js';

const run = promisify(execFile);

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl in `dir`. */
export async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string; ca: Buffer }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  return { cert, key, ca: await readFile(cert) };
}

/** The proxy under test: where it listens for TLS (and plain HTTP, for its redirect), and its CA. */
export interface ProxyTarget {
  httpsPort: number;
  httpPort: number;
  ca: Buffer;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** The client's own address on the loopback (127.0.0.2 …): how the proxy tells clients apart. */
  from?: string;
}

/**
 * An HTTPS request to the proxy as https://localhost:PORT, checked against the test's CA. The body
 * is written by the caller (`write`, then `end`), so a test can hold it half sent.
 */
export function openRequest(target: ProxyTarget, urlPath: string, options: RequestOptions = {}) {
  let settle: (answer: Answer) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const answer = new Promise<Answer>((resolve, reject) => ((settle = resolve), (fail = reject)));
  const req = httpsRequest(
    {
      host: '127.0.0.1',
      servername: 'localhost',
      port: target.httpsPort,
      path: urlPath,
      method: options.method ?? 'GET',
      headers: { host: `localhost:${target.httpsPort}`, ...options.headers },
      ca: target.ca,
      agent: false,
      ...(options.from ? { localAddress: options.from } : {}),
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => settle({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    },
  );
  req.on('error', fail);
  return { req, answer };
}

export function send(target: ProxyTarget, urlPath: string, options: RequestOptions & { body?: Uint8Array } = {}): Promise<Answer> {
  const { req, answer } = openRequest(target, urlPath, options);
  req.end(options.body ? Buffer.from(options.body) : undefined);
  return answer;
}

function json<T>(answer: Answer): T {
  return JSON.parse(answer.body.toString('utf8')) as T;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The largest file under the server's data folder but its database: where a streamed body lands. */
async function largestDataFile(dir: string): Promise<number> {
  let largest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.startsWith('blindvault.sqlite')) continue;
    largest = Math.max(largest, (await stat(path.join(entry.parentPath, entry.name))).size);
  }
  return largest;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const TUS = { 'tus-resumable': '1.0.0' };

/**
 * What every proxy configuration of docs/deploy.md must do in front of a server started as the doc
 * says (TRUST_PROXY=1), checked through TLS. The server is started with UPLOAD_MAX_PARTIAL_PER_ADDRESS=2
 * so that a per-address limit shows which address the server believes a request came from.
 */
export async function checkThroughProxy(t: TestContext, target: ProxyTarget, backend: BackendServer): Promise<void> {
  await t.test('the vault answers /server/info/ over TLS, with HSTS (X-Forwarded-Proto reached the server)', async () => {
    const answer = await send(target, '/server/info/');
    assert.equal(answer.status, 200, answer.body.toString());
    assert.equal(typeof json<{ info: unknown }>(answer).info, 'string');
    assert.equal(answer.headers['strict-transport-security'], STRICT_TRANSPORT_SECURITY);
  });

  await t.test('plain HTTP is redirected to HTTPS', async () => {
    const answer = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: target.httpPort, path: '/f/x?y=1', headers: { host: 'localhost' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok([301, 308].includes(answer.status), `status ${answer.status}`);
    assert.match(answer.location ?? '', /^https:\/\/localhost(:\d+)?\/f\/x\?y=1$/);
  });

  await t.test('a multipart upload (the seed API) streams through while it is being sent, and comes back byte for byte', async () => {
    const data = randomBytes(8 * 1024 * 1024 + 5);
    const { body, contentType } = multipartBody(e2eUpload(data));
    const { req, answer } = openRequest(target, '/upload', { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } });
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    // With request buffering on, the proxy would hold the body until it had all of it: nothing would
    // reach the server's data folder while the client is still sending.
    const dataDir = path.join(backend.work, 'data');
    await until('the first half of the body reaches the server before the rest is sent', async () => (await largestDataFile(dataDir)) >= 2 * 1024 * 1024);
    req.end(body.subarray(half));
    const uploaded = await answer;
    assert.equal(uploaded.status, 200, uploaded.body.toString());
    const file = json<{ id: string; download_url: string; size_bytes: number }>(uploaded);
    assert.equal(file.size_bytes, data.length);
    assert.equal(new URL(file.download_url).protocol, 'https:');
    const downloaded = await send(target, `/f/${file.id}/encrypted`);
    assert.equal(downloaded.status, 200);
    assert.equal(downloaded.body.length, data.length);
    assert.equal(sha256(downloaded.body), sha256(data));
    const ranged = await send(target, `/f/${file.id}/encrypted`, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(ranged.body, data.subarray(1000, 2000));
  });

  await t.test('a resumable (tus) upload of 24 MiB in one PATCH goes through and comes back byte for byte', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const created = await send(target, '/uploads', { method: 'POST', headers: { ...TUS, 'upload-length': data.length } });
    assert.equal(created.status, 201, created.body.toString());
    const upload = json<{ id: string; upload_url: string; upload_token: string }>(created);
    assert.equal(new URL(upload.upload_url).protocol, 'https:');
    const auth = { ...TUS, authorization: `Bearer ${upload.upload_token}` };
    const patched = await send(target, `/uploads/${upload.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'upload-offset': 0, 'content-type': 'application/offset+octet-stream', 'content-length': data.length },
      body: data,
    });
    assert.equal(patched.status, 204, patched.body.toString());
    assert.equal(patched.headers['upload-offset'], String(data.length));
    const head = await send(target, `/uploads/${upload.id}`, { method: 'HEAD', headers: auth });
    assert.equal(head.headers['upload-offset'], String(data.length));
    const downloaded = await send(target, `/f/${upload.id}/encrypted`);
    assert.equal(downloaded.status, 200);
    assert.equal(sha256(downloaded.body), sha256(data));
  });

  await t.test("the server counts each client by its own address (X-Forwarded-For), which a client cannot forge", async () => {
    const create = (from: string, headers: Record<string, string> = {}) =>
      send(target, '/uploads', { method: 'POST', from, headers: { ...TUS, 'upload-length': 10, ...headers } });
    // Two unfinished uploads is the limit per address (UPLOAD_MAX_PARTIAL_PER_ADDRESS=2).
    assert.equal((await create('127.0.0.2')).status, 201);
    assert.equal((await create('127.0.0.2')).status, 201);
    const refused = await create('127.0.0.2');
    assert.equal(refused.status, 429, refused.body.toString());
    assert.equal(json<{ error: string }>(refused).error, 'TOO_MANY_PARTIAL_UPLOADS');
    // Control: another client behind the same proxy is not counted with the first.
    assert.equal((await create('127.0.0.3')).status, 201);
    // A client naming another address in X-Forwarded-For is still counted as itself, both ways.
    assert.equal((await create('127.0.0.2', { 'x-forwarded-for': '127.0.0.9' })).status, 429);
    assert.equal((await create('127.0.0.4', { 'x-forwarded-for': '127.0.0.2' })).status, 201);
  });
}
