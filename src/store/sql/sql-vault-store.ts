import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import type {
  CreateUserResult,
  HashingParameters,
  NewUser,
  SessionRecord,
  UserChanges,
  UserRecord,
  VaultStore,
} from '../vault-store.js';
import type { Database, SessionsTable, UsersTable } from './schema.js';
import { isUniqueViolation, type SqlDatabase } from './sql-database.js';

// SQLite has no boolean type and better-sqlite3 binds no JS booleans; PostgreSQL casts '1'/'0'.
const flag = (value: boolean) => (value ? 1 : 0);
const millis = (value: Date | null) => (value === null ? null : value.getTime());
const date = (value: number | string) => new Date(Number(value));
// Ids per `in (…)` list: far below SQLite's and PostgreSQL's parameter limits.
const CHUNK = 500;
function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** Accounts and sessions over the shared SQL connection (SQLite or PostgreSQL). */
export class SqlVaultStore implements VaultStore {
  readonly #db: Kysely<Database>;
  // Row locks serialize a login's session insert with a password change or deletion; SQLite has
  // one writer at a time anyway.
  readonly #lock: boolean;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#lock = database.backend === 'postgres';
  }

  async getOrCreateServerSecret(name: string, create: () => string): Promise<string> {
    const existing = await this.#db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirst();
    if (existing) return existing.value;
    await this.#db
      .insertInto('server_secrets')
      .values({ name, value: create() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const stored = await this.#db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return stored.value;
  }

  async createUser(user: NewUser): Promise<CreateUserResult> {
    try {
      await this.#db
        .insertInto('users')
        .values({
          id: user.id,
          username: user.username,
          email_hmac: user.emailHmac,
          email_ciphertext: user.emailCiphertext,
          email_nonce: user.emailNonce,
          authkey_hash: user.authkeyHash,
          public_key: user.publicKey,
          private_key: user.privateKey,
          private_key_nonce: user.privateKeyNonce,
          secret_key: user.secretKey,
          secret_key_nonce: user.secretKeyNonce,
          user_sauce: user.userSauce,
          hashing_algorithm: user.hashingAlgorithm,
          hashing_parameters: JSON.stringify(user.hashingParameters),
          language: user.language,
          zoneinfo: null,
          is_active: flag(user.isActive),
          is_email_active: flag(user.isEmailActive),
          registration_date: user.registrationDate.getTime(),
          last_login: null,
        })
        .execute();
      return 'created';
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return (await this.findUserByUsername(user.username)) ? 'username_taken' : 'email_taken';
    }
  }

  async findUserById(id: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findUserByUsername(username: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && toUser(row);
  }

  async findUserByEmailHmac(emailHmac: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('email_hmac', '=', emailHmac).executeTakeFirst();
    return row && toUser(row);
  }

  async updateUser(id: string, changes: UserChanges, options: { endSessionsExcept?: string } = {}): Promise<'updated' | 'not_found' | 'email_taken'> {
    const set: Updateable<UsersTable> = {};
    if (changes.emailHmac !== undefined) set.email_hmac = changes.emailHmac;
    if (changes.emailCiphertext !== undefined) set.email_ciphertext = changes.emailCiphertext;
    if (changes.emailNonce !== undefined) set.email_nonce = changes.emailNonce;
    if (changes.authkeyHash !== undefined) set.authkey_hash = changes.authkeyHash;
    if (changes.privateKey !== undefined) set.private_key = changes.privateKey;
    if (changes.privateKeyNonce !== undefined) set.private_key_nonce = changes.privateKeyNonce;
    if (changes.secretKey !== undefined) set.secret_key = changes.secretKey;
    if (changes.secretKeyNonce !== undefined) set.secret_key_nonce = changes.secretKeyNonce;
    if (changes.hashingAlgorithm !== undefined) set.hashing_algorithm = changes.hashingAlgorithm;
    if (changes.hashingParameters !== undefined) set.hashing_parameters = JSON.stringify(changes.hashingParameters);
    if (changes.userSauce !== undefined) set.user_sauce = changes.userSauce;
    if (changes.language !== undefined) set.language = changes.language;
    if (changes.zoneinfo !== undefined) set.zoneinfo = changes.zoneinfo;
    if (changes.lastLogin !== undefined) set.last_login = millis(changes.lastLogin);
    if (Object.keys(set).length === 0) return (await this.findUserById(id)) ? 'updated' : 'not_found';
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const result = await tx.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
        if (result.numUpdatedRows !== 1n) return 'not_found' as const;
        if (options.endSessionsExcept !== undefined) {
          await tx.deleteFrom('sessions').where('user_id', '=', id).where('id', '!=', options.endSessionsExcept).execute();
        }
        return 'updated' as const;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return 'email_taken';
      throw error;
    }
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const user = await tx.selectFrom('users').select('id').where('id', '=', id).$if(this.#lock, (qb) => qb.forUpdate()).executeTakeFirst();
      if (!user) return false;
      // What may become unreachable with the user (spec §3.4): the shares under their datastores (at
      // any depth), the shares they made or hold a right on, the secrets hanging in either, the
      // secrets they made, the groups they were a member of. Only these are looked at afterwards.
      const { rows: shareRows } = await sql<{ id: string }>`
        with recursive reached(id) as (
          select seed.id from (
            select sl.share_id as id from share_links sl join datastores d on d.id = sl.parent_datastore_id where d.user_id = ${id}
            union select ur.share_id from user_share_rights ur where ur.user_id = ${id}
            union select s.id from shares s where s.user_id = ${id}
          ) seed
          union
          select sl.share_id from share_links sl join reached on sl.parent_share_id = reached.id
        )
        select id from reached`.execute(tx);
      const shareIds = shareRows.map((r) => r.id);
      const secretIds = new Set<string>();
      const datastoreSecrets = await tx
        .selectFrom('secret_links')
        .innerJoin('datastores', 'datastores.id', 'secret_links.parent_datastore_id')
        .select('secret_links.secret_id')
        .where('datastores.user_id', '=', id)
        .execute();
      for (const row of datastoreSecrets) secretIds.add(row.secret_id);
      for (const row of await tx.selectFrom('secrets').select('id').where('user_id', '=', id).execute()) secretIds.add(row.id);
      for (const chunk of chunks(shareIds)) {
        for (const row of await tx.selectFrom('secret_links').select('secret_id').where('parent_share_id', 'in', chunk).execute()) secretIds.add(row.secret_id);
      }
      const groupIds = (await tx.selectFrom('group_memberships').select('group_id').where('user_id', '=', id).execute()).map((r) => r.group_id);

      // The user goes, and by cascade their sessions, datastores (with every link whose parent they
      // are), API keys, rights, memberships, second factors, recovery and emergency codes.
      await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
      await tx.deleteFrom('users').where('id', '=', id).execute();

      // BV: then what no one can reach any more. A group without members; a share without a link
      // and without a live right (a pending right whose granter is gone is invisible, §3.4); a
      // secret without a link. Deleting a share unhangs what hung in it, so shares go in rounds.
      for (const chunk of chunks(groupIds)) {
        await tx
          .deleteFrom('groups')
          .where('id', 'in', chunk)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('group_memberships').select('group_memberships.id').whereRef('group_memberships.group_id', '=', 'groups.id'))))
          .execute();
      }
      for (let removed = true; removed; ) {
        removed = false;
        for (const chunk of chunks(shareIds)) {
          const result = await tx
            .deleteFrom('shares')
            .where('id', 'in', chunk)
            .where(({ not, exists, selectFrom, and }) =>
              and([
                not(exists(selectFrom('share_links').select('share_links.link_id').whereRef('share_links.share_id', '=', 'shares.id'))),
                not(exists(selectFrom('group_share_rights').select('group_share_rights.id').whereRef('group_share_rights.share_id', '=', 'shares.id'))),
                not(
                  exists(
                    selectFrom('user_share_rights')
                      .select('user_share_rights.id')
                      .whereRef('user_share_rights.share_id', '=', 'shares.id')
                      .where((r) => r.or([sql<boolean>`user_share_rights.accepted`, r.and([r('user_share_rights.accepted', 'is', null), r('user_share_rights.creator_id', 'is not', null)])])),
                  ),
                ),
              ]),
            )
            .executeTakeFirst();
          if (result.numDeletedRows > 0n) removed = true;
        }
      }
      for (const chunk of chunks([...secretIds])) {
        await tx
          .deleteFrom('secrets')
          .where('id', 'in', chunk)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('secret_links').select('secret_links.link_id').whereRef('secret_links.secret_id', '=', 'secrets.id'))))
          .execute();
      }
      return true;
    });
  }

  async createSession(session: SessionRecord, options: { exclusive: boolean; authkeyHash?: string }): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      if (options.authkeyHash !== undefined) {
        const current = await tx
          .selectFrom('users')
          .select('authkey_hash')
          .where('id', '=', session.userId)
          .$if(this.#lock, (qb) => qb.forUpdate())
          .executeTakeFirst();
        if (current?.authkey_hash !== options.authkeyHash) return false;
      }
      if (options.exclusive) await tx.deleteFrom('sessions').where('user_id', '=', session.userId).execute();
      await tx
        .insertInto('sessions')
        .values({
          id: session.id,
          token_hash: session.tokenHash,
          user_id: session.userId,
          secret_key: session.secretKey,
          user_validator: session.userValidator,
          session_key: session.sessionKey,
          device_fingerprint: session.deviceFingerprint,
          device_description: session.deviceDescription,
          client_date: millis(session.clientDate),
          requires_validator: flag(session.requiresValidator),
          created_at: session.createdAt.getTime(),
          valid_till: session.validTill.getTime(),
          active: flag(session.active),
          read: flag(session.read),
          write: flag(session.write),
          api_key_id: session.apiKeyId,
          lifetime_seconds: session.lifetimeSeconds,
          second_factor_pending: flag(session.secondFactorPending),
        })
        .execute();
      return true;
    });
  }

  async findSessionByTokenHash(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (!row) return undefined;
    const user = await this.findUserById(row.user_id);
    return user && { session: toSession(row), user };
  }

  async activateSession(id: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({
        active: flag(true),
        user_validator: null,
        // cast: PostgreSQL would type the parameter as a 32-bit integer.
        valid_till: sql<number>`cast(${now.getTime()} as bigint) + lifetime_seconds * 1000`,
      })
      .where('id', '=', id)
      .where('active', '=', flag(false))
      // A session whose second factor is not solved is never activated, whatever raced it (spec §3.15).
      .where('second_factor_pending', '=', flag(false))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async deleteSession(id: string, userId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('sessions').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async deleteOtherSessions(userId: string, keepSessionId: string | null): Promise<number> {
    let query = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepSessionId !== null) query = query.where('id', '!=', keepSessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listActiveSessions(userId: string, now: Date): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('active', '=', flag(true))
      .where('valid_till', '>', now.getTime())
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toSession);
  }

  async deleteExpiredSessions(now: Date): Promise<number> {
    const result = await this.#db.deleteFrom('sessions').where('valid_till', '<', now.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    username: row.username,
    emailHmac: row.email_hmac,
    emailCiphertext: row.email_ciphertext,
    emailNonce: row.email_nonce,
    authkeyHash: row.authkey_hash,
    publicKey: row.public_key,
    privateKey: row.private_key,
    privateKeyNonce: row.private_key_nonce,
    secretKey: row.secret_key,
    secretKeyNonce: row.secret_key_nonce,
    userSauce: row.user_sauce,
    hashingAlgorithm: row.hashing_algorithm,
    hashingParameters: JSON.parse(row.hashing_parameters) as HashingParameters,
    language: row.language,
    zoneinfo: row.zoneinfo,
    isActive: Boolean(row.is_active),
    isEmailActive: Boolean(row.is_email_active),
    registrationDate: date(row.registration_date),
    lastLogin: row.last_login === null ? null : date(row.last_login),
  };
}

function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    secretKey: row.secret_key,
    userValidator: row.user_validator,
    sessionKey: row.session_key,
    deviceFingerprint: row.device_fingerprint,
    deviceDescription: row.device_description,
    clientDate: row.client_date === null ? null : date(row.client_date),
    requiresValidator: Boolean(row.requires_validator),
    createdAt: date(row.created_at),
    validTill: date(row.valid_till),
    active: Boolean(row.active),
    read: Boolean(row.read),
    write: Boolean(row.write),
    apiKeyId: row.api_key_id,
    lifetimeSeconds: Number(row.lifetime_seconds),
    secondFactorPending: Boolean(row.second_factor_pending),
  };
}
