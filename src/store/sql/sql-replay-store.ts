import type { Kysely } from 'kysely';
import type { ReplayStore } from '../replay-store.js';
import type { Database } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

/** Single-use marks in the shared database: the primary key makes the second insert lose. */
export class SqlReplayStore implements ReplayStore {
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
  }

  async remember(kind: string, digest: string, expiresAt: Date, now: Date): Promise<boolean> {
    // A mark that has expired no longer blocks its digest.
    await this.#db.deleteFrom('replay_marks').where('kind', '=', kind).where('digest', '=', digest).where('expires_at', '<=', now.getTime()).execute();
    const inserted = await this.#db
      .insertInto('replay_marks')
      .values({ kind, digest, expires_at: expiresAt.getTime() })
      .onConflict((oc) => oc.columns(['kind', 'digest']).doNothing())
      .returning('digest')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async sweep(now: Date): Promise<number> {
    const result = await this.#db.deleteFrom('replay_marks').where('expires_at', '<=', now.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
