import { sql, type Kysely } from 'kysely';
import type { AdminSession, AdminStore, AdminUser, FileStats } from '../admin-store.js';
import type { Database } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlAdminStore implements AdminStore {
  readonly #db: Kysely<Database>;
  readonly #backend: 'sqlite' | 'postgres';

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#backend = database.backend;
  }

  async listUsers(): Promise<AdminUser[]> {
    const rows = await this.#db
      .selectFrom('users')
      .leftJoin('sessions', 'sessions.user_id', 'users.id')
      .select(['users.id', 'users.username', 'users.is_active', 'users.registration_date', 'users.last_login'])
      .select((eb) => eb.fn.count<number | string>('sessions.id').as('sessions'))
      .groupBy(['users.id', 'users.username', 'users.is_active', 'users.registration_date', 'users.last_login'])
      .orderBy('users.username')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      username: row.username,
      isActive: Boolean(row.is_active),
      registrationDate: new Date(Number(row.registration_date)),
      lastLogin: row.last_login === null ? null : new Date(Number(row.last_login)),
      sessions: Number(row.sessions),
    }));
  }

  async setUserActive(username: string, active: boolean): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const user = await tx.updateTable('users').set({ is_active: active ? 1 : 0 }).where('username', '=', username).returning('id').executeTakeFirst();
      if (!user) return false;
      if (!active) await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      return true;
    });
  }

  async listSessions(username?: string): Promise<AdminSession[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.id', 'users.username', 'sessions.created_at', 'sessions.valid_till', 'sessions.active', 'sessions.api_key_id', 'sessions.device_description'])
      .$if(username !== undefined, (qb) => qb.where('users.username', '=', username ?? ''))
      .orderBy('sessions.created_at')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      username: row.username,
      createdAt: new Date(Number(row.created_at)),
      validTill: new Date(Number(row.valid_till)),
      active: Boolean(row.active),
      apiKey: row.api_key_id !== null,
      deviceDescription: row.device_description,
    }));
  }

  async endSession(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async fileStats(now: Date): Promise<FileStats> {
    const states = await this.#db.selectFrom('files').select(['state']).select((eb) => eb.fn.countAll<number | string>().as('n')).groupBy('state').execute();
    const ready = await this.#db
      .selectFrom('files')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('size_bytes'), sql<number>`0`).as('bytes'))
      .where('state', '=', 'ready')
      .executeTakeFirstOrThrow();
    const awaiting = await this.#db
      .selectFrom('files')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('state', '=', 'ready')
      .where((eb) => eb.or([eb('expires_at', '<=', now.getTime()), eb.and([eb('max_downloads', 'is not', null), eb('downloads', '>=', eb.ref('max_downloads'))])]))
      .executeTakeFirstOrThrow();
    return {
      byState: Object.fromEntries(states.map((row) => [row.state, Number(row.n)])),
      readyBytes: Number(ready.bytes),
      awaitingSweep: Number(awaiting.n),
    };
  }

  async databaseBytes(): Promise<number> {
    if (this.#backend === 'postgres') {
      const { rows } = await sql<{ bytes: string }>`select pg_database_size(current_database()) as bytes`.execute(this.#db);
      return Number(rows[0]?.bytes ?? 0);
    }
    const { rows } = await sql<{ bytes: number }>`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`.execute(this.#db);
    return Number(rows[0]?.bytes ?? 0);
  }
}
