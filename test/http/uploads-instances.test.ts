import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { CreateUploadResponse } from '../../src/protocol/uploads.js';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { blobFiles, tempDir } from '../helpers/stores.js';
import { OCTETS, TUS } from '../helpers/uploads.js';

const MIB = 1024 * 1024;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** A PATCH whose client stops sending half-way but keeps the connection open (a stalled network). */
async function stalledPatch(base: string, created: CreateUploadResponse, data: Uint8Array, sent: number): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.on('error', () => {});
  socket.write(
    `PATCH /uploads/${created.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${created.upload_token}\r\n` +
      `Upload-Offset: 0\r\nContent-Type: ${OCTETS}\r\nContent-Length: ${data.length}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.write(data.subarray(0, sent), () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return socket;
}

const auth = (created: CreateUploadResponse) => ({ ...TUS, authorization: `Bearer ${created.upload_token}` });

function serverFaults(logs: string[]): unknown[] {
  return logs.map((l) => JSON.parse(l) as { level: number; statusCode?: number }).filter((l) => (l.statusCode ?? 0) >= 500 || l.level >= 50);
}

describe('the upload lock is in the database: a stalled PATCH is handed over, across instances too (PostgreSQL)', () => {
  let a: TestApp;
  let b: FastifyInstance;
  const bLogs: string[] = [];
  let baseA: string;
  let baseB: string;
  before(async () => {
    a = await openTestApp('postgres', { UPLOAD_MAX_CHUNK_BYTES: String(4 * MIB) });
    // A second instance on the same stores, as behind a load balancer.
    ({ app: b } = await buildApp({
      config: parseConfig({ LOG_LEVEL: 'info', FILE_UPLOAD_RATE: '1000/second', UPLOAD_MAX_CHUNK_BYTES: String(4 * MIB) }),
      ...a.stores,
      logDestination: { write: (line: string) => void bLogs.push(line) },
    }));
    baseA = await listen(a.app);
    baseB = await listen(b);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  const create = async (base: string, lengthBytes: number): Promise<CreateUploadResponse> => {
    const res = await fetch(`${base}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(lengthBytes) } });
    assert.equal(res.status, 201);
    return (await res.json()) as CreateUploadResponse;
  };
  const finish = async (base: string, created: CreateUploadResponse, data: Uint8Array, offset: number) => {
    const res = await fetch(`${base}/uploads/${created.id}`, {
      method: 'PATCH',
      headers: { ...auth(created), 'upload-offset': String(offset), 'content-type': OCTETS },
      body: new Uint8Array(data.subarray(offset)),
    });
    assert.equal(res.status, 204, await res.text());
  };

  for (const where of ['the same instance', 'another instance'] as const) {
    test(`a HEAD on ${where} gets the upload from a stalled PATCH, which keeps what it received; the upload completes`, async () => {
      const data = randomBytes(2 * MIB);
      const created = await create(baseA, data.length);
      const socket = await stalledPatch(baseA, created, data, 700_000);
      try {
        const other = where === 'the same instance' ? baseA : baseB;
        const head = await fetch(`${other}/uploads/${created.id}`, { method: 'HEAD', headers: auth(created) });
        assert.equal(head.status, 200);
        const offset = Number(head.headers.get('upload-offset'));
        assert.ok(offset > 0 && offset <= 700_000, `the stalled PATCH kept its ${offset} bytes`);
        await finish(other, created, data, offset);
      } finally {
        socket.destroy();
      }
      const got = await fetch(`${baseB}/f/${created.id}/encrypted`);
      assert.equal(got.headers.get('x-blindvault-format'), 'v2');
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
      assert.deepEqual(serverFaults(a.logs), []);
      assert.deepEqual(serverFaults(bLogs), []);
    });
  }

  test('a stranger cannot take the lock from the holder (control: the holder can)', async () => {
    const data = randomBytes(2 * MIB);
    const created = await create(baseA, data.length);
    const stranger = await create(baseA, 10);
    const socket = await stalledPatch(baseA, created, data, 500_000);
    try {
      const probe = await fetch(`${baseB}/uploads/${created.id}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${stranger.upload_token}` } });
      assert.equal(probe.status, 404);
      // The stalled PATCH was not asked to let go: it still holds the upload and can go on.
      await new Promise<void>((resolve) => socket.write(data.subarray(500_000), () => resolve()));
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n\r\n')) resolve(text);
        });
      });
      assert.match(answer, /^HTTP\/1\.1 204/);
      assert.match(answer, new RegExp(`upload-offset: ${data.length}`, 'i'));
    } finally {
      socket.destroy();
    }
    assert.deepEqual(Buffer.from(await (await fetch(`${baseA}/f/${created.id}/encrypted`)).arrayBuffer()), data);
  });
});

// Partial uploads live in the bucket, not in an instance's DATA_DIR: any instance continues an
// upload another began (before S3UploadStore, a HEAD or PATCH reaching another instance than the
// POST answered 404).
describe('two server processes with separate DATA_DIRs on one PostgreSQL and one bucket share resumable uploads', () => {
  let database: TestDatabase;
  let s3: S3TestServer;
  let work: string;
  let a: ServerProcess;
  let b: ServerProcess;
  before(async () => {
    database = await createTestDatabase();
    s3 = await startS3Server();
    work = await tempDir('blindvault-uploads-instances-');
    const env = (name: string) => ({ DATA_DIR: path.join(work, name), DATABASE_URL: database.url, BLOB_STORE: s3.blobStoreUrl({ prefix: 'shared' }) });
    // One after the other: two compilations at once can outlast the start deadline on a loaded machine.
    a = await startServerProcess(env('a'));
    b = await startServerProcess(env('b'));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await s3?.close();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const patch = (base: string, created: CreateUploadResponse, offset: number, body: Uint8Array, token = created.upload_token) =>
    fetch(`${base}/uploads/${created.id}`, {
      method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-offset': String(offset), 'content-type': OCTETS },
      body: new Uint8Array(body),
    });
  const head = (base: string, created: CreateUploadResponse, token = created.upload_token) =>
    fetch(`${base}/uploads/${created.id}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });

  test('POST on A, half on B, HEAD on A sees B\'s offset, the rest on A, served byte for byte by B; a wrong upload token gets 404 on both', async () => {
    // Two whole 8 MiB pieces and a short last one: completing copies them inside the bucket.
    const data = randomBytes(16 * MIB + 7);
    const half = 8 * MIB;
    const post = await fetch(`${a.url}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(data.length) } });
    assert.equal(post.status, 201);
    const created = (await post.json()) as CreateUploadResponse;
    // Another caller's real upload token: well formed, valid, not for this upload.
    const other = (await (await fetch(`${b.url}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': '10' } })).json()) as CreateUploadResponse;

    for (const server of [a, b]) {
      assert.equal((await head(server.url, created, other.upload_token)).status, 404, 'a wrong token: HEAD');
      assert.equal((await patch(server.url, created, 0, data.subarray(0, half), other.upload_token)).status, 404, 'a wrong token: PATCH');
      // Control: the rightful caller reaches the upload from both instances.
      const rightful = await head(server.url, created);
      assert.equal(rightful.status, 200);
      assert.equal(rightful.headers.get('upload-offset'), '0', 'the refused PATCH stored nothing');
    }

    const first = await patch(b.url, created, 0, data.subarray(0, half));
    assert.equal(first.status, 204, await first.text());
    assert.equal(first.headers.get('upload-offset'), String(half));
    const seen = await head(a.url, created);
    assert.equal(seen.status, 200);
    assert.equal(seen.headers.get('upload-offset'), String(half), "A sees the bytes B received");
    const rest = await patch(a.url, created, half, data.subarray(half));
    assert.equal(rest.status, 204, await rest.text());
    assert.equal(rest.headers.get('upload-offset'), String(data.length));

    const got = await fetch(`${b.url}/f/${created.id}/encrypted`);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
    // Nothing of the upload was kept in either instance's folder.
    assert.deepEqual(await blobFiles(path.join(work, 'a')), []);
    assert.deepEqual(await blobFiles(path.join(work, 'b')), []);
    for (const server of [a, b]) assert.doesNotMatch(server.output(), /"level":5\d/, 'no server error logged');
  });
});
