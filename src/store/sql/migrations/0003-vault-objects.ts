import type { Kysely } from 'kysely';

// The vault's objects (spec §2.4, §3.5–3.9): every ciphertext is stored as the client sent it (hex).
// Links form the tree: a secret or share hangs under a datastore or a share through a link whose id
// the client chose. Rights on shares are per user; datastores belong to their owner alone.
export async function up(db: Kysely<unknown>): Promise<void> {
  const hexText = 'text';
  await db.schema
    .createTable('datastores')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'varchar(64)', (c) => c.notNull())
    .addColumn('data', hexText, (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('secret_key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('datastores_type_description_uq', ['user_id', 'type', 'description'])
    .execute();

  await db.schema
    .createTable('secrets')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('data', hexText, (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('read_count', 'integer', (c) => c.notNull())
    .addColumn('callback_url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('callback_user', 'varchar(128)', (c) => c.notNull())
    .addColumn('callback_pass', 'varchar(512)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('secret_history')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('secret_id', 'varchar(36)', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('data', hexText, (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('callback_url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('callback_user', 'varchar(128)', (c) => c.notNull())
    .addColumn('callback_pass', 'varchar(512)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('secret_history_secret_idx').on('secret_history').column('secret_id').execute();

  await db.schema
    .createTable('shares')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('data', hexText, (c) => c.notNull())
    .addColumn('data_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .execute();

  // One table for both kinds of link, so a link id is unique across secrets and shares.
  await db.schema
    .createTable('links')
    .addColumn('link_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('secret_id', 'varchar(36)', (c) => c.references('secrets.id').onDelete('cascade'))
    .addColumn('share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .addColumn('parent_datastore_id', 'varchar(36)', (c) => c.references('datastores.id').onDelete('cascade'))
    .addColumn('parent_share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('links_secret_idx').on('links').column('secret_id').execute();
  await db.schema.createIndex('links_share_idx').on('links').column('share_id').execute();
  await db.schema.createIndex('links_parent_share_idx').on('links').column('parent_share_id').execute();
  await db.schema.createIndex('links_parent_datastore_idx').on('links').column('parent_datastore_id').execute();

  await db.schema
    .createTable('user_share_rights')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('share_id', 'varchar(36)', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('creator_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('title', 'varchar(1024)', (c) => c.notNull())
    .addColumn('title_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(1024)', (c) => c.notNull())
    .addColumn('type_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('key', 'varchar(256)', (c) => c.notNull())
    .addColumn('key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('key_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('read', 'boolean', (c) => c.notNull())
    .addColumn('write', 'boolean', (c) => c.notNull())
    .addColumn('grant', 'boolean', (c) => c.notNull())
    .addColumn('accepted', 'boolean')
    .addColumn('expiration_date', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('user_share_rights_uq', ['share_id', 'user_id'])
    .execute();
  await db.schema.createIndex('user_share_rights_user_idx').on('user_share_rights').column('user_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'varchar(256)', (c) => c.notNull())
    .addColumn('public_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('private_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('private_key_nonce', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('secret_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('secret_key_nonce', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('user_private_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('user_private_key_nonce', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('user_secret_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('user_secret_key_nonce', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('verify_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('read', 'boolean', (c) => c.notNull())
    .addColumn('write', 'boolean', (c) => c.notNull())
    .addColumn('restrict_to_secrets', 'boolean', (c) => c.notNull())
    .addColumn('allow_insecure_access', 'boolean', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_user_idx').on('api_keys').column('user_id').execute();

  await db.schema
    .createTable('api_key_secrets')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('api_key_id', 'varchar(36)', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('secret_id', 'varchar(36)', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('secret_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('secret_key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('title', 'varchar(512)', (c) => c.notNull())
    .addColumn('title_nonce', 'varchar(64)', (c) => c.notNull())
    .addUniqueConstraint('api_key_secrets_uq', ['api_key_id', 'secret_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['api_key_secrets', 'api_keys', 'user_share_rights', 'links', 'shares', 'secret_history', 'secrets', 'datastores']) {
    await db.schema.dropTable(table).execute();
  }
}
