import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { migrate, queryLog, type SqlDatabaseOptions, type SqlDatabase } from './sql-database.js';

/** PostgreSQL, for several server instances behind a load balancer; migrated on open. */
export async function openPostgresDatabase(connectionString: string, options: { maxConnections?: number } & SqlDatabaseOptions = {}): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would end the process. The next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...queryLog(options) });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { backend: 'postgres', db, close: () => db.destroy() };
}
