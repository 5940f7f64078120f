import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { BlobStoreUnavailable, type BlobStore } from '../../src/store/blob-store.js';

export interface BlobStoreHarness {
  store: BlobStore;
  /** How many partial (temporary) objects the backend holds right now. */
  countPartials(): Promise<number>;
  /** Leaves a partial write behind, as a crash mid-put would. */
  leavePartial(): Promise<void>;
  close(): Promise<void>;
  /** Present for a backend reached over the network: breaks it on purpose. */
  faults?: BlobStoreFaults;
}

/** Faults a networked backend can be put through; the suite checks each gives a clean error. */
export interface BlobStoreFaults {
  /** Every request of an upload after its first part answers 500 ('error') or never answers ('stall'). */
  failUploadMidway(kind: 'error' | 'stall'): void;
  /** The request that makes an upload visible (its completion) answers 500. */
  failUploadCompletion(): void;
  /** Reads send their first `afterBytes` bytes, then the connection is cut ('cut') or goes silent ('stall'). */
  breakDownloads(kind: 'cut' | 'stall', afterBytes: number): void;
  /** Every read answers 500. */
  failReads(): void;
  clear(): void;
}

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* failingAfter(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
  throw new Error('source broke');
}

/** Every BlobStore implementation passes this suite. */
export function blobStoreSuite(name: string, open: () => Promise<BlobStoreHarness>, options: { faults?: boolean } = {}): void {
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

    test('sweepPartials removes a partial left by a crash once it is old enough', async () => {
      await harness.leavePartial();
      assert.equal(await harness.countPartials(), 1);
      assert.equal(await store.sweepPartials(60_000), 0, 'a young partial stays');
      assert.equal(await harness.countPartials(), 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(await store.sweepPartials(10), 1);
      assert.equal(await harness.countPartials(), 0);
    });

    if (options.faults) {
      const faults = () => {
        assert.ok(harness.faults, 'the harness offers faults');
        return harness.faults;
      };
      const isUnavailable = (error: unknown) => error instanceof BlobStoreUnavailable;

      for (const kind of ['error', 'stall'] as const) {
        test(`a store that ${kind === 'error' ? 'answers 500' : 'stops answering'} mid-upload: UNAVAILABLE, nothing left, and the next put works`, async () => {
          const k = key();
          faults().failUploadMidway(kind);
          try {
            await assert.rejects(store.put(k, chunksOf(randomBytes(1_048_579), 65_536)), isUnavailable);
          } finally {
            faults().clear();
          }
          assert.equal(await store.get(k), undefined);
          assert.equal(await harness.countPartials(), 0);
          const data = randomBytes(1_048_579);
          await store.put(k, chunksOf(data, 65_536));
          const blob = await store.get(k);
          assert.ok(blob);
          assert.deepEqual(await buffer(blob.stream), data);
        });
      }

      test('a store that fails the completion of an upload: UNAVAILABLE, nothing left', async () => {
        const k = key();
        faults().failUploadCompletion();
        try {
          await assert.rejects(store.put(k, chunksOf(randomBytes(300_000), 65_536)), isUnavailable);
        } finally {
          faults().clear();
        }
        assert.equal(await store.get(k), undefined);
        assert.equal(await harness.countPartials(), 0);
      });

      for (const kind of ['cut', 'stall'] as const) {
        test(`a download ${kind === 'cut' ? 'cut' : 'stalled'} mid-body fails the stream; it never ends short as if whole`, async () => {
          const k = key();
          const data = randomBytes(500_000);
          await store.put(k, Readable.from([data]));
          faults().breakDownloads(kind, 100_000);
          try {
            const blob = await store.get(k);
            assert.ok(blob);
            assert.equal(blob.sizeBytes, data.length);
            await assert.rejects(buffer(blob.stream));
          } finally {
            faults().clear();
          }
          const again = await store.get(k, { start: 1, end: 499_998 });
          assert.ok(again);
          assert.deepEqual(await buffer(again.stream), data.subarray(1, 499_999));
        });
      }

      test('reads while the store answers 500: UNAVAILABLE, and ping says so; both work again after', async () => {
        const k = key();
        await store.put(k, Readable.from([Buffer.from('still here')]));
        faults().failReads();
        try {
          await assert.rejects(store.get(k), isUnavailable);
          await assert.rejects(store.ping(), isUnavailable);
        } finally {
          faults().clear();
        }
        const blob = await store.get(k);
        assert.ok(blob);
        assert.equal(await text(blob.stream), 'still here');
        await store.ping();
      });
    }
  });
}
