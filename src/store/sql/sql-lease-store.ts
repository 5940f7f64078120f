import type { Kysely } from 'kysely';
import type { LeaseStore } from '../lease-store.js';
import type { Database } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

/** Leases as rows: an upsert that only overwrites an expired row or the holder's own. */
export class SqlLeaseStore implements LeaseStore {
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
  }

  async acquire(name: string, holder: string, now: Date, ttlSeconds: number): Promise<boolean> {
    const expiresAt = now.getTime() + ttlSeconds * 1000;
    const row = await this.#db
      .insertInto('leases')
      .values({ name, holder, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder, expires_at: expiresAt })
          .where((eb) => eb.or([eb('leases.expires_at', '<=', now.getTime()), eb('leases.holder', '=', holder)])),
      )
      .returning('holder')
      .executeTakeFirst();
    return row?.holder === holder;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.#db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }
}
