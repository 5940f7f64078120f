import { sql, type Kysely } from 'kysely';

// At most one default datastore per owner and type, whatever requests race (spec §3.5). A partial
// unique index, which SQLite and PostgreSQL both have.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create unique index datastores_one_default_idx on datastores (user_id, type) where is_default`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index datastores_one_default_idx`.execute(db);
}
