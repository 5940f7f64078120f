import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { parseConfig } from '../../src/server/config.js';
import { createFilesService, type FilesService, type UploadPart } from '../../src/server/files/service.js';
import { startSweeper, type SweepOutcome } from '../../src/server/sweeper.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { openStores, type Stores } from '../../src/store/open-stores.js';
import { IV, SALT } from '../helpers/multipart.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { allFileIds, tempDir } from '../helpers/stores.js';

const silent = pino({ level: 'silent' });

/** Two server instances' stores on one PostgreSQL database and one blob folder. */
describe('two instances on one PostgreSQL: each expired file is removed once', () => {
  let database: TestDatabase;
  let dataDir: string;
  let instances: Stores[];
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const deletes: string[] = [];
  const config = parseConfig({});

  before(async () => {
    database = await createTestDatabase();
    dataDir = await tempDir();
    instances = [];
    for (let i = 0; i < 2; i += 1) instances.push(await openStores({ dataDir, databaseUrl: database.url, blobStoreUrl: undefined }));
  });
  after(async () => {
    for (const stores of instances) await stores.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Each instance's files service; its blob deletes are slow and recorded, so a race would show. */
  function filesOf(stores: Stores): FilesService {
    const blobs: BlobStore = {
      put: (...args) => stores.blobs.put(...args),
      get: (...args) => stores.blobs.get(...args),
      sweepPartials: (age) => stores.blobs.sweepPartials(age),
      freeBytes: () => stores.blobs.freeBytes(),
      ping: () => stores.blobs.ping(),
      async delete(key) {
        deletes.push(key);
        await new Promise((resolve) => setTimeout(resolve, 15));
        await stores.blobs.delete(key);
      },
    };
    return createFilesService({ metadata: stores.metadata, blobs, config, clock });
  }

  async function uploadExpiring(files: FilesService, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const parts = (async function* (): AsyncGenerator<UploadPart> {
        yield { kind: 'field', name: 'e2e', value: 'true' };
        yield { kind: 'field', name: 'e2e_salt', value: SALT.toString('base64') };
        yield { kind: 'field', name: 'e2e_iv', value: IV.toString('base64') };
        yield { kind: 'field', name: 'expires_in', value: '60' };
        yield { kind: 'file', name: 'file', stream: (async function* () { yield randomBytes(100); })() };
      })();
      ids.push((await files.upload(parts, '127.0.0.1')).record.id);
    }
    return ids;
  }

  async function sweepAtOnce(withLease: boolean): Promise<Array<{ outcome: SweepOutcome; removed: number }>> {
    const runs: Array<{ outcome: SweepOutcome; removed: number }> = [];
    const stops = instances.map((stores) => {
      const files = filesOf(stores);
      return startSweeper([{ name: 'files', run: () => files.sweep() }], 3600, silent, {
        onRun: (_task, outcome, removed) => runs.push({ outcome, removed }),
        ...(withLease ? { lease: { store: stores.leases, ttlSeconds: 300 } } : {}),
      });
    });
    await Promise.all(stops.map((stop) => stop()));
    return runs;
  }

  test('with the lease: one instance sweeps, the other skips; every blob is deleted exactly once', async () => {
    const files = filesOf(instances[0] as Stores);
    const ids = await uploadExpiring(files, 20);
    offsetMs += 120_000;
    deletes.length = 0;
    const runs = await sweepAtOnce(true);
    assert.deepEqual(runs.map((r) => r.outcome).sort(), ['ok', 'skipped']);
    assert.equal(runs.find((r) => r.outcome === 'ok')?.removed, 20);
    assert.deepEqual([...deletes].sort(), [...ids].sort(), 'each expired blob deleted once');
    assert.deepEqual(await allFileIds((instances[1] as Stores).metadata), []);
  });

  test('control: without the lease both instances race over the same files', async () => {
    const files = filesOf(instances[1] as Stores);
    await uploadExpiring(files, 20);
    offsetMs += 120_000;
    deletes.length = 0;
    const runs = await sweepAtOnce(false);
    assert.deepEqual(runs.map((r) => r.outcome), ['ok', 'ok']);
    assert.ok(deletes.length > 20, `the race deleted ${deletes.length} times for 20 files`);
  });

  test('the lease: held by one holder until it expires or is released; its holder renews it', async () => {
    const [a, b] = instances as [Stores, Stores];
    const now = new Date();
    assert.equal(await a.leases.acquire('test', 'holder-a', now, 60), true);
    assert.equal(await b.leases.acquire('test', 'holder-b', now, 60), false);
    assert.equal(await a.leases.acquire('test', 'holder-a', new Date(now.getTime() + 30_000), 60), true, 'renewed');
    assert.equal(await b.leases.acquire('test', 'holder-b', new Date(now.getTime() + 60_000), 60), false, 'the renewal moved the expiry');
    assert.equal(await b.leases.acquire('test', 'holder-b', new Date(now.getTime() + 90_000), 60), true, 'taken over once expired');
    await a.leases.release('test', 'holder-a');
    assert.equal(await a.leases.acquire('test', 'holder-a', new Date(now.getTime() + 91_000), 60), false, 'a release by a non-holder changes nothing');
    await b.leases.release('test', 'holder-b');
    assert.equal(await a.leases.acquire('test', 'holder-a', new Date(now.getTime() + 92_000), 60), true, 'free once released');
    // Many instances at once: exactly one gets it.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).leases.acquire('race', `holder-${i}`, now, 60)));
    assert.equal(results.filter(Boolean).length, 1);
  });
});
