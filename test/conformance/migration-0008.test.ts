import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../src/store/sql/migrations/index.js';
import { openPostgresDatabase } from '../../src/store/sql/postgres-database.js';
import { SqlMetadataStore } from '../../src/store/sql/sql-metadata-store.js';
import { SqlUploadRecordStore } from '../../src/store/sql/sql-upload-record-store.js';
import { openSqliteDatabase } from '../../src/store/sql/sqlite-database.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/stores.js';

describe('migration 0008 (uploads) on a database that already holds files', () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    test(`${backend}: the files stay served and removable, and resumable uploads work beside them`, async () => {
      const dir = await tempDir();
      const pgDatabase = backend === 'postgres' ? await createTestDatabase() : undefined;
      const file = path.join(dir, 'old.sqlite');
      const old = new Kysely<Record<string, Record<string, unknown>>>({
        dialect: pgDatabase
          ? new PostgresDialect({ pool: new pg.Pool({ connectionString: pgDatabase.url, max: 1 }) })
          : new SqliteDialect({ database: new SQLite(file) }),
      });
      const ready = randomUUID();
      const pending = randomUUID();
      try {
        const { error } = await new Migrator({ db: old, provider: migrationProvider }).migrateTo('0005-one-default-datastore');
        assert.equal(error, undefined);
        const row = (id: string, state: string, size: number | null) => ({
          id, blob_key: id, state, owner_token_hash: 'a'.repeat(64), format: 'v1', salt_hex: '00'.repeat(16), iv_hex: '00'.repeat(12),
          size_bytes: size, created_at: 1, expires_at: 9e12, downloads: 0, touched_at: 1,
        });
        await old.insertInto('files').values([row(ready, 'ready', 300), row(pending, 'uploading', null)]).execute();
      } finally {
        await old.destroy();
      }
      const database = pgDatabase ? await openPostgresDatabase(pgDatabase.url) : await openSqliteDatabase(file);
      const metadata = new SqlMetadataStore(database);
      const records = new SqlUploadRecordStore(database);
      try {
        assert.equal((await metadata.getAvailableFile(ready, new Date(1000)))?.sizeBytes, 300);
        const id = randomUUID();
        const created = await records.createUpload(
          {
            file: { id, blobKey: id, ownerTokenHash: 'b'.repeat(64), format: 'v2', createdAt: new Date(1000) },
            uploadTokenHash: randomBytes(32).toString('hex'),
            lengthBytes: 10,
            ttlSeconds: 60,
            maxDownloads: null,
            clientAddress: '192.0.2.1',
          },
          4,
        );
        assert.equal(created, true);
        assert.equal(await records.isReceiving(id), true);
        // The old rows have no upload row: removing them is as before.
        await metadata.discardPendingFile(pending);
        await metadata.removeFile(ready);
        assert.equal(await metadata.getAvailableFile(ready, new Date(1000)), undefined);
        await metadata.discardPendingFile(id);
        assert.equal(await records.isReceiving(id), false, 'the upload row went with its file row');
      } finally {
        await metadata.close();
        await pgDatabase?.drop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
