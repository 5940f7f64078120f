import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { CreateUploadResponse } from '../../src/protocol/uploads.js';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
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
