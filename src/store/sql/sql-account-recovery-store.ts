import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  AccountRecoveryStore,
  EmergencyCodeRecord,
  NewEmergencyCode,
  NewRecoveryCode,
  PasswordReset,
  RecoveryCodeRecord,
} from '../account-recovery-store.js';
import type { Database, EmergencyCodesTable, RecoveryCodesTable } from './schema.js';
import { isUniqueViolation, type SqlDatabase } from './sql-database.js';

const date = (value: number | string) => new Date(Number(value));
const maybeDate = (value: number | string | null) => (value === null ? null : date(value));

/** Recovery and emergency codes over the shared SQL connection; the user is part of every statement. */
export class SqlAccountRecoveryStore implements AccountRecoveryStore {
  readonly #db: Kysely<Database>;
  // Locking the user's row serializes two creations for one user on PostgreSQL; SQLite has one writer.
  readonly #lock: boolean;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#lock = database.backend === 'postgres';
  }

  async replaceRecoveryCode(code: NewRecoveryCode): Promise<boolean> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const user = await trx.selectFrom('users').select('id').where('id', '=', code.userId).executeTakeFirst();
        if (!user) return false;
        await trx.deleteFrom('recovery_codes').where('user_id', '=', code.userId).execute();
        await trx
          .insertInto('recovery_codes')
          .values({
            id: code.id,
            user_id: code.userId,
            authkey_hash: code.authkeyHash,
            data: code.data,
            data_nonce: code.dataNonce,
            sauce: code.sauce,
            verifier: null,
            verifier_issued_at: null,
            created_at: code.createdAt.getTime(),
          })
          .execute();
        return true;
      });
    } catch (error) {
      // Two replacements at once: the other one won, which is what the user asked for too.
      if (isUniqueViolation(error)) return true;
      throw error;
    }
  }

  async findRecoveryCode(userId: string): Promise<RecoveryCodeRecord | undefined> {
    const row = await this.#db.selectFrom('recovery_codes').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? toRecoveryCode(row) : undefined;
  }

  async issueRecoveryVerifier(userId: string, codeId: string, verifier: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('recovery_codes')
      .set({ verifier, verifier_issued_at: now.getTime() })
      .where('id', '=', codeId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async resetPassword(input: { userId: string; codeId: string; verifier: string; issuedNotBefore: Date; reset: PasswordReset }): Promise<boolean> {
    const { reset } = input;
    return this.#db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('recovery_codes')
        .set({ verifier: null, verifier_issued_at: null })
        .where('id', '=', input.codeId)
        .where('user_id', '=', input.userId)
        .where('verifier', '=', input.verifier)
        .where('verifier_issued_at', '>=', input.issuedNotBefore.getTime())
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) return false;
      const updated = await trx
        .updateTable('users')
        .set({
          authkey_hash: reset.authkeyHash,
          private_key: reset.privateKey,
          private_key_nonce: reset.privateKeyNonce,
          secret_key: reset.secretKey,
          secret_key_nonce: reset.secretKeyNonce,
          hashing_algorithm: reset.hashingAlgorithm,
          hashing_parameters: JSON.stringify(reset.hashingParameters),
        })
        .where('id', '=', input.userId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new Error('the user of a recovery code is gone');
      // A reset ends every session of the user, in the same transaction.
      await trx.deleteFrom('sessions').where('user_id', '=', input.userId).execute();
      return true;
    });
  }

  async createEmergencyCode(code: NewEmergencyCode, limit: number): Promise<'created' | 'limit' | 'no_user'> {
    return this.#db.transaction().execute(async (trx) => {
      let userQuery = trx.selectFrom('users').select('id').where('id', '=', code.userId);
      if (this.#lock) userQuery = userQuery.forUpdate();
      const user = await userQuery.executeTakeFirst();
      if (!user) return 'no_user';
      const held = await trx
        .selectFrom('emergency_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', code.userId)
        .executeTakeFirstOrThrow();
      if (Number(held.n) >= limit) return 'limit';
      await trx
        .insertInto('emergency_codes')
        .values({
          id: code.id,
          user_id: code.userId,
          description: code.description,
          activation_delay_seconds: code.activationDelaySeconds,
          activated_at: null,
          authkey_hash: code.authkeyHash,
          data: code.data,
          data_nonce: code.dataNonce,
          sauce: code.sauce,
          verifier: null,
          verifier_issued_at: null,
          created_at: code.createdAt.getTime(),
        })
        .execute();
      return 'created';
    });
  }

  async listEmergencyCodes(userId: string): Promise<EmergencyCodeRecord[]> {
    const rows = await this.#db.selectFrom('emergency_codes').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toEmergencyCode);
  }

  async deleteEmergencyCode(userId: string, codeId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('emergency_codes').where('id', '=', codeId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async armEmergencyCode(userId: string, codeId: string, now: Date): Promise<{ code: EmergencyCodeRecord; started: boolean } | undefined> {
    // Set once: a later request never moves the start of the waiting period.
    const armed = await this.#db
      .updateTable('emergency_codes')
      .set({ activated_at: now.getTime() })
      .where('id', '=', codeId)
      .where('user_id', '=', userId)
      .where('activated_at', 'is', null)
      .executeTakeFirst();
    const row = await this.#db.selectFrom('emergency_codes').selectAll().where('id', '=', codeId).where('user_id', '=', userId).executeTakeFirst();
    return row ? { code: toEmergencyCode(row), started: Number(armed.numUpdatedRows) === 1 } : undefined;
  }

  async issueEmergencyVerifier(userId: string, codeId: string, verifier: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('emergency_codes')
      .set({ verifier, verifier_issued_at: now.getTime() })
      .where('id', '=', codeId)
      .where('user_id', '=', userId)
      .where(waitingPeriodOver(now))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async useEmergencyVerifier(input: { userId: string; codeId: string; verifier: string; issuedNotBefore: Date; now: Date }): Promise<boolean> {
    const result = await this.#db
      .updateTable('emergency_codes')
      .set({ verifier: null, verifier_issued_at: null })
      .where('id', '=', input.codeId)
      .where('user_id', '=', input.userId)
      .where('verifier', '=', input.verifier)
      .where('verifier_issued_at', '>=', input.issuedNotBefore.getTime())
      .where(waitingPeriodOver(input.now))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

/** The waiting period of a code is over at `now`: it was armed, and activated_at + delay ≤ now (ms, server clock). */
const waitingPeriodOver = (now: Date) => sql<boolean>`activated_at is not null and activated_at + activation_delay_seconds * 1000 <= ${now.getTime()}`;

function toRecoveryCode(row: Selectable<RecoveryCodesTable>): RecoveryCodeRecord {
  return {
    id: row.id,
    userId: row.user_id,
    authkeyHash: row.authkey_hash,
    data: row.data,
    dataNonce: row.data_nonce,
    sauce: row.sauce,
    verifier: row.verifier,
    verifierIssuedAt: maybeDate(row.verifier_issued_at),
    createdAt: date(row.created_at),
  };
}

function toEmergencyCode(row: Selectable<EmergencyCodesTable>): EmergencyCodeRecord {
  return {
    ...toRecoveryCode(row),
    description: row.description,
    activationDelaySeconds: Number(row.activation_delay_seconds),
    activatedAt: maybeDate(row.activated_at),
  };
}
