import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { BODY_BUFFER_BYTES, nodeFetch } from '../../../../src/client/node/node-fetch.js';
import { request } from '../../../../src/client/files-api.js';
import { BlindvaultError } from '../../../../src/protocol/errors.js';

const BIG = randomBytes(6 * 1024 * 1024 + 123);
let server: Server;
let base: string;
const closed: string[] = [];

async function readAll(body: ReadableStream<Uint8Array>, pause = 0): Promise<{ bytes: Buffer; pieces: number[] }> {
  const pieces: number[] = [];
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  for (;;) {
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    const next = await reader.read();
    if (next.done) break;
    pieces.push(next.value.byteLength);
    chunks.push(next.value);
  }
  return { bytes: Buffer.concat(chunks), pieces };
}

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.on('close', () => closed.push(req.url ?? ''));
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG.length, 'x-thing': 'a' });
      // In 64 KiB writes, as a file server would.
      let at = 0;
      const more = () => {
        while (at < BIG.length) {
          const ok = res.write(BIG.subarray(at, (at += 65_536)));
          if (!ok) return void res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    if (req.url === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} ${req.headers['x-ask'] ?? ''} ${Buffer.concat(chunks).toString()}`));
      return;
    }
    if (req.url === '/empty') return void res.writeHead(204).end();
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': 1_000_000 });
      res.write(BIG.subarray(0, 100_000), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': 10 });
      res.write('12345');
      return; // never ends: the client aborts
    }
    if (req.url === '/hang') return; // no answer at all
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a GET answers status, headers and the whole body, byte for byte', async () => {
  const response = await nodeFetch(`${base}/big`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), String(BIG.length));
  assert.equal(response.headers.get('x-thing'), 'a');
  assert.ok(response.body);
  const { bytes } = await readAll(response.body);
  assert.ok(bytes.equals(BIG));
});

test('a slow reader gets larger pieces, never more than the bounded buffer (plus one socket read)', async () => {
  const response = await nodeFetch(`${base}/big`);
  assert.ok(response.body);
  const { bytes, pieces } = await readAll(response.body, 30);
  assert.ok(bytes.equals(BIG));
  assert.ok(Math.max(...pieces) > 64 * 1024, `pieces gathered: ${Math.max(...pieces)}`);
  assert.ok(Math.max(...pieces) <= BODY_BUFFER_BYTES + 64 * 1024, `bounded: ${Math.max(...pieces)}`);
});

test('a request body and headers are sent; 204 has no body; a 404 is answered as it is', async () => {
  const echoed = await nodeFetch(`${base}/echo`, { method: 'POST', headers: { 'x-ask': 'yes' }, body: 'hello' });
  assert.equal(echoed.status, 201);
  assert.equal(await echoed.text(), 'POST yes hello');
  const empty = await nodeFetch(`${base}/empty`, { method: 'DELETE' });
  assert.equal(empty.status, 204);
  assert.equal(empty.body, null);
  assert.equal((await nodeFetch(`${base}/nothing`)).status, 404);
  await assert.rejects(nodeFetch(`${base}/echo`, { method: 'POST', body: new Blob(['x']) }), TypeError);
});

test('a connection cut mid-body errors the body with NETWORK_ERROR; a refused one rejects (NETWORK_ERROR through request)', async () => {
  const response = await nodeFetch(`${base}/cut`);
  assert.ok(response.body);
  await assert.rejects(readAll(response.body), (error: unknown) => error instanceof BlindvaultError && error.code === 'NETWORK_ERROR');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const unused = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await assert.rejects(request(nodeFetch, `http://127.0.0.1:${unused}/x`, { method: 'GET' }), (error: unknown) => error instanceof BlindvaultError && error.code === 'NETWORK_ERROR' && error.details?.cause === 'ECONNREFUSED');
});

test('an abort ends the request before an answer, or the body mid-way, with the signal\'s reason; the server sees the connection go', async () => {
  const early = new AbortController();
  const waiting = nodeFetch(`${base}/hang`, { signal: early.signal });
  setTimeout(() => early.abort(new Error('stop early')), 50);
  await assert.rejects(waiting, /stop early/);
  const already = new AbortController();
  already.abort(new Error('before'));
  await assert.rejects(nodeFetch(`${base}/big`, { signal: already.signal }), /before/);

  const late = new AbortController();
  const response = await nodeFetch(`${base}/slow`, { signal: late.signal });
  assert.ok(response.body);
  const reader = response.body.getReader();
  assert.equal(Buffer.from((await reader.read()).value ?? []).toString(), '12345');
  const next = reader.read();
  late.abort(new Error('stop late'));
  await assert.rejects(next, /stop late/);
  for (let i = 0; i < 50 && !closed.includes('/slow'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(closed.includes('/slow'), 'the server saw the connection close');
});
