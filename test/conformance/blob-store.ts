import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import type { BlobStore } from '../../src/store/blob-store.js';

export interface BlobStoreHarness {
  store: BlobStore;
  /** How many partial (temporary) objects the backend holds right now. */
  countPartials(): Promise<number>;
  close(): Promise<void>;
}

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* failingAfter(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
  throw new Error('source broke');
}

/** Every BlobStore implementation passes this suite. */
export function blobStoreSuite(name: string, open: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;
    let n = 0;
    const key = () => `k${Date.now()}_${(n += 1)}`;
    before(async () => {
      harness = await open();
      store = harness.store;
    });
    after(async () => harness.close());

    for (const size of [0, 1, 65_535, 1_048_579]) {
      test(`put then get returns the same ${size} bytes`, async () => {
        const data = randomBytes(size);
        const k = key();
        assert.deepEqual(await store.put(k, chunksOf(data, 7_777)), { sizeBytes: size });
        const blob = await store.get(k);
        assert.ok(blob);
        assert.equal(blob.sizeBytes, size);
        assert.deepEqual(await buffer(blob.stream), data);
      });
    }

    test('get with a range returns exactly those bytes', async () => {
      const data = randomBytes(10_000);
      const k = key();
      await store.put(k, Readable.from([data]));
      for (const [start, end] of [[0, 0], [0, 9_999], [1, 1], [4_096, 8_191], [9_999, 9_999]] as const) {
        const blob = await store.get(k, { start, end });
        assert.ok(blob);
        assert.equal(blob.sizeBytes, 10_000, 'sizeBytes is the whole blob');
        assert.deepEqual(await buffer(blob.stream), data.subarray(start, end + 1));
      }
      await assert.rejects(store.get(k, { start: 5, end: 10_000 }), RangeError);
    });

    test('a missing blob is undefined; delete is idempotent', async () => {
      const k = key();
      assert.equal(await store.get(k), undefined);
      await store.put(k, Readable.from([Buffer.from('x')]));
      await store.delete(k);
      await store.delete(k);
      assert.equal(await store.get(k), undefined);
    });

    test('a source that fails leaves nothing behind, not even a partial', async () => {
      const k = key();
      await assert.rejects(store.put(k, failingAfter(randomBytes(100_000))), /source broke/);
      assert.equal(await store.get(k), undefined);
      assert.equal(await harness.countPartials(), 0);
    });

    test('an aborted put leaves nothing behind', async () => {
      const k = key();
      const controller = new AbortController();
      const source = (async function* () {
        yield randomBytes(1000);
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 10));
        yield randomBytes(1000);
      })();
      await assert.rejects(store.put(k, source, { signal: controller.signal }));
      assert.equal(await store.get(k), undefined);
      assert.equal(await harness.countPartials(), 0);
    });

    test('a blob is not readable while it is being written', async () => {
      const k = key();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const writing = store.put(k, (async function* () {
        yield Buffer.from('first half ');
        await gate;
        yield Buffer.from('second half');
      })());
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await store.get(k), undefined);
      release();
      await writing;
      const blob = await store.get(k);
      assert.ok(blob);
      assert.equal(await text(blob.stream), 'first half second half');
    });

    test('keys outside [A-Za-z0-9_-]{1,128} are refused', async () => {
      for (const bad of ['', '../etc', 'a/b', 'a.b', 'x'.repeat(129), '..', 'a\u0000b']) {
        await assert.rejects(store.put(bad, Readable.from([Buffer.from('x')])), TypeError, JSON.stringify(bad));
        await assert.rejects(store.get(bad), TypeError);
        await assert.rejects(store.delete(bad), TypeError);
      }
    });

    test('sweepPartials keeps young partials and answers a ping', async () => {
      assert.equal(await store.sweepPartials(60_000), 0);
      await store.ping();
    });
  });
}
