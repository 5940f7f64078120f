import { sql, type Kysely } from 'kysely';

// Storage bounds and tied resumes (issue 8, items 6 and 7).
// - files.reserved_bytes: bytes an upload has reserved so far (its size once ready); the sum over all
//   rows is kept in storage_usage('files') in the same transactions, so every instance counts the
//   same bytes against FILE_STORAGE_CAP_BYTES.
// - upload_quota: bytes accepted per client address and fixed window (FILE_UPLOAD_QUOTA).
// - file_resumes: one row per counted download, keyed by the SHA-256 of the resume token returned
//   with it; bytes_left bounds what its resumes may still serve.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('files').addColumn('reserved_bytes', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update files set reserved_bytes = coalesce(size_bytes, 0)`.execute(db);

  await db.schema
    .createTable('storage_usage')
    .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into storage_usage (name, bytes) select 'files', coalesce(sum(reserved_bytes), 0) from files`.execute(db);

  await db.schema
    .createTable('upload_quota')
    .addColumn('subject', 'varchar(64)', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_quota_pk', ['subject', 'window_start'])
    .execute();
  await db.schema.createIndex('upload_quota_expires_idx').on('upload_quota').column('expires_at').execute();

  await db.schema
    .createTable('file_resumes')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('file_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('bytes_left', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('file_resumes_file_idx').on('file_resumes').column('file_id').execute();
  await db.schema.createIndex('file_resumes_expires_idx').on('file_resumes').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('file_resumes').execute();
  await db.schema.dropTable('upload_quota').execute();
  await db.schema.dropTable('storage_usage').execute();
  await db.schema.alterTable('files').dropColumn('reserved_bytes').execute();
}
