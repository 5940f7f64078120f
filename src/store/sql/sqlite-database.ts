import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrate, queryLog, type SqlDatabaseOptions, type SqlDatabase } from './sql-database.js';

/** The embedded default: one SQLite file (WAL mode) in the data folder, migrated on open. */
export async function openSqliteDatabase(file: string, options: SqlDatabaseOptions = {}): Promise<SqlDatabase> {
  if (file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), ...queryLog(options) });
  await migrate(db);
  return { backend: 'sqlite', db, close: () => db.destroy() };
}
