import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import type { BlobStore } from '../../src/store/blob-store.js';
import { UploadOffsetConflict, type UploadStore } from '../../src/store/upload-store.js';

export interface UploadStoreHarness {
  uploads: UploadStore;
  /** The blob store `uploads.complete` hands partials to. */
  blobs: BlobStore;
  close(): Promise<void>;
}

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* breaksAfterPieces(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  yield* chunksOf(data, size);
  throw new Error('connection lost');
}

async function* breaksAfter(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
  throw new Error('connection lost');
}

/** Every UploadStore implementation passes this suite. */
export function uploadStoreSuite(name: string, open: () => Promise<UploadStoreHarness>): void {
  describe(`UploadStore conformance: ${name}`, () => {
    let harness: UploadStoreHarness;
    let uploads: UploadStore;
    let n = 0;
    const key = () => `u${Date.now()}_${(n += 1)}`;
    before(async () => {
      harness = await open();
      uploads = harness.uploads;
    });
    after(async () => harness.close());

    test('a new partial is empty; a missing one has no offset; a key is created once', async () => {
      const k = key();
      assert.equal(await uploads.offset(k), undefined);
      await uploads.create(k);
      assert.equal(await uploads.offset(k), 0);
      await assert.rejects(uploads.create(k));
      assert.equal(await uploads.offset(k), 0);
    });

    for (const [size, piece] of [[0, 1], [1, 1], [65_535, 7_777], [1_048_579, 65_536]] as const) {
      test(`appends of ${size} bytes in pieces of ${piece} complete into the same blob`, async () => {
        const data = randomBytes(size);
        const k = key();
        await uploads.create(k);
        let offset = 0;
        const half = Math.floor(size / 2);
        offset = await uploads.append(k, offset, chunksOf(data.subarray(0, half), piece));
        assert.equal(offset, half);
        offset = await uploads.append(k, offset, chunksOf(data.subarray(half), piece));
        assert.equal(offset, size);
        assert.equal(await uploads.offset(k), size);
        assert.deepEqual(await uploads.complete(k, k), { sizeBytes: size });
        assert.equal(await uploads.offset(k), undefined, 'the partial is gone');
        const blob = await harness.blobs.get(k);
        assert.ok(blob);
        assert.deepEqual(await buffer(blob.stream), data);
        await harness.blobs.delete(k);
      });
    }

    test('an append at any offset but the end is refused and writes nothing', async () => {
      const k = key();
      await uploads.create(k);
      await uploads.append(k, 0, chunksOf(randomBytes(100), 100));
      for (const offset of [0, 99, 101, 1000]) {
        await assert.rejects(uploads.append(k, offset, chunksOf(randomBytes(10), 10)), (error: unknown) => error instanceof UploadOffsetConflict && error.actualOffset === 100);
      }
      assert.equal(await uploads.offset(k), 100);
      await assert.rejects(uploads.append(key(), 0, chunksOf(randomBytes(10), 10)), UploadOffsetConflict, 'a missing partial');
    });

    test('bytes received before a source breaks are kept, and the upload goes on after them', async () => {
      const data = randomBytes(300_000);
      const k = key();
      await uploads.create(k);
      await assert.rejects(uploads.append(k, 0, breaksAfter(data.subarray(0, 120_000))), /connection lost/);
      assert.equal(await uploads.offset(k), 120_000);
      assert.equal(await uploads.append(k, 120_000, chunksOf(data.subarray(120_000), 50_000)), 300_000);
      await uploads.complete(k, k);
      const blob = await harness.blobs.get(k);
      assert.ok(blob);
      assert.deepEqual(await buffer(blob.stream), data);
      await harness.blobs.delete(k);
    });

    test('a long append in small pieces (many gathered writes and flushes) keeps every byte; broken, exactly those received', async () => {
      const data = randomBytes(11 * 1024 * 1024 + 12_345);
      const cut = 9 * 1024 * 1024 + 777;
      const k = key();
      await uploads.create(k);
      await assert.rejects(uploads.append(k, 0, breaksAfterPieces(data.subarray(0, cut), 16_384)), /connection lost/);
      assert.equal(await uploads.offset(k), cut);
      assert.equal(await uploads.append(k, cut, chunksOf(data.subarray(cut), 65_536)), data.length);
      assert.equal(await uploads.offset(k), data.length);
      await uploads.complete(k, k);
      const blob = await harness.blobs.get(k);
      assert.ok(blob);
      assert.ok(Buffer.from(await buffer(blob.stream)).equals(data), 'the blob is the bytes sent, in order');
      await harness.blobs.delete(k);
    });

    test('delete is idempotent; sweepStale removes old partials unless claimed, and keeps young ones', async () => {
      const gone = key();
      const kept = key();
      const young = key();
      for (const k of [gone, kept, young]) await uploads.create(k);
      await uploads.delete(gone);
      await uploads.delete(gone);
      assert.equal(await uploads.offset(gone), undefined);
      const claimed = new Set([kept]);
      assert.equal(await uploads.sweepStale(new Date(Date.now() - 60_000), async (k) => claimed.has(k)), 0, 'young partials stay');
      const removed = await uploads.sweepStale(new Date(Date.now() + 60_000), async (k) => claimed.has(k) || k !== young);
      assert.equal(removed, 1);
      assert.equal(await uploads.offset(young), undefined);
      assert.equal(await uploads.offset(kept), 0);
      await uploads.ping();
    });

    test('many small appends (short PATCHes) complete into the same blob', async () => {
      const data = randomBytes(150_001);
      const k = key();
      await uploads.create(k);
      let offset = 0;
      for (const step of [1, 4_999, 10_000, 0, 7_777]) {
        for (let i = 0; i < 6 && offset < data.length; i += 1) {
          const end = Math.min(data.length, offset + step);
          assert.equal(await uploads.append(k, offset, chunksOf(data.subarray(offset, end), 3_000)), end);
          offset = end;
          assert.equal(await uploads.offset(k), offset);
        }
      }
      while (offset < data.length) offset = await uploads.append(k, offset, chunksOf(data.subarray(offset, offset + 12_345), 12_345));
      assert.deepEqual(await uploads.complete(k, k), { sizeBytes: data.length });
      const blob = await harness.blobs.get(k);
      assert.ok(blob);
      assert.deepEqual(await buffer(blob.stream), data);
      await harness.blobs.delete(k);
    });

    test('usage counts the partials and the bytes received, until they are completed or deleted', async () => {
      const before = await uploads.usage();
      const [small, empty, done] = [key(), key(), key()];
      for (const k of [small, empty, done]) await uploads.create(k);
      await uploads.append(small, 0, chunksOf(randomBytes(70_000), 10_000));
      await uploads.append(small, 70_000, chunksOf(randomBytes(5), 5));
      await uploads.append(done, 0, chunksOf(randomBytes(1_000), 1_000));
      assert.deepEqual(await uploads.usage(), { partials: before.partials + 3, bytes: before.bytes + 71_005 });
      await uploads.complete(done, done);
      await uploads.delete(empty);
      assert.deepEqual(await uploads.usage(), { partials: before.partials + 1, bytes: before.bytes + 70_005 });
      await uploads.delete(small);
      assert.deepEqual(await uploads.usage(), before);
      await harness.blobs.delete(done);
    });

    test('keys outside [A-Za-z0-9_-]{1,128} are refused', async () => {
      for (const bad of ['', '../etc', 'a/b', 'a.b', 'x'.repeat(129), '..']) {
        await assert.rejects(uploads.create(bad), TypeError, JSON.stringify(bad));
        await assert.rejects(uploads.offset(bad), TypeError);
        await assert.rejects(uploads.append(bad, 0, chunksOf(new Uint8Array(1), 1)), TypeError);
        await assert.rejects(uploads.delete(bad), TypeError);
      }
    });
  });
}
