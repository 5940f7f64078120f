import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MetadataStore, NewFileInput } from '../../src/store/metadata-store.js';

export interface MetadataStoreHarness {
  store: MetadataStore;
  close(): Promise<void>;
}

const T0 = new Date('2026-01-01T00:00:00.000Z');
const HOUR = 3600_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

function newFile(overrides: Partial<NewFileInput> = {}): NewFileInput {
  const id = randomUUID();
  return { id, blobKey: id, ownerTokenHash: randomBytes(32).toString('hex'), format: 'v1', createdAt: T0, ...overrides };
}

const finalize = (maxDownloads: number | null = null, expiresAt = at(24 * HOUR)) => ({
  salt: new Uint8Array(randomBytes(16)),
  iv: new Uint8Array(randomBytes(12)),
  sizeBytes: 5_000_000_000, // beyond 32 bits: sizes are bigint columns
  expiresAt,
  maxDownloads,
});

/** Every MetadataStore implementation passes this suite; it is what "done" means for a backend. */
export function metadataStoreSuite(name: string, open: () => Promise<MetadataStoreHarness>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let harness: MetadataStoreHarness;
    let store: MetadataStore;
    before(async () => {
      harness = await open();
      store = harness.store;
    });
    after(async () => harness.close());

    test('answers a ping', async () => {
      await store.ping();
    });

    test('a pending upload is not served; finalizing makes it available with every field intact', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      assert.equal(await store.getAvailableFile(file.id, at(1)), undefined);
      assert.equal(await store.claimDownload(file.id, at(1)), undefined);
      const fields = finalize(3);
      assert.equal(await store.finalizeFile(file.id, fields), true);
      const record = await store.getAvailableFile(file.id, at(1));
      assert.ok(record);
      assert.deepEqual(
        { ...record },
        {
          id: file.id,
          blobKey: file.blobKey,
          state: 'ready',
          ownerTokenHash: file.ownerTokenHash,
          format: 'v1',
          salt: fields.salt,
          iv: fields.iv,
          sizeBytes: fields.sizeBytes,
          createdAt: T0,
          expiresAt: fields.expiresAt,
          downloads: 0,
          maxDownloads: 3,
          lastDownloadAt: null,
        },
      );
    });

    test('finalize applies only to a pending upload', async () => {
      const file = newFile();
      assert.equal(await store.finalizeFile(file.id, finalize()), false, 'no row');
      await store.createPendingFile(file);
      assert.equal(await store.finalizeFile(file.id, finalize()), true);
      assert.equal(await store.finalizeFile(file.id, finalize()), false, 'already ready');
    });

    test('two files with the same id cannot both be created', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await assert.rejects(store.createPendingFile(file));
    });

    test('discardPendingFile removes a pending row and never a ready one', async () => {
      const pending = newFile();
      const ready = newFile();
      await store.createPendingFile(pending);
      await store.createPendingFile(ready);
      await store.finalizeFile(ready.id, finalize());
      await store.discardPendingFile(pending.id);
      await store.discardPendingFile(ready.id);
      assert.equal(await store.finalizeFile(pending.id, finalize()), false);
      assert.ok(await store.getAvailableFile(ready.id, at(1)));
    });

    test('claimDownload counts and stops at the limit', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(2));
      assert.equal((await store.claimDownload(file.id, at(1)))?.downloads, 1);
      assert.equal((await store.claimDownload(file.id, at(1)))?.downloads, 2);
      assert.equal(await store.claimDownload(file.id, at(1)), undefined);
      assert.equal(await store.getAvailableFile(file.id, at(1)), undefined);
    });

    test('concurrent claims never exceed the limit', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(5));
      const results = await Promise.all(Array.from({ length: 40 }, () => store.claimDownload(file.id, at(1))));
      const granted = results.filter((r) => r !== undefined).map((r) => r.downloads);
      assert.deepEqual(granted.sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    });

    test('a file without a download limit is never used up', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(null));
      for (let i = 1; i <= 5; i += 1) assert.equal((await store.claimDownload(file.id, at(1)))?.downloads, i);
    });

    test('an expired file is not served, from its expiry instant on', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(null, at(HOUR)));
      assert.ok(await store.getAvailableFile(file.id, at(HOUR - 1)));
      assert.equal(await store.getAvailableFile(file.id, at(HOUR)), undefined);
      assert.equal(await store.claimDownload(file.id, at(HOUR)), undefined);
    });

    test('updateFileLimits needs the owner hash and a served file', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(1));
      assert.equal(await store.updateFileLimits(file.id, 'f'.repeat(64), { maxDownloads: 9 }, at(1)), undefined);
      const updated = await store.updateFileLimits(file.id, file.ownerTokenHash, { maxDownloads: null, expiresAt: at(2 * HOUR) }, at(1));
      assert.equal(updated?.maxDownloads, null);
      assert.deepEqual(updated?.expiresAt, at(2 * HOUR));
      const onlyExpiry = await store.updateFileLimits(file.id, file.ownerTokenHash, { expiresAt: at(3 * HOUR) }, at(1));
      assert.equal(onlyExpiry?.maxDownloads, null, 'an absent field is left as it is');
      assert.equal(await store.updateFileLimits(file.id, file.ownerTokenHash, { maxDownloads: 2 }, at(3 * HOUR)), undefined, 'expired');
      assert.equal((await store.updateFileLimits(file.id, file.ownerTokenHash, {}, at(1)))?.id, file.id, 'an empty change is no change');
      assert.equal(await store.updateFileLimits(file.id, '0'.repeat(64), {}, at(1)), undefined, 'even an empty change needs the owner');
    });

    test('markFileDeleted needs the owner hash, stops serving at once, and leaves the row to the sweeper', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize());
      assert.equal(await store.markFileDeleted(file.id, '0'.repeat(64)), undefined);
      assert.ok(await store.getAvailableFile(file.id, at(1)));
      assert.deepEqual(await store.markFileDeleted(file.id, file.ownerTokenHash), { id: file.id, blobKey: file.blobKey });
      assert.equal(await store.getAvailableFile(file.id, at(1)), undefined);
      assert.equal(await store.markFileDeleted(file.id, file.ownerTokenHash), undefined, 'only once');
      const sweepable = await store.listSweepable(at(1), T0, T0, 1000);
      assert.ok(sweepable.some((c) => c.id === file.id));
      await store.removeFile(file.id);
      assert.ok(!(await store.listSweepable(at(1), T0, T0, 1000)).some((c) => c.id === file.id));
    });

    test('listSweepable finds expired, used-up and stale pending files, and nothing that is still served', async () => {
      const fresh = newFile({ createdAt: at(10 * HOUR) });
      const stalePending = newFile({ createdAt: at(0) });
      const touchedPending = newFile({ createdAt: at(0) });
      const recentPending = newFile({ createdAt: at(10 * HOUR) });
      const expired = newFile({ createdAt: at(10 * HOUR) });
      const usedUp = newFile({ createdAt: at(10 * HOUR) });
      const usedUpResumable = newFile({ createdAt: at(10 * HOUR) });
      for (const f of [fresh, stalePending, touchedPending, recentPending, expired, usedUp, usedUpResumable]) await store.createPendingFile(f);
      await store.touchPendingFile(touchedPending.id, at(9 * HOUR));
      await store.finalizeFile(fresh.id, finalize(1, at(100 * HOUR)));
      await store.finalizeFile(expired.id, finalize(null, at(11 * HOUR)));
      await store.finalizeFile(usedUp.id, finalize(1, at(100 * HOUR)));
      await store.finalizeFile(usedUpResumable.id, finalize(1, at(100 * HOUR)));
      await store.claimDownload(usedUp.id, at(10 * HOUR));
      await store.claimDownload(usedUpResumable.id, at(12 * HOUR - 1));
      const now = at(12 * HOUR);
      const ids = new Set((await store.listSweepable(now, at(5 * HOUR), at(11 * HOUR), 1000)).map((c) => c.id));
      assert.ok(ids.has(stalePending.id), 'stale pending');
      assert.ok(ids.has(expired.id), 'expired');
      assert.ok(ids.has(usedUp.id), 'used up');
      assert.ok(!ids.has(usedUpResumable.id), 'used up, but its last download may still be resumed');
      assert.ok(!ids.has(fresh.id), 'still served');
      assert.ok(!ids.has(recentPending.id), 'upload still in progress');
      assert.ok(!ids.has(touchedPending.id), 'an old upload that still receives bytes');
      const limited = await store.listSweepable(now, at(5 * HOUR), at(11 * HOUR), 1);
      assert.equal(limited.length, 1, 'limit is honoured');
    });

    test('the owner finds a file by id and token hash, used up or not, never once expired', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      assert.equal(await store.getOwnedFile(file.id, file.ownerTokenHash, at(1)), undefined, 'pending');
      await store.finalizeFile(file.id, finalize(1, at(HOUR)));
      assert.equal(await store.getOwnedFile(file.id, 'a'.repeat(64), at(1)), undefined, 'wrong hash');
      await store.claimDownload(file.id, at(1));
      assert.equal((await store.getOwnedFile(file.id, file.ownerTokenHash, at(1)))?.downloads, 1, 'used up, still the owner\'s');
      assert.equal(await store.getOwnedFile(file.id, file.ownerTokenHash, at(HOUR)), undefined, 'expired');
    });

    test('a download is resumable while its last counted start is recent, even once used up', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, finalize(1, at(10 * HOUR)));
      assert.equal(await store.getResumableFile(file.id, at(1), T0), undefined, 'never downloaded');
      const claimed = await store.claimDownload(file.id, at(HOUR));
      assert.deepEqual(claimed?.lastDownloadAt, at(HOUR));
      assert.ok(await store.getResumableFile(file.id, at(HOUR + 1), at(HOUR - 1)));
      assert.equal(await store.getResumableFile(file.id, at(HOUR + 1), at(HOUR)), undefined, 'window passed');
      assert.equal(await store.getResumableFile(file.id, at(10 * HOUR), at(HOUR - 1)), undefined, 'expired');
    });
  });
}
