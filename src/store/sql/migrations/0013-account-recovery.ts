import type { Kysely } from 'kysely';

// Recovery codes and emergency codes of vault users (docs/vault-protocol.md §3.13–3.14). The server keeps an Argon2id
// hash of each code's authkey and the client's ciphertext of the user's keys, never a code or a key in clear. A
// verifier is a short-lived X25519 secret key of the server's own, used once. Rows go with their user.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    // One recovery code per user: a new one replaces the old.
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().unique().references('users.id').onDelete('cascade'))
    .addColumn('authkey_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(48)', (c) => c.notNull())
    .addColumn('sauce', 'varchar(64)', (c) => c.notNull())
    .addColumn('verifier', 'varchar(64)')
    .addColumn('verifier_issued_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('emergency_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('description', 'varchar(256)', (c) => c.notNull())
    .addColumn('activation_delay_seconds', 'bigint', (c) => c.notNull())
    // When the trusted person first asked: the start of the waiting period (server clock, ms).
    .addColumn('activated_at', 'bigint')
    .addColumn('authkey_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(48)', (c) => c.notNull())
    .addColumn('sauce', 'varchar(64)', (c) => c.notNull())
    .addColumn('verifier', 'varchar(64)')
    .addColumn('verifier_issued_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('emergency_codes_user_idx').on('emergency_codes').columns(['user_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('emergency_codes').execute();
  await db.schema.dropTable('recovery_codes').execute();
}
