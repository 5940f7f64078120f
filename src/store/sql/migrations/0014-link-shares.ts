import type { Kysely } from 'kysely';

// Link shares of vault entries (docs/vault-protocol.md §3.16): the client's ciphertext of the entry's key (`node`,
// opened by the link secret in the URL's fragment, never sent here), the reads left, the expiry and an Argon2id hash
// of the optional passphrase. A row goes with its creator and with its entry.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('link_shares')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_id', 'varchar(36)', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('public_title', 'varchar(256)', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('node_nonce', 'varchar(48)', (c) => c.notNull())
    // Null: no limit. Counted down by each open, in the statement that checks it is above 0.
    .addColumn('allowed_reads', 'bigint')
    .addColumn('passphrase_hash', 'varchar(255)')
    // Null: no expiry (server clock, ms).
    .addColumn('valid_till', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('link_shares_user_idx').on('link_shares').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('link_shares_secret_idx').on('link_shares').column('secret_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('link_shares').execute();
}
