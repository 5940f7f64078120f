import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MetadataStore, NewFileInput } from '../../src/store/metadata-store.js';

export interface MetadataStoreHarness {
  store: MetadataStore;
  /** Writes a ready row without an expiry, past the store's own checks (rows from before they existed). */
  clearExpiry(id: string): Promise<void>;
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

    test('a counted download records its resume credential; resumes spend it, tied to the file, its window and its bytes', async () => {
      const file = newFile();
      const other = newFile();
      for (const f of [file, other]) {
        await store.createPendingFile(f);
        await store.finalizeFile(f.id, { ...finalize(1, at(10 * HOUR)), sizeBytes: 1000 });
      }
      const tokenHash = randomBytes(32).toString('hex');
      const claimed = await store.claimDownload(file.id, at(HOUR), { tokenHash, expiresAt: at(2 * HOUR) });
      assert.deepEqual(claimed?.lastDownloadAt, at(HOUR));
      assert.equal(await store.getAvailableFile(file.id, at(HOUR)), undefined, 'used up');
      assert.equal((await store.getServableFile(file.id, at(HOUR)))?.id, file.id, 'still servable to a resume');
      assert.equal(await store.spendResume(file.id, 'e'.repeat(64), 10, at(HOUR)), undefined, 'unknown credential');
      assert.equal(await store.spendResume(other.id, tokenHash, 10, at(HOUR)), undefined, 'another file');
      const spent = await store.spendResume(file.id, tokenHash, 600, at(HOUR + 1));
      assert.equal(spent?.record.id, file.id);
      assert.equal(spent?.tokenHash, tokenHash);
      assert.equal(await store.spendResume(file.id, tokenHash, 401, at(HOUR + 2)), undefined, 'more than the bytes left');
      assert.ok(await store.spendResume(file.id, tokenHash, 400, at(HOUR + 2)), 'exactly the bytes left');
      assert.equal(await store.spendResume(file.id, tokenHash, 1, at(HOUR + 3)), undefined, 'nothing left');
      const second = randomBytes(32).toString('hex');
      await store.updateFileLimits(file.id, file.ownerTokenHash, { maxDownloads: 2 }, at(HOUR));
      await store.claimDownload(file.id, at(HOUR), { tokenHash: second, expiresAt: at(2 * HOUR) });
      assert.equal(await store.spendResume(file.id, second, 1, at(2 * HOUR)), undefined, 'window passed');
      assert.equal(await store.sweepResumes(at(2 * HOUR)), 2, 'both credentials swept once expired');
    });

    test('concurrent resumes never spend more than the bytes of their credential', async () => {
      const file = newFile();
      await store.createPendingFile(file);
      await store.finalizeFile(file.id, { ...finalize(1, at(10 * HOUR)), sizeBytes: 1000 });
      const tokenHash = randomBytes(32).toString('hex');
      await store.claimDownload(file.id, at(1), { tokenHash, expiresAt: at(HOUR) });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.spendResume(file.id, tokenHash, 300, at(2))));
      assert.equal(results.filter((r) => r !== undefined).length, 3, '3 × 300 of 1000 bytes');
    });

    test('invalid times are refused and change nothing', async () => {
      const file = newFile();
      await assert.rejects(store.createPendingFile({ ...file, createdAt: new Date(Number.NaN) }), RangeError);
      await store.createPendingFile(file);
      await assert.rejects(store.finalizeFile(file.id, finalize(1, new Date(Number.NaN))), RangeError);
      await store.finalizeFile(file.id, finalize(1, at(HOUR)));
      await assert.rejects(store.updateFileLimits(file.id, file.ownerTokenHash, { expiresAt: new Date(9e15) }, at(1)), RangeError);
      await assert.rejects(store.claimDownload(file.id, at(1), { tokenHash: 'a'.repeat(64), expiresAt: new Date(Number.NaN) }), RangeError);
      const record = await store.getAvailableFile(file.id, at(1));
      assert.deepEqual(record?.expiresAt, at(HOUR), 'expiry unchanged');
      assert.equal(record?.downloads, 0, 'nothing counted');
    });

    test('a ready row without an expiry (written before the store refused such times) is swept', async () => {
      const file = newFile();
      const kept = newFile();
      for (const f of [file, kept]) {
        await store.createPendingFile(f);
        await store.finalizeFile(f.id, finalize(null, at(HOUR)));
      }
      await harness.clearExpiry(file.id);
      const ids = (await store.listSweepable(at(1), T0, T0, 1000)).map((c) => c.id);
      assert.ok(ids.includes(file.id), 'no expiry: swept');
      assert.ok(!ids.includes(kept.id), 'control: an unexpired file stays');
    });

    describe('byte reservations', () => {
      const CAP = 10_000;
      const windowOf = (subject: string, limitBytes = 1_000_000) => ({ subject, windowStart: T0, expiresAt: at(HOUR), limitBytes });
      const pending = async () => {
        const file = newFile();
        await store.createPendingFile(file);
        return file;
      };
      const stored = async () => (await store.uploadUsage()).storedBytes;

      test('a reservation moves the row, the storage counter and the address window together, and is given back', async () => {
        const before = await stored();
        const file = await pending();
        const window = windowOf(`addr-${randomUUID()}`);
        assert.equal(await store.reserveUploadBytes(file.id, 300, { storageCapBytes: before + CAP, quota: window }), 'reserved');
        assert.deepEqual(await store.uploadUsage(window), { storedBytes: before + 300, quotaBytes: 300 });
        await store.releaseUploadBytes(file.id, 100, window);
        assert.deepEqual(await store.uploadUsage(window), { storedBytes: before + 200, quotaBytes: 200 });
        await store.releaseUploadBytes(file.id, 1000, window);
        assert.equal(await stored(), before + 200, 'never more than the row holds');
        await store.discardPendingFile(file.id);
        assert.equal(await stored(), before, 'a discarded upload gives its bytes back');
        assert.equal(await store.reserveUploadBytes(file.id, 1, { storageCapBytes: before + CAP }), 'gone');
        assert.equal(await stored(), before, 'nothing moved for a row that is gone');
      });

      test('a removed file gives its bytes back; its address window keeps them (a quota counts bytes uploaded)', async () => {
        const before = await stored();
        const file = await pending();
        const window = windowOf(`addr-${randomUUID()}`);
        await store.reserveUploadBytes(file.id, 500, { storageCapBytes: before + CAP, quota: window });
        await store.finalizeFile(file.id, { ...finalize(), sizeBytes: 500 });
        assert.equal(await stored(), before + 500);
        await store.removeFile(file.id);
        assert.deepEqual(await store.uploadUsage(window), { storedBytes: before, quotaBytes: 500 });
      });

      test('the storage cap and the address quota refuse what would pass them, and a refusal moves nothing', async () => {
        const before = await stored();
        const file = await pending();
        const window = windowOf(`addr-${randomUUID()}`, 1000);
        assert.equal(await store.reserveUploadBytes(file.id, 1001, { storageCapBytes: before + CAP, quota: window }), 'quota_exceeded');
        assert.equal(await store.reserveUploadBytes(file.id, 1000, { storageCapBytes: before + CAP, quota: window }), 'reserved');
        assert.equal(await store.reserveUploadBytes(file.id, 1, { storageCapBytes: before + CAP, quota: window }), 'quota_exceeded');
        assert.equal(await store.reserveUploadBytes(file.id, 1, { storageCapBytes: before + 1000 }), 'storage_full');
        assert.deepEqual(await store.uploadUsage(window), { storedBytes: before + 1000, quotaBytes: 1000 });
        const otherAddress = windowOf(`addr-${randomUUID()}`, 1000);
        assert.equal(await store.reserveUploadBytes(file.id, 1000, { storageCapBytes: before + CAP, quota: otherAddress }), 'reserved', 'control: another address has its own quota');
        await store.discardPendingFile(file.id);
        assert.equal(await stored(), before);
      });

      test('concurrent reservations never pass the cap or the quota', async () => {
        const before = await stored();
        const files = await Promise.all(Array.from({ length: 8 }, pending));
        const window = windowOf(`addr-${randomUUID()}`, 2500);
        const byQuota = await Promise.all(
          files.flatMap((f) => [0, 1].map(() => store.reserveUploadBytes(f.id, 500, { storageCapBytes: before + CAP, quota: window }))),
        );
        assert.equal(byQuota.filter((o) => o === 'reserved').length, 5, '5 × 500 of a 2500-byte quota');
        assert.equal((await store.uploadUsage(window)).quotaBytes, 2500);
        const byCap = await Promise.all(files.map((f) => store.reserveUploadBytes(f.id, 1000, { storageCapBytes: before + 6000 })));
        assert.equal(byCap.filter((o) => o === 'reserved').length, 3, '2500 + 3 × 1000 within a cap of 6000');
        assert.equal(await stored(), before + 5500);
        for (const f of files) await store.discardPendingFile(f.id);
        assert.equal(await stored(), before);
      });

      test('quota windows are swept once they end', async () => {
        const file = await pending();
        const window = windowOf(`addr-${randomUUID()}`);
        await store.reserveUploadBytes(file.id, 10, { storageCapBytes: Number.MAX_SAFE_INTEGER, quota: window });
        assert.ok((await store.sweepUploadQuota(at(HOUR))) >= 1);
        assert.equal((await store.uploadUsage(window)).quotaBytes, 0);
        await store.discardPendingFile(file.id);
      });
    });
  });
}
