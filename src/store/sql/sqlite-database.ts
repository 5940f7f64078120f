import { open } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { ensurePrivateFolder, makeOwnerOnly } from '../private-folder.js';
import type { Database } from './schema.js';
import { migrate, queryLog, type SqlDatabaseOptions, type SqlDatabase } from './sql-database.js';

/**
 * The embedded default: one SQLite file (WAL mode) in the data folder, migrated on open. The file
 * holds the server's keys unless they come from elsewhere: it and its folder are owner-only.
 */
export async function openSqliteDatabase(file: string, options: SqlDatabaseOptions = {}): Promise<SqlDatabase> {
  const onDisk = file !== ':memory:';
  if (onDisk) {
    await ensurePrivateFolder(path.dirname(path.resolve(file)), 'the database folder');
    // Made 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database's mode.
    await (await open(file, 'a', 0o600)).close();
    await makeOwnerOnly(file);
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), ...queryLog(options) });
  await migrate(db);
  // Files an older version (or another umask) left readable.
  if (onDisk) for (const suffix of ['-wal', '-shm']) await makeOwnerOnly(`${file}${suffix}`);
  return { backend: 'sqlite', db, close: () => db.destroy() };
}
