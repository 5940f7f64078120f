import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

/** The embedded default: one SQLite file (WAL mode) in the data folder. */
export class SqliteMetadataStore extends SqlMetadataStore {
  readonly backend = 'sqlite' as const;

  static async open(file: string): Promise<SqliteMetadataStore> {
    if (file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    const database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    const store = new SqliteMetadataStore(new Kysely<Database>({ dialect: new SqliteDialect({ database }) }));
    await store.migrate();
    return store;
  }
}
