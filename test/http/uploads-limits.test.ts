import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CreateUploadResponse } from '../../src/protocol/uploads.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { BACKENDS } from '../helpers/stores.js';
import { TUS, assertError, bearer, sendAll } from '../helpers/uploads.js';

// Resumable uploads obey the file API's storage bounds (server/files/upload-limits.ts): the declared
// length counts from creation, before any byte is stored. An ended upload gives its room in storage
// back; against the address's quota it stays counted for the window, as declared bytes, so that
// creating and ending uploads cannot be cycled.

function createFrom(t: TestApp, address: string, lengthBytes: number) {
  return t.app.inject({ method: 'POST', url: '/uploads', headers: { ...TUS, 'upload-length': String(lengthBytes) }, remoteAddress: address });
}

for (const backend of BACKENDS) {
  describe(`resumable uploads and the storage bounds (${backend})`, () => {
    test('the per-address quota counts a declared length at creation; terminating frees the storage, not the quota', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_UPLOAD_QUOTA: '300000/hour' });
      try {
        const first = await createFrom(t, '198.51.100.7', 200_000);
        assert.equal(first.statusCode, 201, first.body);
        // 200 000 reserved + 200 000 declared passes 300 000: refused before a byte is sent
        assertError(await createFrom(t, '198.51.100.7', 200_000), 413, 'UPLOAD_QUOTA_EXCEEDED');
        // control: another address has its own quota
        assert.equal((await createFrom(t, '198.51.100.8', 200_000)).statusCode, 201);
        assert.equal((await t.stores.metadata.uploadUsage()).storedBytes, 400_000);
        // ending the unfinished upload gives its room in storage back; the quota keeps counting it
        const created = first.json<CreateUploadResponse>();
        const ended = await t.app.inject({ method: 'DELETE', url: `/uploads/${created.id}`, headers: bearer(created.upload_token) });
        assert.equal(ended.statusCode, 204, ended.body);
        assert.equal((await t.stores.metadata.uploadUsage()).storedBytes, 200_000);
        assertError(await createFrom(t, '198.51.100.7', 200_000), 413, 'UPLOAD_QUOTA_EXCEEDED');
        // what is left of the quota can still be used
        const again = await createFrom(t, '198.51.100.7', 100_000);
        assert.equal(again.statusCode, 201, again.body);
        // a completed upload keeps its bytes counted and is served
        const data = randomBytes(100_000);
        const done = again.json<CreateUploadResponse>();
        await sendAll(t.app, done, data);
        const served = await t.app.inject({ method: 'GET', url: `/f/${done.id}/encrypted` });
        assert.equal(served.statusCode, 200);
        assert.ok(served.rawPayload.equals(data));
        assert.equal((await t.stores.metadata.uploadUsage()).storedBytes, 300_000);
      } finally {
        await t.close();
      }
    });

    test('the global storage cap refuses a creation that would pass it (507), with the control below it', async () => {
      const t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1MiB', FILE_STORAGE_CAP_BYTES: '500000' });
      try {
        assert.equal((await createFrom(t, '198.51.100.9', 300_000)).statusCode, 201);
        assertError(await createFrom(t, '198.51.100.10', 300_000), 507, 'STORAGE_FULL');
        assert.equal((await createFrom(t, '198.51.100.10', 200_000)).statusCode, 201);
      } finally {
        await t.close();
      }
    });

    test('an upload without max_downloads gets the operator limit, and its expiry stays finite', async () => {
      const t = await openTestApp(backend, { FILE_MAX_DOWNLOADS: '7' });
      try {
        const res = await createFrom(t, '198.51.100.11', 10);
        assert.equal(res.statusCode, 201, res.body);
        const created = res.json<CreateUploadResponse>();
        assert.equal(created.max_downloads, 7);
        await sendAll(t.app, created, randomBytes(10));
        const head = await t.app.inject({ method: 'HEAD', url: `/f/${created.id}/encrypted` });
        assert.equal(head.statusCode, 200);
        assert.equal(head.headers['x-blindvault-downloads-left'], '7');
        assert.ok(Number.isFinite(Date.parse(String(head.headers['x-blindvault-expires-at']))));
      } finally {
        await t.close();
      }
    });
  });
}
