import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

/** PostgreSQL, for several server instances behind a load balancer. */
export class PostgresMetadataStore extends SqlMetadataStore {
  readonly backend = 'postgres' as const;

  static async open(connectionString: string, options: { maxConnections?: number } = {}): Promise<PostgresMetadataStore> {
    const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
    // An idle client that loses its connection emits 'error' on the pool; without a listener that
    // would end the process. The next query reconnects.
    pool.on('error', () => {});
    const store = new PostgresMetadataStore(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }));
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
}
