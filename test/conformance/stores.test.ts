import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/store/blob/s3-blob-store.js';
import { parseS3Location } from '../../src/store/blob/s3-location.js';
import { startFaultyProxy } from '../helpers/faulty-proxy.js';
import { startS3Server } from '../helpers/s3-server.js';
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../src/store/sql/migrations/index.js';
import type { Database } from '../../src/store/sql/schema.js';
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
import { linkSharesSuite } from './link-shares.js';
import { blobStoreSuite } from './blob-store.js';
import { metadataStoreSuite } from './metadata-store.js';
import { uploadRecordsSuite } from './upload-records.js';
import { uploadStoreSuite } from './upload-store.js';
import { FsUploadStore } from '../../src/store/blob/fs-upload-store.js';
import { S3UploadStore } from '../../src/store/blob/s3-upload-store.js';

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
    leavePartial: () => writeFile(path.join(dir, 'partial', 'crashed.x1'), 'half'),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

// s3rver on loopback, reached through a proxy that can break it; parts of 64 KiB so that a 1 MiB
// blob is a multipart upload of 17 parts (s3rver does not enforce S3's 5 MiB floor).
blobStoreSuite(
  'S3 (s3rver)',
  async () => {
    const s3 = await startS3Server();
    const proxy = await startFaultyProxy(s3.endpoint);
    const location = parseS3Location(s3.blobStoreUrl({ prefix: 'conformance', endpoint: proxy.url }));
    const store = new S3BlobStore({ location, partSizeBytes: 65_536, idleTimeoutMs: 1_000, maxAttempts: 2 });
    // The harness looks at the server directly, past the proxy.
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    const Bucket = s3.bucket;
    const objectRequest = (request: { method?: string; url?: string }) => !/[?&](uploads|uploadId)(=|&|$)/.test(request.url ?? '');
    return {
      store,
      countPartials: async () => (await direct.send(new ListMultipartUploadsCommand({ Bucket, Prefix: location.prefix }))).Uploads?.length ?? 0,
      async leavePartial() {
        const Key = `${location.prefix}crashed`;
        const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        await direct.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from('half') }));
      },
      faults: {
        failUploadMidway: (kind) =>
          proxy.setFault({ kind: kind === 'error' ? 'status500' : 'stall', when: (r) => r.method === 'PUT' && /[?&]partNumber=(?:[2-9]|\d{2,})(?:&|$)/.test(r.url ?? '') }),
        failUploadCompletion: () => proxy.setFault({ kind: 'status500', when: (r) => r.method === 'POST' && /[?&]uploadId=/.test(r.url ?? '') }),
        breakDownloads: (kind, afterBytes) =>
          proxy.setFault({ kind: kind === 'cut' ? 'cutBody' : 'stallBody', afterBytes, when: (r) => r.method === 'GET' && objectRequest(r) }),
        failReads: () => proxy.setFault({ kind: 'status500', when: (r) => r.method === 'GET' || r.method === 'HEAD' }),
        clear: () => proxy.setFault(undefined),
      },
      async close() {
        store.close();
        direct.destroy();
        await proxy.close();
        await s3.close();
      },
    };
  },
  { faults: true },
);
describe('migration 0007 on a database that already holds files', () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    test(`${backend}: reserved bytes and the storage counter start from the files already stored`, async () => {
      const dir = await tempDir();
      const pgDatabase = backend === 'postgres' ? await createTestDatabase() : undefined;
      const file = path.join(dir, 'old.sqlite');
      const old = new Kysely<Database>({
        dialect: pgDatabase
          ? new PostgresDialect({ pool: new pg.Pool({ connectionString: pgDatabase.url, max: 1 }) })
          : new SqliteDialect({ database: new SQLite(file) }),
      });
      try {
        const { error } = await new Migrator({ db: old, provider: migrationProvider }).migrateTo('0005-one-default-datastore');
        assert.equal(error, undefined);
        const row = (id: string, state: string, size: number | null) => ({
          id, blob_key: id, state, owner_token_hash: 'a'.repeat(64), format: 'v1', size_bytes: size, created_at: 1, expires_at: 9e12, downloads: 0, touched_at: 1,
        });
        await (old as unknown as Kysely<Record<string, Record<string, unknown>>>)
          .insertInto('files')
          .values([row(randomUUID(), 'ready', 5_000_000_000), row(randomUUID(), 'ready', 300), row(randomUUID(), 'uploading', null)])
          .execute();
      } finally {
        await old.destroy();
      }
      const database = pgDatabase ? await openPostgresDatabase(pgDatabase.url) : await openSqliteDatabase(file);
      const store = new SqlMetadataStore(database);
      try {
        assert.equal((await store.uploadUsage()).storedBytes, 5_000_000_300);
        const rows = await database.db.selectFrom('files').select(['state', 'reserved_bytes']).execute();
        assert.deepEqual(rows.map((r) => Number(r.reserved_bytes)).sort((a, b) => a - b), [0, 300, 5_000_000_000]);
      } finally {
        await store.close();
        await pgDatabase?.drop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

uploadStoreSuite('folder', async () => {
  const dir = await tempDir();
  const blobs = await FsBlobStore.open(dir);
  const uploads = await FsUploadStore.open(dir, blobs);
  return { uploads, blobs, close: () => rm(dir, { recursive: true, force: true }) };
});

// Pieces of 64 KiB, so that the larger cases and the broken source span several of them.
uploadStoreSuite('S3 (s3rver)', async () => {
  const s3 = await startS3Server();
  const blobs = new S3BlobStore({ location: parseS3Location(s3.blobStoreUrl({ prefix: 'conformance-uploads' })), partSizeBytes: 65_536 });
  const uploads = new S3UploadStore(blobs, { pieceBytes: 65_536 });
  return {
    uploads,
    blobs,
    async close() {
      blobs.close();
      await s3.close();
    },
  };
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

for (const backend of ['sqlite', 'postgres'] as const) {
  linkSharesSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { vault: stores.vault, objects: stores.objects, linkShares: stores.linkShares, admin: stores.admin, close: () => stores.close() };
  });
}
