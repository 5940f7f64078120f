import type { Kysely } from 'kysely';
import type { RateLimitStore } from '../rate-limit-store.js';
import type { Database } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

/** Fixed-window counters in the shared database: one upsert per request. */
export class SqlRateLimitStore implements RateLimitStore {
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
  }

  async hit(scope: string, subject: string, windowSeconds: number, now: Date): Promise<{ hits: number; resetsAt: Date }> {
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const resetsAt = windowStart + windowMs;
    const row = await this.#db
      .insertInto('rate_limit_counters')
      .values({ scope, subject, window_start: windowStart, hits: 1, expires_at: resetsAt })
      .onConflict((oc) => oc.columns(['scope', 'subject', 'window_start']).doUpdateSet((eb) => ({ hits: eb('rate_limit_counters.hits', '+', 1) })))
      .returning('hits')
      .executeTakeFirstOrThrow();
    return { hits: Number(row.hits), resetsAt: new Date(resetsAt) };
  }

  async sweep(now: Date): Promise<number> {
    const result = await this.#db.deleteFrom('rate_limit_counters').where('expires_at', '<=', now.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
