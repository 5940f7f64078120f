import type { Kysely } from 'kysely';

// Groups of the vault (docs/vault-protocol.md §3.10): a group has a name and a public key; its secret
// and private keys reach each member encrypted for that member (the server never holds them in clear).
// A membership is pending (accepted null) until its user accepts; a group share right gives every
// accepted member of the group rights on a share (docs/authorization.md). Removing a group removes its
// memberships and its rights; removing a user removes their memberships.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('public_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('group_memberships')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('group_id', 'varchar(36)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('creator_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('secret_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('secret_key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret_key_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('private_key', 'varchar(256)', (c) => c.notNull())
    .addColumn('private_key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('private_key_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('group_admin', 'boolean', (c) => c.notNull())
    .addColumn('share_admin', 'boolean', (c) => c.notNull())
    .addColumn('accepted', 'boolean')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('group_memberships_uq', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('group_memberships_user_idx').on('group_memberships').columns(['user_id', 'group_id']).execute();

  await db.schema
    .createTable('group_share_rights')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('share_id', 'varchar(36)', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('group_id', 'varchar(36)', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('creator_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('title', 'varchar(1024)', (c) => c.notNull())
    .addColumn('title_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(1024)', (c) => c.notNull())
    .addColumn('type_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('key', 'varchar(256)', (c) => c.notNull())
    .addColumn('key_nonce', 'varchar(64)', (c) => c.notNull())
    .addColumn('read', 'boolean', (c) => c.notNull())
    .addColumn('write', 'boolean', (c) => c.notNull())
    .addColumn('grant', 'boolean', (c) => c.notNull())
    .addColumn('expiration_date', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('write_date', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('group_share_rights_uq', ['share_id', 'group_id'])
    .execute();
  await db.schema.createIndex('group_share_rights_group_idx').on('group_share_rights').column('group_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['group_share_rights', 'group_memberships', 'groups']) await db.schema.dropTable(table).execute();
}
