import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MetadataStore } from '../../src/store/metadata-store.js';
import type { NewUploadInput, UploadRecordStore } from '../../src/store/upload-record-store.js';

export interface UploadRecordsHarness {
  records: UploadRecordStore;
  metadata: MetadataStore;
  close(): Promise<void>;
}

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const hash = () => randomBytes(32).toString('hex');

function newUpload(overrides: Partial<Omit<NewUploadInput, 'file'>> = {}): NewUploadInput {
  const id = randomUUID();
  return {
    file: { id, blobKey: id, ownerTokenHash: hash(), format: 'v2', createdAt: T0 },
    uploadTokenHash: hash(),
    lengthBytes: 5_000_000_000, // beyond 32 bits
    ttlSeconds: 3600,
    maxDownloads: 3,
    clientAddress: `192.0.2.${Math.floor(Math.random() * 250)}-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

/** Every UploadRecordStore implementation passes this suite, beside the metadata store it shares rows with. */
export function uploadRecordsSuite(name: string, open: () => Promise<UploadRecordsHarness>): void {
  describe(`UploadRecordStore conformance: ${name}`, () => {
    let h: UploadRecordsHarness;
    before(async () => {
      h = await open();
    });
    after(async () => h.close());

    test('a new upload has a pending file row that is never served, and is found only with its token hash', async () => {
      const input = newUpload();
      assert.equal(await h.records.createUpload(input, 10), true);
      assert.equal(await h.metadata.getAvailableFile(input.file.id, at(1)), undefined);
      const found = await h.records.getUpload(input.file.id, input.uploadTokenHash, at(-1));
      assert.deepEqual(found, {
        id: input.file.id,
        blobKey: input.file.id,
        uploadTokenHash: input.uploadTokenHash,
        state: 'receiving',
        lengthBytes: 5_000_000_000,
        ttlSeconds: 3600,
        maxDownloads: 3,
        createdAt: T0,
      });
      assert.equal(await h.records.getUpload(input.file.id, hash(), at(-1)), undefined);
      assert.equal(await h.records.getUpload(randomUUID(), input.uploadTokenHash, at(-1)), undefined);
      assert.equal(await h.records.isReceiving(input.file.id), true);
    });

    test('an address holds at most the bound of unfinished uploads, also when it asks at once', async () => {
      const clientAddress = `198.51.100.7-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 6 }, () => h.records.createUpload(newUpload({ clientAddress }), 2)));
      assert.equal(results.filter(Boolean).length, 2);
      assert.equal(await h.records.createUpload(newUpload({ clientAddress }), 2), false);
      assert.equal(await h.records.createUpload(newUpload(), 2), true, 'another address is not affected');
    });

    test('an upload that received no byte since staleBefore is not found and is listed as stale until touched', async () => {
      const input = newUpload();
      await h.records.createUpload(input, 10);
      assert.equal(await h.records.getUpload(input.file.id, input.uploadTokenHash, at(1)), undefined);
      assert.ok((await h.records.listStaleUploads(at(1), 1000)).some((u) => u.id === input.file.id));
      await h.metadata.touchPendingFile(input.file.id, at(10));
      assert.ok(await h.records.getUpload(input.file.id, input.uploadTokenHash, at(5)));
      assert.ok(!(await h.records.listStaleUploads(at(5), 1000)).some((u) => u.id === input.file.id));
    });

    test('completion makes the file ready with its limits, once, for the token holder only, and frees the address', async () => {
      const clientAddress = `203.0.113.9-${randomUUID()}`;
      const input = newUpload({ clientAddress });
      await h.records.createUpload(input, 1);
      assert.equal(await h.records.createUpload(newUpload({ clientAddress }), 1), false);
      const finish = { completedAt: at(600_000), sizeBytes: 5_000_000_000, expiresAt: at(3600_000), maxDownloads: 3 };
      assert.equal(await h.records.completeUpload(input.file.id, hash(), finish), false);
      assert.equal(await h.metadata.getAvailableFile(input.file.id, at(1)), undefined);
      assert.equal(await h.records.completeUpload(input.file.id, input.uploadTokenHash, finish), true);
      assert.equal(await h.records.completeUpload(input.file.id, input.uploadTokenHash, finish), false, 'once');
      const file = await h.metadata.getAvailableFile(input.file.id, at(1));
      assert.ok(file);
      assert.equal(file.format, 'v2');
      assert.equal(file.sizeBytes, 5_000_000_000);
      assert.deepEqual(file.expiresAt, at(3600_000));
      assert.equal(file.maxDownloads, 3);
      assert.equal(file.salt, null);
      assert.deepEqual(file.createdAt, at(600_000), 'the file exists from its completion');
      assert.equal((await h.records.getUpload(input.file.id, input.uploadTokenHash, at(1)))?.state, 'complete');
      assert.equal(await h.records.isReceiving(input.file.id), false);
      assert.equal(await h.records.createUpload(newUpload({ clientAddress }), 1), true, 'the address has room again');
    });

    test('removal takes the token; removing the file row removes the upload row with it', async () => {
      const ended = newUpload();
      await h.records.createUpload(ended, 10);
      assert.equal(await h.records.removeUpload(ended.file.id, hash()), false);
      assert.equal(await h.records.removeUpload(ended.file.id, ended.uploadTokenHash), true);
      assert.equal(await h.records.getUpload(ended.file.id, ended.uploadTokenHash, at(-1)), undefined);
      await h.metadata.discardPendingFile(ended.file.id);

      const cascaded = newUpload();
      await h.records.createUpload(cascaded, 10);
      await h.metadata.discardPendingFile(cascaded.file.id);
      assert.equal(await h.records.isReceiving(cascaded.file.id), false);
      assert.equal(await h.records.getUpload(cascaded.file.id, cascaded.uploadTokenHash, at(-1)), undefined);
    });

    test('the append lock: one holder, release on request, lease expiry, nothing for a foreign token', async () => {
      const input = newUpload();
      await h.records.createUpload(input, 10);
      const { id } = input.file;
      const lease = (ms: number) => at(ms + 15_000);
      assert.equal(await h.records.tryLock(id, hash(), 'stranger', at(0), lease(0)), 'absent');
      assert.equal(await h.records.tryLock(randomUUID(), input.uploadTokenHash, 'x', at(0), lease(0)), 'absent');
      assert.equal(await h.records.tryLock(id, input.uploadTokenHash, 'first', at(0), lease(0)), 'acquired');
      assert.equal(await h.records.tryLock(id, input.uploadTokenHash, 'second', at(1), lease(1)), 'busy');
      assert.deepEqual(await h.records.renewLock(id, 'first', lease(5)), { held: true, releaseRequested: false });
      await h.records.requestRelease(id, hash());
      assert.deepEqual(await h.records.renewLock(id, 'first', lease(5)), { held: true, releaseRequested: false }, 'a foreign token cannot ask');
      await h.records.requestRelease(id, input.uploadTokenHash);
      assert.deepEqual(await h.records.renewLock(id, 'first', lease(6)), { held: true, releaseRequested: true });
      await h.records.unlock(id, 'second');
      assert.equal(await h.records.tryLock(id, input.uploadTokenHash, 'second', at(7), lease(7)), 'busy', 'only the holder unlocks');
      await h.records.unlock(id, 'first');
      assert.deepEqual(await h.records.renewLock(id, 'first', lease(8)), { held: false, releaseRequested: false });
      assert.equal(await h.records.tryLock(id, input.uploadTokenHash, 'second', at(8), lease(8)), 'acquired');
      // The holder stopped renewing (a crashed instance): its lease ends by itself.
      assert.equal(await h.records.tryLock(id, input.uploadTokenHash, 'third', at(8 + 15_001), lease(8 + 15_001)), 'acquired');
      assert.deepEqual(await h.records.renewLock(id, 'second', lease(9)), { held: false, releaseRequested: false });
    });
  });
}
