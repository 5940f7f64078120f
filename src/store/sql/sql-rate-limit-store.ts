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

  async hit(scope: string, subject: string, windowSeconds: number, now: Date): Promise<{ hits: number; previousHits: number; resetsAt: Date }> {
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const resetsAt = windowStart + windowMs;
    const row = await this.#db
      .insertInto('rate_limit_counters')
      // Kept for two windows: the next one weighs this one's count (a sliding window).
      .values({ scope, subject, window_start: windowStart, hits: 1, expires_at: resetsAt + windowMs })
      .onConflict((oc) => oc.columns(['scope', 'subject', 'window_start']).doUpdateSet((eb) => ({ hits: eb('rate_limit_counters.hits', '+', 1) })))
      .returning('hits')
      .executeTakeFirstOrThrow();
    const previous = await this.#db
      .selectFrom('rate_limit_counters')
      .select('hits')
      .where('scope', '=', scope)
      .where('subject', '=', subject)
      .where('window_start', '=', windowStart - windowMs)
      .executeTakeFirst();
    return { hits: Number(row.hits), previousHits: Number(previous?.hits ?? 0), resetsAt: new Date(resetsAt) };
  }

  async peek(scope: string, subject: string, windowSeconds: number, now: Date): Promise<{ hits: number; previousHits: number; resetsAt: Date }> {
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const rows = await this.#db
      .selectFrom('rate_limit_counters')
      .select(['window_start', 'hits'])
      .where('scope', '=', scope)
      .where('subject', '=', subject)
      .where('window_start', 'in', [windowStart, windowStart - windowMs])
      .execute();
    const hitsAt = (start: number) => Number(rows.find((r) => Number(r.window_start) === start)?.hits ?? 0);
    return { hits: hitsAt(windowStart), previousHits: hitsAt(windowStart - windowMs), resetsAt: new Date(windowStart + windowMs) };
  }

  async sweep(now: Date): Promise<number> {
    const result = await this.#db.deleteFrom('rate_limit_counters').where('expires_at', '<=', now.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
