import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { PostgresMetadataStore } from '../../src/store/sql/postgres-metadata-store.js';
import { openPostgresDatabase } from '../../src/store/sql/postgres-database.js';
import type { SqlDatabase } from '../../src/store/sql/sql-database.js';
import { SqlMetadataStore } from '../../src/store/sql/sql-metadata-store.js';
import { openSqliteDatabase } from '../../src/store/sql/sqlite-database.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { allFileIds, openTestStores, tempDir } from '../helpers/stores.js';
import { vaultObjectsSuite } from './vault-objects.js';
import { vaultStoresSuite } from './vault-stores.js';
import { blobStoreSuite } from './blob-store.js';
import { metadataStoreSuite } from './metadata-store.js';

const clearExpiry = (database: SqlDatabase) => async (id: string) => {
  await database.db.updateTable('files').set({ expires_at: null }).where('id', '=', id).execute();
};

metadataStoreSuite('SQLite', async () => {
  const dir = await tempDir();
  const database = await openSqliteDatabase(path.join(dir, 'meta.sqlite'));
  const store = new SqlMetadataStore(database);
  return { store, clearExpiry: clearExpiry(database), close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});

metadataStoreSuite('PostgreSQL', async () => {
  const test = await createTestDatabase();
  const database = await openPostgresDatabase(test.url);
  const store = new SqlMetadataStore(database);
  return { store, clearExpiry: clearExpiry(database), close: async () => { await store.close(); await test.drop(); } };
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
