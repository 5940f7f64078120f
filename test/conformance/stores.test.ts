import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { PostgresMetadataStore } from '../../src/store/sql/postgres-metadata-store.js';
import { SqliteMetadataStore } from '../../src/store/sql/sqlite-metadata-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { allFileIds, openTestStores, tempDir } from '../helpers/stores.js';
import { vaultObjectsSuite } from './vault-objects.js';
import { vaultStoresSuite } from './vault-stores.js';
import { blobStoreSuite } from './blob-store.js';
import { metadataStoreSuite } from './metadata-store.js';
import { uploadRecordsSuite } from './upload-records.js';
import { uploadStoreSuite } from './upload-store.js';
import { FsUploadStore } from '../../src/store/blob/fs-upload-store.js';

metadataStoreSuite('SQLite', async () => {
  const dir = await tempDir();
  const store = await SqliteMetadataStore.open(path.join(dir, 'meta.sqlite'));
  return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});

metadataStoreSuite('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresMetadataStore.open(database.url);
  return { store, close: async () => { await store.close(); await database.drop(); } };
});

blobStoreSuite('folder', async () => {
  const dir = await tempDir();
  const store = await FsBlobStore.open(dir);
  return {
    store,
    countPartials: async () => (await readdir(path.join(dir, 'partial'))).length,
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

uploadStoreSuite('folder', async () => {
  const dir = await tempDir();
  const blobs = await FsBlobStore.open(dir);
  const uploads = await FsUploadStore.open(dir, blobs);
  return { uploads, blobs, close: () => rm(dir, { recursive: true, force: true }) };
});

for (const backend of ['sqlite', 'postgres'] as const) {
  uploadRecordsSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { records: stores.uploadRecords, metadata: stores.metadata, close: () => stores.close() };
  });
}

describe('PostgreSQL migrations', () => {
  test('two instances starting at once on a fresh database both come up, with one schema', async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([PostgresMetadataStore.open(database.url), PostgresMetadataStore.open(database.url), PostgresMetadataStore.open(database.url)]);
      for (const store of stores) await store.ping();
      const check = await PostgresMetadataStore.open(database.url);
      assert.deepEqual(await allFileIds(check), []);
      await Promise.all([...stores, check].map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });
});

for (const backend of ['sqlite', 'postgres'] as const) {
  vaultStoresSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { vault: stores.vault, rateLimits: stores.rateLimits, replays: stores.replays, close: () => stores.close() };
  });
}

for (const backend of ['sqlite', 'postgres'] as const) {
  vaultObjectsSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { vault: stores.vault, objects: stores.objects, apiKeys: stores.apiKeys, close: () => stores.close() };
  });
}
