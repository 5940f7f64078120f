// A migration number reserved for a branch (0012) can land after a later one (0013) was applied on a deployment:
// `migrate` still applies it, where Kysely's default (ordered) migrator refuses to start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../../src/store/sql/migrations/index.js';
import type { Database as Schema } from '../../../src/store/sql/schema.js';
import { migrate } from '../../../src/store/sql/sql-database.js';

async function databaseWithout(name: string): Promise<Kysely<Schema>> {
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  const all = await migrationProvider.getMigrations();
  const older = Object.fromEntries(Object.entries(all).filter(([key]) => key !== name));
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest();
  assert.equal(error, undefined);
  return db;
}

test('0012 applies on a database that already ran 0013 (and the ordered migrator would refuse: control)', async () => {
  const strict = await databaseWithout('0012-second-factors');
  try {
    const { error } = await new Migrator({ db: strict, provider: migrationProvider }).migrateToLatest();
    assert.match(String(error), /corrupted migrations/);
  } finally {
    await strict.destroy();
  }
  const db = await databaseWithout('0012-second-factors');
  try {
    await migrate(db);
    const tables = await db.introspection.getTables();
    assert.ok(tables.some((t) => t.name === 'second_factors'));
    assert.ok(tables.find((t) => t.name === 'sessions')?.columns.some((c) => c.name === 'second_factor_pending'));
  } finally {
    await db.destroy();
  }
});
