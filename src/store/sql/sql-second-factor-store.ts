import type { Kysely, Selectable } from 'kysely';
import type { NewSecondFactor, SecondFactorKind, SecondFactorRecord, SecondFactorStore } from '../second-factor-store.js';
import type { Database, SecondFactorsTable } from './schema.js';
import { isUniqueViolation, type SqlDatabase } from './sql-database.js';

const flag = (value: boolean) => (value ? 1 : 0);

/** Second factors over the shared SQL connection; the user is part of every statement on a factor. */
export class SqlSecondFactorStore implements SecondFactorStore {
  readonly #db: Kysely<Database>;
  // Locking the user's row serializes two creations for one user on PostgreSQL; SQLite has one writer.
  readonly #lock: boolean;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#lock = database.backend === 'postgres';
  }

  async create(factor: NewSecondFactor, limit: number): Promise<'created' | 'limit' | 'no_user'> {
    return this.#db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', factor.userId).$if(this.#lock, (q) => q.forUpdate()).executeTakeFirst();
      if (!user) return 'no_user';
      const { count } = await trx.selectFrom('second_factors').select((eb) => eb.fn.countAll<string | number>().as('count')).where('user_id', '=', factor.userId).executeTakeFirstOrThrow();
      if (Number(count) >= limit) return 'limit';
      await trx
        .insertInto('second_factors')
        .values({
          id: factor.id,
          user_id: factor.userId,
          kind: factor.kind,
          title: factor.title,
          active: flag(false),
          totp_secret: factor.totpSecret,
          credential_id: null,
          public_key: null,
          sign_count: null,
          origin: factor.origin,
          rp_id: factor.rpId,
          challenge: factor.challenge,
          challenge_issued_at: factor.challenge === null ? null : factor.createdAt.getTime(),
          created_at: factor.createdAt.getTime(),
        })
        .execute();
      return 'created';
    });
  }

  async list(userId: string, kind: SecondFactorKind): Promise<SecondFactorRecord[]> {
    const rows = await this.#db.selectFrom('second_factors').selectAll().where('user_id', '=', userId).where('kind', '=', kind).orderBy('created_at').orderBy('id').execute();
    return rows.map(toFactor);
  }

  async activeKinds(userId: string): Promise<Set<SecondFactorKind>> {
    const rows = await this.#db.selectFrom('second_factors').select('kind').distinct().where('user_id', '=', userId).where('active', '=', flag(true)).execute();
    return new Set(rows.map((r) => r.kind as SecondFactorKind));
  }

  async find(userId: string, id: string, kind: SecondFactorKind): Promise<SecondFactorRecord | undefined> {
    const row = await this.#db.selectFrom('second_factors').selectAll().where('id', '=', id).where('user_id', '=', userId).where('kind', '=', kind).executeTakeFirst();
    return row ? toFactor(row) : undefined;
  }

  async takeEnrolmentChallenge(userId: string, id: string, issuedNotBefore: Date): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('second_factors')
      .select(['challenge'])
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('active', '=', flag(false))
      .where('challenge_issued_at', '>=', issuedNotBefore.getTime())
      .executeTakeFirst();
    if (!row?.challenge) return undefined;
    // Compare-and-clear: of two requests with the same challenge only one clears it.
    const result = await this.#db.updateTable('second_factors').set({ challenge: null, challenge_issued_at: null }).where('id', '=', id).where('challenge', '=', row.challenge).executeTakeFirst();
    return result.numUpdatedRows === 1n ? row.challenge : undefined;
  }

  async activate(userId: string, id: string, kind: SecondFactorKind, credential?: { credentialId: string; publicKey: string; signCount: number }): Promise<boolean> {
    try {
      const result = await this.#db
        .updateTable('second_factors')
        .set({
          active: flag(true),
          ...(credential ? { credential_id: credential.credentialId, public_key: credential.publicKey, sign_count: credential.signCount } : {}),
        })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where('active', '=', flag(false))
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async remove(userId: string, id: string, kind: SecondFactorKind): Promise<boolean> {
    const result = await this.#db.deleteFrom('second_factors').where('id', '=', id).where('user_id', '=', userId).where('kind', '=', kind).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async findCredential(userId: string, credentialId: string): Promise<SecondFactorRecord | undefined> {
    const row = await this.#db
      .selectFrom('second_factors')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', 'webauthn')
      .where('active', '=', flag(true))
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    return row ? toFactor(row) : undefined;
  }

  async advanceSignCount(id: string, from: number, to: number): Promise<boolean> {
    const result = await this.#db.updateTable('second_factors').set({ sign_count: to }).where('id', '=', id).where('sign_count', '=', from).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async solveSession(sessionId: string, userId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({ second_factor_pending: flag(false), webauthn_challenge: null, webauthn_challenge_issued_at: null })
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('active', '=', flag(false))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async setSessionChallenge(sessionId: string, challenge: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({ webauthn_challenge: challenge, webauthn_challenge_issued_at: now.getTime() })
      .where('id', '=', sessionId)
      .where('active', '=', flag(false))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async takeSessionChallenge(sessionId: string, issuedNotBefore: Date): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(['webauthn_challenge'])
      .where('id', '=', sessionId)
      .where('active', '=', flag(false))
      .where('webauthn_challenge_issued_at', '>=', issuedNotBefore.getTime())
      .executeTakeFirst();
    if (!row?.webauthn_challenge) return undefined;
    const result = await this.#db
      .updateTable('sessions')
      .set({ webauthn_challenge: null, webauthn_challenge_issued_at: null })
      .where('id', '=', sessionId)
      .where('webauthn_challenge', '=', row.webauthn_challenge)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n ? row.webauthn_challenge : undefined;
  }
}

function toFactor(row: Selectable<SecondFactorsTable>): SecondFactorRecord {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind as SecondFactorKind,
    title: row.title,
    active: Boolean(row.active),
    totpSecret: row.totp_secret,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: row.sign_count === null ? null : Number(row.sign_count),
    origin: row.origin,
    rpId: row.rp_id,
    createdAt: new Date(Number(row.created_at)),
  };
}
