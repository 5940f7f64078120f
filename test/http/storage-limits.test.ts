import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { openStores } from '../../src/store/open-stores.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';

const MIB = 1024 * 1024;

function uploadFrom(t: TestApp | { app: TestApp['app'] }, address: string, sizeBytes: number) {
  const { body, contentType } = multipartBody(e2eUpload(randomBytes(sizeBytes)));
  return t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType }, remoteAddress: address });
}

function assertError(res: LightMyRequestResponse, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json<{ error: string }>().error, code);
}

async function storedBytes(t: TestApp): Promise<number> {
  return (await t.stores.metadata.uploadUsage()).storedBytes;
}

/** Nothing of a refused upload remains: no row beyond `rows`, no blob or partial, no counted byte. */
async function assertOnly(t: TestApp, rows: string[], bytes: number) {
  assert.deepEqual((await allFileIds(t.stores.metadata)).sort(), [...rows].sort(), 'no row of the refused upload');
  assert.equal((await blobFiles(t.stores.dataDir)).length, rows.length, 'no blob or partial of the refused upload');
  assert.equal(await storedBytes(t), bytes, 'the storage counter holds exactly the stored files');
}

/** A blob store whose disk has `room` bytes above the floor, less what has been written since. */
function nearlyFullDisk(floorBytes: number, room: number) {
  return (blobs: BlobStore): BlobStore => {
    let written = 0;
    return {
      put: (key, source, options) =>
        blobs.put(
          key,
          (async function* count() {
            for await (const chunk of source as AsyncIterable<Uint8Array>) {
              written += chunk.byteLength;
              yield chunk;
            }
          })(),
          options,
        ),
      get: (key, range) => blobs.get(key, range),
      delete: (key) => blobs.delete(key),
      sweepPartials: (age) => blobs.sweepPartials(age),
      freeBytes: async () => floorBytes + room - written,
      ping: () => blobs.ping(),
    };
  };
}

for (const backend of BACKENDS) {
  describe(`storage bounds (${backend})`, () => {
    test('a per-address byte quota: refused with 413 before and while streaming, another address is not affected', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_UPLOAD_QUOTA: '300000/hour' });
      try {
        const first = await uploadFrom(t, '198.51.100.1', 200_000);
        assert.equal(first.statusCode, 200, first.body);
        const { id } = first.json<{ id: string }>();
        // 200 000 + 200 000 passes 300 000: refused while streaming, nothing of it kept.
        const over = await uploadFrom(t, '198.51.100.1', 200_000);
        assertError(over, 413, 'UPLOAD_QUOTA_EXCEEDED');
        assert.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 3600, 'Retry-After: until the window ends');
        await assertOnly(t, [id], 200_000);
        // control: another address has its own quota
        const other = await uploadFrom(t, '198.51.100.2', 200_000);
        assert.equal(other.statusCode, 200, other.body);
        // a declared length past what is left is refused before the body is read (the body itself would fit)
        const small = multipartBody(e2eUpload(randomBytes(10)));
        const declared = await t.app.inject({
          method: 'POST',
          url: '/upload',
          payload: small.body,
          headers: { 'content-type': small.contentType, 'content-length': String(500_000) },
          remoteAddress: '198.51.100.1',
        });
        assertError(declared, 413, 'UPLOAD_QUOTA_EXCEEDED');
        await assertOnly(t, [id, other.json<{ id: string }>().id], 400_000);
        // what is left of the first address's quota can still be used, to the byte
        const rest = await uploadFrom(t, '198.51.100.1', 100_000);
        assert.equal(rest.statusCode, 200, rest.body);
        // used up: refused before the body is read
        assertError(await uploadFrom(t, '198.51.100.1', 1), 413, 'UPLOAD_QUOTA_EXCEEDED');
        // the quota counts bytes uploaded in the window: deleting a file does not give it back
        assert.equal((await t.app.inject({ method: 'DELETE', url: first.json<{ redirect: string }>().redirect })).statusCode, 204);
        assertError(await uploadFrom(t, '198.51.100.1', 1), 413, 'UPLOAD_QUOTA_EXCEEDED');
        // a new window, a new quota
        t.advance(3600_000);
        assert.equal((await uploadFrom(t, '198.51.100.1', 1000)).statusCode, 200);
      } finally {
        await t.close();
      }
    });

    test('IPv6 addresses of one /64 share a quota; another /64 has its own', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_UPLOAD_QUOTA: '150000/hour' });
      try {
        assert.equal((await uploadFrom(t, '2001:db8:1:2::a', 100_000)).statusCode, 200);
        assertError(await uploadFrom(t, '2001:db8:1:2:ffff::b', 100_000), 413, 'UPLOAD_QUOTA_EXCEEDED');
        assert.equal((await uploadFrom(t, '2001:db8:1:3::a', 100_000)).statusCode, 200, 'control: the next /64');
      } finally {
        await t.close();
      }
    });

    test('a global storage cap: 507 STORAGE_FULL past it; deleting a file gives its bytes back', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_STORAGE_CAP_BYTES: '500000' });
      try {
        const first = await uploadFrom(t, '198.51.100.10', 300_000);
        assert.equal(first.statusCode, 200, first.body);
        const { id, redirect } = first.json<{ id: string; redirect: string }>();
        assert.equal(await storedBytes(t), 300_000, 'reserved ahead, settled to the size');
        assertError(await uploadFrom(t, '198.51.100.11', 300_000), 507, 'STORAGE_FULL');
        await assertOnly(t, [id], 300_000);
        assert.equal((await uploadFrom(t, '198.51.100.11', 200_000)).statusCode, 200, 'control: what still fits is stored');
        assertError(await uploadFrom(t, '198.51.100.12', 1), 507, 'STORAGE_FULL');
        assert.equal((await t.app.inject({ method: 'DELETE', url: redirect })).statusCode, 204);
        assert.equal(await storedBytes(t), 200_000);
        assert.equal((await uploadFrom(t, '198.51.100.12', 300_000)).statusCode, 200, 'room again once a file is gone');
      } finally {
        await t.close();
      }
    });

    test('a free-space floor: refused before writing, and the moment a streaming upload would pass it', async () => {
      const floor = 64 * MIB;
      const t = await openTestApp(
        backend,
        { MAX_UPLOAD_BYTES: '8MiB', FILE_MIN_FREE_BYTES: String(floor) },
        { wrapBlobs: nearlyFullDisk(floor, 2 * MIB) },
      );
      try {
        const small = await uploadFrom(t, '198.51.100.20', MIB);
        assert.equal(small.statusCode, 200, 'control: an upload that leaves the floor intact');
        const { id } = small.json<{ id: string }>();
        // One MiB of room is left: three MiB pass the floor part-way through the body.
        assertError(await uploadFrom(t, '198.51.100.20', 3 * MIB), 507, 'STORAGE_FULL');
        await assertOnly(t, [id], MIB);
      } finally {
        await t.close();
      }
      const full = await openTestApp(backend, { FILE_MIN_FREE_BYTES: String(floor) }, { wrapBlobs: nearlyFullDisk(floor, -1) });
      try {
        assertError(await uploadFrom(full, '198.51.100.21', 10), 507, 'STORAGE_FULL');
        await assertOnly(full, [], 0);
      } finally {
        await full.close();
      }
    });

    test('two uploads racing one quota, and two racing the cap: exactly one of each pair is stored', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_UPLOAD_QUOTA: '150000/day', FILE_STORAGE_CAP_BYTES: '400000' });
      try {
        const quotaRace = await Promise.all([uploadFrom(t, '198.51.100.30', 100_000), uploadFrom(t, '198.51.100.30', 100_000)]);
        assert.deepEqual(quotaRace.map((r) => r.statusCode).sort(), [200, 413], quotaRace.map((r) => r.body).join(' '));
        const capRace = await Promise.all([uploadFrom(t, '198.51.100.31', 140_000), uploadFrom(t, '198.51.100.32', 140_000), uploadFrom(t, '198.51.100.33', 140_000)]);
        assert.deepEqual(capRace.map((r) => r.statusCode).sort(), [200, 200, 507], capRace.map((r) => r.body).join(' '));
        const stored = [...quotaRace, ...capRace].filter((r) => r.statusCode === 200).map((r) => r.json<{ id: string }>().id);
        await assertOnly(t, stored, 100_000 + 2 * 140_000);
      } finally {
        await t.close();
      }
    });

    test('every instance counts the same bytes: a quota used on one is used on the other', async () => {
      const env = { MAX_UPLOAD_BYTES: '1MiB', FILE_UPLOAD_QUOTA: '150000/day', FILE_UPLOAD_RATE: '1000000/second', LOG_LEVEL: 'silent' };
      const a = await openTestApp(backend, env);
      // A second instance: its own connection to the same database, the same blob folder.
      const stores = await openStores({ dataDir: a.stores.dataDir, databaseUrl: a.stores.databaseUrl, blobStoreUrl: undefined });
      const b = await buildApp({ config: parseConfig(env), ...stores });
      try {
        assert.equal((await uploadFrom(a, '198.51.100.40', 100_000)).statusCode, 200);
        assertError(await uploadFrom(b, '198.51.100.40', 100_000), 413, 'UPLOAD_QUOTA_EXCEEDED');
        assert.equal((await uploadFrom(b, '198.51.100.41', 100_000)).statusCode, 200, 'control: another address on the other instance');
        assert.equal(await storedBytes(a), 200_000);
      } finally {
        await b.app.close();
        await stores.close();
        await a.close();
      }
    });
  });
}
