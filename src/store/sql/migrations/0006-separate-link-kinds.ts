import { sql, type Kysely } from 'kysely';

// Secret links and share-tree links get separate tables, so separate id spaces (issue 8 item 12):
// the official web client creates a share with the id of the secret link it is about to move into
// it. A share link also records who made it: rights inherited along it never exceed what that user
// holds directly on the child share (docs/authorization.md).
//
// Existing share links had no creator. Each gets the child share's owner when that owner may write
// the parent (owns the parent datastore, or holds an accepted, unexpired write right on the parent
// share), else the parent's owner. So a share created inside a parent keeps its recipients, while a
// link someone hung under a share of their own is capped by that someone's rights.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secret_links')
    .addColumn('link_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('secret_id', 'varchar(36)', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('parent_datastore_id', 'varchar(36)', (c) => c.references('datastores.id').onDelete('cascade'))
    .addColumn('parent_share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('secret_links_secret_idx').on('secret_links').column('secret_id').execute();
  await db.schema.createIndex('secret_links_parent_share_idx').on('secret_links').column('parent_share_id').execute();
  await db.schema.createIndex('secret_links_parent_datastore_idx').on('secret_links').column('parent_datastore_id').execute();

  await db.schema
    .createTable('share_links')
    .addColumn('link_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('share_id', 'varchar(36)', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('parent_datastore_id', 'varchar(36)', (c) => c.references('datastores.id').onDelete('cascade'))
    .addColumn('parent_share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .addColumn('creator_id', 'varchar(36)', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('share_links_share_idx').on('share_links').column('share_id').execute();
  await db.schema.createIndex('share_links_parent_share_idx').on('share_links').column('parent_share_id').execute();
  await db.schema.createIndex('share_links_parent_datastore_idx').on('share_links').column('parent_datastore_id').execute();

  await sql`
    insert into secret_links (link_id, secret_id, parent_datastore_id, parent_share_id)
    select link_id, secret_id, parent_datastore_id, parent_share_id from links where secret_id is not null`.execute(db);
  await sql`
    insert into share_links (link_id, share_id, parent_datastore_id, parent_share_id, creator_id)
    select l.link_id, l.share_id, l.parent_datastore_id, l.parent_share_id,
      case
        when child.user_id is not null and (
          exists (select 1 from datastores d where d.id = l.parent_datastore_id and d.user_id = child.user_id)
          or exists (
            select 1 from user_share_rights r
            where r.share_id = l.parent_share_id and r.user_id = child.user_id and r.accepted and r.write
              and (r.expiration_date is null or r.expiration_date > ${Date.now()})))
        then child.user_id
        when l.parent_datastore_id is not null then (select d.user_id from datastores d where d.id = l.parent_datastore_id)
        else (select p.user_id from shares p where p.id = l.parent_share_id)
      end
    from links l join shares child on child.id = l.share_id
    where l.share_id is not null`.execute(db);
  await db.schema.dropTable('links').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('links')
    .addColumn('link_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('secret_id', 'varchar(36)', (c) => c.references('secrets.id').onDelete('cascade'))
    .addColumn('share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .addColumn('parent_datastore_id', 'varchar(36)', (c) => c.references('datastores.id').onDelete('cascade'))
    .addColumn('parent_share_id', 'varchar(36)', (c) => c.references('shares.id').onDelete('cascade'))
    .execute();
  // A share link whose id a secret link also uses cannot go back into one id space: it is dropped.
  await sql`insert into links select link_id, secret_id, null, parent_datastore_id, parent_share_id from secret_links`.execute(db);
  await sql`
    insert into links select link_id, null, share_id, parent_datastore_id, parent_share_id from share_links s
    where not exists (select 1 from links l where l.link_id = s.link_id)`.execute(db);
  await db.schema.dropTable('share_links').execute();
  await db.schema.dropTable('secret_links').execute();
  for (const column of ['secret_id', 'share_id', 'parent_share_id', 'parent_datastore_id']) {
    await db.schema.createIndex(`links_${column.replace('_id', '')}_idx`).on('links').column(column).execute();
  }
}
