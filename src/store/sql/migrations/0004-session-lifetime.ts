import type { Kysely } from 'kysely';

// A password login's session lives 10 minutes until it is activated; its requested lifetime, kept
// here, starts at activation. An abandoned login no longer keeps its keys for days.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('lifetime_seconds', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('lifetime_seconds').execute();
}
