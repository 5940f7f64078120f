import { openPostgresDatabase } from './postgres-database.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

/** The metadata store in PostgreSQL. */
export class PostgresMetadataStore extends SqlMetadataStore {
  static async open(connectionString: string): Promise<PostgresMetadataStore> {
    return new PostgresMetadataStore(await openPostgresDatabase(connectionString));
  }
}
