import { openSqliteDatabase } from './sqlite-database.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

/** The metadata store in one SQLite file. */
export class SqliteMetadataStore extends SqlMetadataStore {
  static async open(file: string): Promise<SqliteMetadataStore> {
    return new SqliteMetadataStore(await openSqliteDatabase(file));
  }
}
