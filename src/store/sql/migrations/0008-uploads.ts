import type { Kysely } from 'kysely';

// Resumable uploads (docs/uploads.md): one row per upload, owned by the pending file row of the
// same id, so removing the file removes its upload row with it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey().references('files.id').onDelete('cascade'))
    .addColumn('upload_token_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('length_bytes', 'bigint', (c) => c.notNull())
    .addColumn('ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_downloads', 'integer')
    // Only while unfinished (the bound per address); cleared on completion.
    .addColumn('client_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('lock_token', 'varchar(64)')
    .addColumn('lock_expires_at', 'bigint')
    .addColumn('release_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('uploads_address_state_idx').on('uploads').columns(['client_address', 'state']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('uploads').execute();
}
