import type { Kysely } from 'kysely';

// The vault's accounts and sessions, the server's own key material, rate-limit counters and replay
// marks: everything that several instances must share lives here, never in process memory.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'varchar(256)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('email_hmac', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('email_ciphertext', 'text', (c) => c.notNull())
    .addColumn('email_nonce', 'varchar(48)', (c) => c.notNull())
    .addColumn('authkey_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('public_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('private_key', 'varchar(512)', (c) => c.notNull())
    .addColumn('private_key_nonce', 'varchar(48)', (c) => c.notNull())
    .addColumn('secret_key', 'varchar(512)', (c) => c.notNull())
    .addColumn('secret_key_nonce', 'varchar(48)', (c) => c.notNull())
    .addColumn('user_sauce', 'varchar(64)', (c) => c.notNull())
    .addColumn('hashing_algorithm', 'varchar(16)', (c) => c.notNull())
    .addColumn('hashing_parameters', 'varchar(255)', (c) => c.notNull())
    .addColumn('language', 'varchar(16)', (c) => c.notNull())
    .addColumn('zoneinfo', 'varchar(64)')
    .addColumn('is_active', 'boolean', (c) => c.notNull())
    .addColumn('is_email_active', 'boolean', (c) => c.notNull())
    .addColumn('registration_date', 'bigint', (c) => c.notNull())
    .addColumn('last_login', 'bigint')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_validator', 'varchar(64)')
    .addColumn('session_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('device_fingerprint', 'varchar(128)')
    .addColumn('device_description', 'varchar(256)')
    .addColumn('client_date', 'bigint')
    .addColumn('requires_validator', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('valid_till', 'bigint', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('read', 'boolean', (c) => c.notNull())
    .addColumn('write', 'boolean', (c) => c.notNull())
    .addColumn('api_key_id', 'varchar(36)')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('scope', 'varchar(32)', (c) => c.notNull())
    .addColumn('subject', 'varchar(128)', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_counters_pk', ['scope', 'subject', 'window_start'])
    .execute();

  await db.schema
    .createTable('replay_marks')
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('digest', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('replay_marks_pk', ['kind', 'digest'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['replay_marks', 'rate_limit_counters', 'sessions', 'users', 'server_secrets']) {
    await db.schema.dropTable(table).execute();
  }
}
