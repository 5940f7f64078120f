import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import { createId } from '../../crypto/token.js';
import type {
  DatastoreRecord,
  Flags,
  LinkParent,
  SecretCaller,
  SecretHistoryRecord,
  SecretLinkRecord,
  SecretRecord,
  ShareLinkRecord,
  ShareRecord,
  ShareRightRecord,
  VaultObjectStore,
  WriteResult,
} from '../vault-object-store.js';
import type { Database, DatastoresTable, SecretHistoryTable, SecretLinksTable, SecretsTable, ShareLinksTable, SharesTable, UserShareRightsTable } from './schema.js';
import { apiKeyAllows, batchIds, batchSecretReadable, batchSecretStart, directRights, idParam, rightsCtes, secretAllowed, secretStart } from './share-rights-sql.js';
import { SqlVaultGroupStore } from './sql-vault-group-store.js';
import { isForeignKeyViolation, isUniqueViolation, type SqlDatabase } from './sql-database.js';
import { DEFAULT_VAULT_OBJECT_LIMITS, VaultStorageQuotaExceeded, type VaultObjectLimits } from '../vault-object-limits.js';

const flag = (value: boolean) => (value ? 1 : 0);
const date = (value: number | string) => new Date(Number(value));
const maybeDate = (value: number | string | null) => (value === null ? null : date(value));
const maybeFlag = (value: boolean | number | null) => (value === null ? null : Boolean(value));
const ok = <T>(value: T): WriteResult<T> => ({ ok: true, value });
type Failure = Extract<WriteResult, { ok: false }>['reason'];
const fail = (reason: Failure) => ({ ok: false, reason }) as const;

function parentColumns(parent: LinkParent) {
  return { parent_datastore_id: parent.datastoreId ?? null, parent_share_id: parent.shareId ?? null };
}

/** The vault's objects over the shared SQL connection (SQLite or PostgreSQL). */
export class SqlVaultObjectStore implements VaultObjectStore {
  readonly #db: Kysely<Database>;
  // Row locks for read-check-write transactions; SQLite serializes writers anyway.
  readonly #lock: boolean;
  readonly #backend: SqlDatabase['backend'];

  readonly #limits: VaultObjectLimits;
  readonly groups: SqlVaultGroupStore;

  constructor(database: SqlDatabase, limits: VaultObjectLimits = DEFAULT_VAULT_OBJECT_LIMITS) {
    this.groups = new SqlVaultGroupStore(database);
    this.#db = database.db;
    this.#backend = database.backend;
    this.#lock = database.backend === 'postgres';
    this.#limits = limits;
  }

  // --- Datastores -----------------------------------------------------------------------------

  async listDatastores(userId: string): Promise<DatastoreRecord[]> {
    const rows = await this.#db.selectFrom('datastores').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map(toDatastore);
  }

  async getDatastore(id: string, userId: string): Promise<DatastoreRecord | undefined> {
    const row = await this.#db.selectFrom('datastores').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return row && toDatastore(row);
  }

  async createDatastore(d: DatastoreRecord): Promise<WriteResult<string>> {
    try {
      await this.#db.transaction().execute(async (tx) => {
        await this.#lockUser(tx, d.userId);
        await this.#checkStorage(tx, d.userId, d.data.length);
        if (d.isDefault) await clearDefault(tx, d.userId, d.type, d.id);
        await tx
          .insertInto('datastores')
          .values({
            id: d.id,
            user_id: d.userId,
            type: d.type,
            description: d.description,
            data: d.data,
            data_nonce: d.dataNonce,
            secret_key: d.secretKey,
            secret_key_nonce: d.secretKeyNonce,
            is_default: flag(d.isDefault),
            created_at: d.createdAt.getTime(),
            write_date: d.writeDate.getTime(),
          })
          .execute();
      });
      return ok(d.id);
    } catch (error) {
      if (isUniqueViolation(error)) return fail('duplicate');
      throw error;
    }
  }

  async updateDatastore(
    id: string,
    userId: string,
    changes: Partial<Pick<DatastoreRecord, 'data' | 'dataNonce' | 'secretKey' | 'secretKeyNonce' | 'description' | 'isDefault'>>,
    options: { oldWriteDate?: Date; now: Date },
  ): Promise<WriteResult> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        if (changes.data !== undefined) await this.#lockUser(tx, userId); // before the row, as every writer of this user's objects
        const current = await tx.selectFrom('datastores').selectAll().where('id', '=', id).where('user_id', '=', userId).$if(this.#lock, (qb) => qb.forUpdate()).executeTakeFirst();
        if (!current) return fail('not_found');
        if (changes.data !== undefined) await this.#checkStorage(tx, userId, changes.data.length - current.data.length);
        if (options.oldWriteDate && Number(current.write_date) !== options.oldWriteDate.getTime()) return fail('write_date_mismatch');
        const set: Updateable<DatastoresTable> = { write_date: options.now.getTime() };
        if (changes.data !== undefined) set.data = changes.data;
        if (changes.dataNonce !== undefined) set.data_nonce = changes.dataNonce;
        if (changes.secretKey !== undefined) set.secret_key = changes.secretKey;
        if (changes.secretKeyNonce !== undefined) set.secret_key_nonce = changes.secretKeyNonce;
        if (changes.description !== undefined) set.description = changes.description;
        if (changes.isDefault !== undefined) {
          set.is_default = flag(changes.isDefault);
          if (changes.isDefault) {
            await this.#lockUser(tx, userId);
            await clearDefault(tx, userId, current.type, id);
          }
        }
        await tx.updateTable('datastores').set(set).where('id', '=', id).execute();
        return ok(options.now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return fail('duplicate');
      throw error;
    }
  }

  async deleteDatastore(id: string, userId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('secret_links').where('parent_datastore_id', '=', id).execute();
      await tx.deleteFrom('share_links').where('parent_datastore_id', '=', id).execute();
      const result = await tx.deleteFrom('datastores').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows === 1n;
    });
  }

  // --- Secrets --------------------------------------------------------------------------------

  async createSecret(secret: SecretRecord, link: { linkId: string; parent: LinkParent }): Promise<WriteResult<string>> {
    try {
      await this.#db.transaction().execute(async (tx) => {
        if (await tx.selectFrom('secret_links').select('link_id').where('link_id', '=', link.linkId).executeTakeFirst()) throw new DuplicateLink();
        if (secret.userId !== null) {
          await this.#lockUser(tx, secret.userId);
          await this.#checkStorage(tx, secret.userId, secret.data.length);
        }
        await tx
          .insertInto('secrets')
          .values({
            id: secret.id,
            user_id: secret.userId,
            data: secret.data,
            data_nonce: secret.dataNonce,
            type: secret.type,
            read_count: 0,
            callback_url: secret.callbackUrl,
            callback_user: secret.callbackUser,
            callback_pass: secret.callbackPass,
            created_at: secret.createdAt.getTime(),
            write_date: secret.writeDate.getTime(),
          })
          .execute();
        await tx.insertInto('secret_links').values({ link_id: link.linkId, secret_id: secret.id, ...parentColumns(link.parent) }).execute();
      });
      return ok(secret.id);
    } catch (error) {
      if (error instanceof DuplicateLink) return fail('duplicate_link');
      if (isForeignKeyViolation(error)) return fail('not_found'); // the parent went meanwhile
      if (isUniqueViolation(error)) return fail(String((error as Error).message).includes('link') ? 'duplicate_link' : 'duplicate_nonce');
      throw error;
    }
  }

  async getSecret(id: string): Promise<SecretRecord | undefined> {
    const row = await this.#db.selectFrom('secrets').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSecret(row);
  }

  async readSecretFor(caller: SecretCaller, id: string, now: Date): Promise<SecretRecord | undefined> {
    const secretId = sql`${id}`;
    const { rows } = await sql<Selectable<SecretsTable>>`
      with recursive ${rightsCtes(secretStart(caller.userId, secretId), now.getTime())}
      update secrets set read_count = read_count + 1
      where id = ${id} and ${secretAllowed(caller.userId, secretId, 'r')} and ${apiKeyAllows(caller.apiKeyId, secretId)}
      returning *`.execute(this.#db);
    return rows[0] && toSecret(rows[0]);
  }

  async readSecretsFor(caller: SecretCaller, ids: readonly string[], now: Date): Promise<SecretRecord[]> {
    if (ids.length === 0) return [];
    const self = sql`secrets.id`;
    const { rows } = await sql<Selectable<SecretsTable>>`
      with recursive ${batchIds(ids, this.#backend)}, ${rightsCtes(batchSecretStart(caller.userId), now.getTime(), { origin: true })}
      update secrets set read_count = read_count + 1
      where id in (select id from batch) and ${batchSecretReadable(caller.userId, self)} and ${apiKeyAllows(caller.apiKeyId, self)}
      returning *`.execute(this.#db);
    return rows.map(toSecret);
  }

  async readableSecretDatesFor(caller: SecretCaller, ids: readonly string[], now: Date): Promise<Array<{ id: string; writeDate: Date }>> {
    if (ids.length === 0) return [];
    const self = sql`secrets.id`;
    const { rows } = await sql<{ id: string; write_date: number | string }>`
      with recursive ${batchIds(ids, this.#backend)}, ${rightsCtes(batchSecretStart(caller.userId), now.getTime(), { origin: true })}
      select id, write_date from secrets
      where id in (select id from batch) and ${batchSecretReadable(caller.userId, self)} and ${apiKeyAllows(caller.apiKeyId, self)}`.execute(this.#db);
    return rows.map((r) => ({ id: r.id, writeDate: new Date(Number(r.write_date)) }));
  }

  async createSecretsFor(caller: SecretCaller, parent: LinkParent, secrets: ReadonlyArray<{ secret: SecretRecord; linkId: string }>, now: Date): Promise<WriteResult<string[]>> {
    const linkIds = new Set(secrets.map((s) => s.linkId));
    if (linkIds.size !== secrets.length) return fail('duplicate_link');
    if (new Set(secrets.map((s) => s.secret.dataNonce)).size !== secrets.length) return fail('duplicate_nonce');
    try {
      return await this.#db.transaction().execute(async (tx) => {
        // The parent's write right, checked by the statement that locks the parent's row (PostgreSQL).
        if (!(await this.#parentWritable(tx, caller, parent, now))) return fail('not_found');
        for (const chunk of chunks([...linkIds], BULK_CHUNK)) {
          if (await tx.selectFrom('secret_links').select('link_id').where('link_id', 'in', chunk).executeTakeFirst()) return fail('duplicate_link');
        }
        for (const chunk of chunks(secrets, BULK_CHUNK)) {
          await tx.insertInto('secrets').values(chunk.map(({ secret }) => secretColumns(secret))).execute();
          await tx.insertInto('secret_links').values(chunk.map(({ secret, linkId }) => ({ link_id: linkId, secret_id: secret.id, ...parentColumns(parent) }))).execute();
        }
        return ok(secrets.map((s) => s.secret.id));
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) return fail('not_found'); // the parent went meanwhile
      if (isUniqueViolation(error)) return fail(String((error as Error).message).includes('link') ? 'duplicate_link' : 'duplicate_nonce');
      throw error;
    }
  }

  /** May the caller hang secrets under this parent: an own datastore, or write on the share (locked on PostgreSQL). */
  async #parentWritable(tx: Transaction<Database>, caller: SecretCaller, parent: LinkParent, now: Date): Promise<boolean> {
    if (parent.datastoreId !== undefined) {
      const row = await tx.selectFrom('datastores').select('id').where('id', '=', parent.datastoreId).where('user_id', '=', caller.userId).$if(this.#lock, (qb) => qb.forShare()).executeTakeFirst();
      return row !== undefined;
    }
    const { rows } = await sql<{ id: string }>`
      with recursive ${rightsCtes(sql`select ${idParam(caller.userId)} as user_id, ${idParam(parent.shareId)} as share_id`, now.getTime())}
      select id from shares where id = ${parent.shareId} and exists (select 1 from reach where w = 1)
      ${this.#lock ? sql`for share of shares` : sql``}`.execute(tx);
    return rows.length === 1;
  }

  async updateSecretFor(
    caller: SecretCaller,
    id: string,
    changes: Partial<Pick<SecretRecord, 'data' | 'dataNonce' | 'callbackUrl' | 'callbackUser' | 'callbackPass'>>,
    now: Date,
  ): Promise<WriteResult> {
    const secretId = sql`${id}`;
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const owner = changes.data === undefined ? undefined : await this.#lockOwner(tx, 'secrets', id);
        // The rights are checked by the statement that reads (and on PostgreSQL locks) the row.
        const { rows } = await sql<Selectable<SecretsTable>>`
          with recursive ${rightsCtes(secretStart(caller.userId, secretId), now.getTime())}
          select * from secrets
          where id = ${id} and ${secretAllowed(caller.userId, secretId, 'w')} and ${apiKeyAllows(caller.apiKeyId, secretId)}
          ${this.#lock ? sql`for update of secrets` : sql``}`.execute(tx);
        const current = rows[0];
        if (!current) return fail('not_found');
        if (owner && changes.data !== undefined) await this.#checkStorage(tx, owner, changes.data.length - current.data.length);
        await tx
          .insertInto('secret_history')
          .values({
            id: createId(),
            secret_id: id,
            user_id: caller.userId,
            data: current.data,
            data_nonce: current.data_nonce,
            type: current.type,
            callback_url: current.callback_url,
            callback_user: current.callback_user,
            callback_pass: current.callback_pass,
            created_at: now.getTime(),
            write_date: Number(current.write_date),
          })
          .execute();
        await pruneHistory(tx, id, this.#limits.maxHistoryPerSecret);
        const set: Updateable<SecretsTable> = { write_date: now.getTime() };
        if (changes.data !== undefined) set.data = changes.data;
        if (changes.dataNonce !== undefined) set.data_nonce = changes.dataNonce;
        if (changes.callbackUrl !== undefined) set.callback_url = changes.callbackUrl;
        if (changes.callbackUser !== undefined) set.callback_user = changes.callbackUser;
        if (changes.callbackPass !== undefined) set.callback_pass = changes.callbackPass;
        await tx.updateTable('secrets').set(set).where('id', '=', id).execute();
        return ok(now);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return fail('duplicate_nonce');
      throw error;
    }
  }

  async listSecretHistoryFor(caller: SecretCaller, secretId: string, now: Date): Promise<Array<{ id: string; createdAt: Date; username: string | null }> | undefined> {
    const id = sql`${secretId}`;
    // One statement: the secret's own row tells "not allowed" (no row) from "no history" (a row with no entry).
    const { rows } = await sql<{ id: string | null; created_at: number | string | null; username: string | null }>`
      with recursive ${rightsCtes(secretStart(caller.userId, id), now.getTime())}
      select h.id as id, h.created_at as created_at, u.username as username
      from secrets s
      left join secret_history h on h.secret_id = s.id
      left join users u on u.id = h.user_id
      where s.id = ${secretId} and ${secretAllowed(caller.userId, id, 'r')} and ${apiKeyAllows(caller.apiKeyId, id)}
      order by h.created_at`.execute(this.#db);
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.id !== null).map((r) => ({ id: r.id as string, createdAt: date(r.created_at as number), username: r.username ?? null }));
  }

  async getSecretHistoryFor(caller: SecretCaller, historyId: string, now: Date): Promise<SecretHistoryRecord | undefined> {
    const secretId = sql`(select secret_id from secret_history where id = ${historyId})`;
    const { rows } = await sql<Selectable<SecretHistoryTable> & { username: string | null }>`
      with recursive ${rightsCtes(secretStart(caller.userId, secretId), now.getTime())}
      select h.*, u.username as username
      from secret_history h left join users u on u.id = h.user_id
      where h.id = ${historyId} and ${secretAllowed(caller.userId, secretId, 'r')} and ${apiKeyAllows(caller.apiKeyId, secretId)}`.execute(this.#db);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      secretId: row.secret_id,
      userId: row.user_id,
      username: row.username ?? null,
      data: row.data,
      dataNonce: row.data_nonce,
      type: row.type,
      callbackUrl: row.callback_url,
      callbackUser: row.callback_user,
      callbackPass: row.callback_pass,
      createdAt: date(row.created_at),
      writeDate: date(row.write_date),
    };
  }

  // --- Rights ---------------------------------------------------------------------------------

  async shareRightsFor(userId: string, shareId: string, now: Date): Promise<Flags> {
    const { rows } = await sql<{ r: number | null; w: number | null; g: number | null }>`
      with recursive ${rightsCtes(sql`select ${idParam(userId)} as user_id, ${idParam(shareId)} as share_id`, now.getTime())}
      select max(r) as r, max(w) as w, max(g) as g from reach`.execute(this.#db);
    return flagsOf(rows[0]);
  }

  async directRightsFor(userId: string, shareId: string, now: Date): Promise<Flags> {
    const { rows } = await sql<{ r: number | null; w: number | null; g: number | null }>`
      select max(case when d."read" then 1 else 0 end) as r, max(case when d."write" then 1 else 0 end) as w, max(case when d."grant" then 1 else 0 end) as g
      from ${directRights(now.getTime())} d where d.user_id = ${userId} and d.share_id = ${shareId}`.execute(this.#db);
    return flagsOf(rows[0]);
  }

  async secretRightsFor(userId: string, secretId: string, now: Date): Promise<{ read: boolean; write: boolean }> {
    const id = sql`${secretId}`;
    const { rows } = await sql<{ owned: number | boolean; r: number | null; w: number | null }>`
      with recursive ${rightsCtes(secretStart(userId, id), now.getTime())}
      select
        exists (select 1 from secret_links sl join datastores ds on ds.id = sl.parent_datastore_id where sl.secret_id = ${secretId} and ds.user_id = ${userId}) as owned,
        (select max(r) from reach) as r, (select max(w) from reach) as w`.execute(this.#db);
    const row = rows[0];
    const owned = Boolean(Number(row?.owned ?? 0));
    return { read: owned || Number(row?.r ?? 0) === 1, write: owned || Number(row?.w ?? 0) === 1 };
  }

  async inheritedRightsOf(shareId: string, now: Date): Promise<Array<{ userId: string } & Flags>> {
    const nowMs = now.getTime();
    // The candidates hold an accepted, unexpired right on some ancestor; the walk decides what reaches.
    const { rows } = await sql<{ user_id: string; r: number; w: number; g: number }>`
      with recursive up(id) as (
        select l.parent_share_id from share_links l where l.share_id = ${shareId} and l.parent_share_id is not null
        union
        select l.parent_share_id from share_links l join up on l.share_id = up.id where l.parent_share_id is not null
      ),
      ${rightsCtes(
        sql`select distinct a.user_id as user_id, ${idParam(shareId)} as share_id from ${directRights(nowMs)} a join up on a.share_id = up.id`,
        nowMs,
      )}
      select user_id, max(r) as r, max(w) as w, max(g) as g from reach
      where share_id <> ${shareId}
      group by user_id
      having max(r) = 1 or max(w) = 1 or max(g) = 1
      order by user_id`.execute(this.#db);
    return rows.map((row) => ({ userId: row.user_id, ...flagsOf(row) }));
  }

  async readShareFor(userId: string, shareId: string, now: Date): Promise<{ share: ShareRecord; rights: Flags } | undefined> {
    const { rows } = await sql<Selectable<SharesTable> & { r: number; w: number; g: number }>`
      with recursive ${rightsCtes(sql`select ${idParam(userId)} as user_id, ${idParam(shareId)} as share_id`, now.getTime())},
      mine(r, w, g) as (select max(r), max(w), max(g) from reach)
      select s.*, mine.r as r, mine.w as w, mine.g as g from shares s, mine
      where s.id = ${shareId} and mine.r = 1`.execute(this.#db);
    const row = rows[0];
    return row && { share: toShare(row), rights: flagsOf(row) };
  }

  // --- Links ----------------------------------------------------------------------------------

  async getSecretLink(linkId: string): Promise<SecretLinkRecord | undefined> {
    const row = await this.#db.selectFrom('secret_links').selectAll().where('link_id', '=', linkId).executeTakeFirst();
    return row && toSecretLink(row);
  }

  async secretLinksOf(secretId: string): Promise<SecretLinkRecord[]> {
    return (await this.#db.selectFrom('secret_links').selectAll().where('secret_id', '=', secretId).orderBy('link_id').execute()).map(toSecretLink);
  }

  async moveSecretLink(linkId: string, parent: LinkParent): Promise<WriteResult<string>> {
    try {
      const result = await this.#db.updateTable('secret_links').set(parentColumns(parent)).where('link_id', '=', linkId).executeTakeFirst();
      return result.numUpdatedRows === 1n ? ok(linkId) : fail('not_found');
    } catch (error) {
      if (isForeignKeyViolation(error)) return fail('not_found');
      throw error;
    }
  }

  async deleteSecretLink(linkId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('secret_links').where('link_id', '=', linkId).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async getShareLink(linkId: string): Promise<ShareLinkRecord | undefined> {
    const row = await this.#db.selectFrom('share_links').selectAll().where('link_id', '=', linkId).executeTakeFirst();
    return row && toShareLink(row);
  }

  async shareLinksOf(shareId: string): Promise<ShareLinkRecord[]> {
    return (await this.#db.selectFrom('share_links').selectAll().where('share_id', '=', shareId).orderBy('link_id').execute()).map(toShareLink);
  }

  async createShareLink(link: { linkId: string; shareId: string; parent: LinkParent; creatorId: string }): Promise<WriteResult<string>> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        await this.#lockLinks(tx);
        if (await wouldCycle(tx, link.shareId, link.parent)) return fail('cycle');
        await tx.insertInto('share_links').values({ link_id: link.linkId, share_id: link.shareId, creator_id: link.creatorId, ...parentColumns(link.parent) }).execute();
        return ok(link.linkId);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return fail('duplicate_link');
      if (isForeignKeyViolation(error)) return fail('not_found');
      throw error;
    }
  }

  async moveShareLink(linkId: string, parent: LinkParent, creatorId: string): Promise<WriteResult<string>> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        await this.#lockLinks(tx);
        const link = await tx.selectFrom('share_links').selectAll().where('link_id', '=', linkId).executeTakeFirst();
        if (!link) return fail('not_found');
        if (await wouldCycle(tx, link.share_id, parent)) return fail('cycle');
        await tx.updateTable('share_links').set({ ...parentColumns(parent), creator_id: creatorId }).where('link_id', '=', linkId).execute();
        return ok(linkId);
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) return fail('not_found');
      throw error;
    }
  }

  async deleteShareLink(linkId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('share_links').where('link_id', '=', linkId).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  /** Serializes writes of links on PostgreSQL, so that two links cannot close a loop together. */
  async #lockLinks(tx: Transaction<Database>): Promise<void> {
    if (this.#lock) await sql`select pg_advisory_xact_lock(7305211)`.execute(tx);
  }

  /** Serializes a user's datastore writes on PostgreSQL (one default per type). */
  async #lockUser(tx: Transaction<Database>, userId: string): Promise<void> {
    if (this.#lock) await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
  }

  /** Locks the owner of a secret or share (an owner never changes) before its row, and answers who it is. */
  async #lockOwner(tx: Transaction<Database>, table: 'secrets' | 'shares', id: string): Promise<string | undefined> {
    // One statement: finds the owner and, on PostgreSQL, locks the owner's row as #lockUser does.
    const { rows } = await sql<{ id: string }>`
      select id from users where id = (select user_id from ${sql.table(table)} where id = ${id})
      ${this.#lock ? sql`for update` : sql``}`.execute(tx);
    return rows[0]?.id;
  }

  /**
   * Refuses a write that adds `addedBytes` of data past the owner's VAULT_MAX_STORAGE_BYTES_PER_USER,
   * by throwing inside the write's transaction (which rolls it back). The owner is locked first
   * (#lockUser), so two writes of one owner cannot both pass the cap.
   */
  async #checkStorage(tx: Transaction<Database>, userId: string, addedBytes: number): Promise<void> {
    if (addedBytes <= 0) return;
    const { rows } = await sql<{ used: number | string }>`
      select (select coalesce(sum(length(data)), 0) from datastores where user_id = ${userId})
           + (select coalesce(sum(length(data)), 0) from secrets where user_id = ${userId})
           + (select coalesce(sum(length(data)), 0) from shares where user_id = ${userId}) as used`.execute(tx);
    if (Number(rows[0]?.used ?? 0) + addedBytes > this.#limits.maxStorageBytesPerUser) throw new VaultStorageQuotaExceeded();
  }

  // --- Shares and rights ----------------------------------------------------------------------

  async createShare(share: ShareRecord, ownRight: ShareRightRecord, link: { linkId: string; parent: LinkParent }): Promise<WriteResult<string>> {
    try {
      await this.#db.transaction().execute(async (tx) => {
        if (await tx.selectFrom('share_links').select('link_id').where('link_id', '=', link.linkId).executeTakeFirst()) throw new DuplicateLink();
        if (share.userId !== null) {
          await this.#lockUser(tx, share.userId);
          await this.#checkStorage(tx, share.userId, share.data.length);
        }
        await tx
          .insertInto('shares')
          .values({ id: share.id, user_id: share.userId, data: share.data, data_nonce: share.dataNonce, created_at: share.createdAt.getTime(), write_date: share.writeDate.getTime() })
          .execute();
        await tx.insertInto('user_share_rights').values(rightColumns(ownRight)).execute();
        await tx.insertInto('share_links').values({ link_id: link.linkId, share_id: share.id, creator_id: ownRight.userId, ...parentColumns(link.parent) }).execute();
      });
      return ok(share.id);
    } catch (error) {
      if (error instanceof DuplicateLink || isUniqueViolation(error)) return fail('duplicate_link');
      if (isForeignKeyViolation(error)) return fail('not_found');
      throw error;
    }
  }

  async getShare(id: string): Promise<ShareRecord | undefined> {
    const row = await this.#db.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toShare(row);
  }

  async updateShareFor(userId: string, id: string, changes: { data?: string; dataNonce?: string }, options: { oldWriteDate?: Date; now: Date }): Promise<WriteResult> {
    return this.#db.transaction().execute(async (tx) => {
      const owner = changes.data === undefined ? undefined : await this.#lockOwner(tx, 'shares', id);
      const { rows } = await sql<Selectable<SharesTable>>`
        with recursive ${rightsCtes(sql`select ${idParam(userId)} as user_id, ${idParam(id)} as share_id`, options.now.getTime())}
        select * from shares where id = ${id} and exists (select 1 from reach where w = 1)
        ${this.#lock ? sql`for update of shares` : sql``}`.execute(tx);
      const current = rows[0];
      if (!current) return fail('not_found');
      if (owner && changes.data !== undefined) await this.#checkStorage(tx, owner, changes.data.length - current.data.length);
      if (options.oldWriteDate && Number(current.write_date) !== options.oldWriteDate.getTime()) return fail('write_date_mismatch');
      const set: Updateable<SharesTable> = { write_date: options.now.getTime() };
      if (changes.data !== undefined) set.data = changes.data;
      if (changes.dataNonce !== undefined) set.data_nonce = changes.dataNonce;
      await tx.updateTable('shares').set(set).where('id', '=', id).execute();
      return ok(options.now);
    });
  }

  async rightsOfUser(userId: string, now: Date): Promise<ShareRightRecord[]> {
    const rows = await this.#db
      .selectFrom('user_share_rights')
      .selectAll()
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('expiration_date', 'is', null), eb('expiration_date', '>', now.getTime())]))
      .orderBy('created_at')
      .execute();
    return rows.map(toRight);
  }

  async countPendingRightsOf(userId: string, now: Date): Promise<number> {
    const row = await this.#db
      .selectFrom('user_share_rights')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .where('accepted', 'is', null)
      .where((eb) => eb.or([eb('expiration_date', 'is', null), eb('expiration_date', '>', now.getTime())]))
      .where((eb) => eb.exists(eb.selectFrom('users').select('users.id').whereRef('users.id', '=', 'user_share_rights.creator_id')))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async rightsOfShare(shareId: string, now: Date): Promise<ShareRightRecord[]> {
    const rows = await this.#db
      .selectFrom('user_share_rights')
      .selectAll()
      .where('share_id', '=', shareId)
      .where((eb) => eb.or([eb('expiration_date', 'is', null), eb('expiration_date', '>', now.getTime())]))
      .orderBy('created_at')
      .execute();
    return rows.map(toRight);
  }

  async getShareRight(id: string): Promise<ShareRightRecord | undefined> {
    const row = await this.#db.selectFrom('user_share_rights').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRight(row);
  }

  async findShareRight(shareId: string, userId: string): Promise<ShareRightRecord | undefined> {
    const row = await this.#db.selectFrom('user_share_rights').selectAll().where('share_id', '=', shareId).where('user_id', '=', userId).executeTakeFirst();
    return row && toRight(row);
  }

  async putShareRight(right: ShareRightRecord, options: { replaceId?: string } = {}): Promise<WriteResult<string>> {
    try {
      await this.#db.transaction().execute(async (tx) => {
        if (options.replaceId !== undefined) await tx.deleteFrom('user_share_rights').where('id', '=', options.replaceId).execute();
        await tx.insertInto('user_share_rights').values(rightColumns(right)).execute();
      });
      return ok(right.id);
    } catch (error) {
      if (isUniqueViolation(error)) return fail('duplicate');
      if (isForeignKeyViolation(error)) return fail('not_found');
      throw error;
    }
  }

  async updateShareRight(
    id: string,
    changes: Partial<Pick<ShareRightRecord, 'read' | 'write' | 'grant' | 'expirationDate' | 'accepted' | 'key' | 'keyNonce' | 'keyType' | 'title' | 'titleNonce' | 'type' | 'typeNonce'>>,
    now: Date,
    options: { onlyIfPending?: boolean } = {},
  ): Promise<boolean> {
    const set: Updateable<UserShareRightsTable> = { write_date: now.getTime() };
    if (changes.read !== undefined) set.read = flag(changes.read);
    if (changes.write !== undefined) set.write = flag(changes.write);
    if (changes.grant !== undefined) set.grant = flag(changes.grant);
    if (changes.expirationDate !== undefined) set.expiration_date = changes.expirationDate === null ? null : changes.expirationDate.getTime();
    if (changes.accepted !== undefined) set.accepted = changes.accepted === null ? null : flag(changes.accepted);
    if (changes.key !== undefined) set.key = changes.key;
    if (changes.keyNonce !== undefined) set.key_nonce = changes.keyNonce;
    if (changes.keyType !== undefined) set.key_type = changes.keyType;
    if (changes.title !== undefined) set.title = changes.title;
    if (changes.titleNonce !== undefined) set.title_nonce = changes.titleNonce;
    if (changes.type !== undefined) set.type = changes.type;
    if (changes.typeNonce !== undefined) set.type_nonce = changes.typeNonce;
    const result = await this.#db
      .updateTable('user_share_rights')
      .set(set)
      .where('id', '=', id)
      .$if(options.onlyIfPending === true, (qb) => qb.where('accepted', 'is', null))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async deleteShareRight(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('user_share_rights').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }
}

class DuplicateLink extends Error {}

// Rows per INSERT of a bulk create: 11 bound values a row stays far below SQLite's and PostgreSQL's limits.
const BULK_CHUNK = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function secretColumns(secret: SecretRecord) {
  return {
    id: secret.id,
    user_id: secret.userId,
    data: secret.data,
    data_nonce: secret.dataNonce,
    type: secret.type,
    read_count: 0,
    callback_url: secret.callbackUrl,
    callback_user: secret.callbackUser,
    callback_pass: secret.callbackPass,
    created_at: secret.createdAt.getTime(),
    write_date: secret.writeDate.getTime(),
  };
}

/** True when hanging `shareId` under `parent` would make the share its own ancestor (share links only). */
async function wouldCycle(tx: Transaction<Database>, shareId: string, parent: LinkParent): Promise<boolean> {
  if (parent.shareId === undefined) return false;
  const { rows } = await sql<{ id: string }>`
    with recursive up(id) as (
      select ${idParam(parent.shareId)}
      union
      select l.parent_share_id from share_links l join up on l.share_id = up.id where l.parent_share_id is not null
    )
    select id from up where id = ${shareId}`.execute(tx);
  return rows.length > 0;
}

function flagsOf(row: { r: number | string | null; w: number | string | null; g: number | string | null } | undefined): Flags {
  return { read: Number(row?.r ?? 0) === 1, write: Number(row?.w ?? 0) === 1, grant: Number(row?.g ?? 0) === 1 };
}

/** Keeps the newest `keep` history entries of a secret (the one just written among them). */
async function pruneHistory(tx: Transaction<Database>, secretId: string, keep: number): Promise<void> {
  const newest = tx.selectFrom('secret_history').select('id').where('secret_id', '=', secretId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(keep);
  await tx.deleteFrom('secret_history').where('secret_id', '=', secretId).where('id', 'not in', newest).execute();
}

async function clearDefault(tx: Transaction<Database>, userId: string, type: string, exceptId: string): Promise<void> {
  await tx.updateTable('datastores').set({ is_default: flag(false) }).where('user_id', '=', userId).where('type', '=', type).where('id', '!=', exceptId).execute();
}

function rightColumns(r: ShareRightRecord) {
  return {
    id: r.id,
    share_id: r.shareId,
    user_id: r.userId,
    creator_id: r.creatorId,
    title: r.title,
    title_nonce: r.titleNonce,
    type: r.type,
    type_nonce: r.typeNonce,
    key: r.key,
    key_nonce: r.keyNonce,
    key_type: r.keyType,
    read: flag(r.read),
    write: flag(r.write),
    grant: flag(r.grant),
    accepted: r.accepted === null ? null : flag(r.accepted),
    expiration_date: r.expirationDate === null ? null : r.expirationDate.getTime(),
    created_at: r.createdAt.getTime(),
    write_date: r.writeDate.getTime(),
  };
}

function toDatastore(row: Selectable<DatastoresTable>): DatastoreRecord {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type,
    description: row.description,
    data: row.data,
    dataNonce: row.data_nonce,
    secretKey: row.secret_key,
    secretKeyNonce: row.secret_key_nonce,
    isDefault: Boolean(row.is_default),
    createdAt: date(row.created_at),
    writeDate: date(row.write_date),
  };
}

function toSecret(row: Selectable<SecretsTable>): SecretRecord {
  return {
    id: row.id,
    userId: row.user_id,
    data: row.data,
    dataNonce: row.data_nonce,
    type: row.type,
    readCount: Number(row.read_count),
    callbackUrl: row.callback_url,
    callbackUser: row.callback_user,
    callbackPass: row.callback_pass,
    createdAt: date(row.created_at),
    writeDate: date(row.write_date),
  };
}

function toShare(row: Selectable<SharesTable>): ShareRecord {
  return { id: row.id, userId: row.user_id, data: row.data, dataNonce: row.data_nonce, createdAt: date(row.created_at), writeDate: date(row.write_date) };
}

function parentOf(row: { parent_share_id: string | null; parent_datastore_id: string | null }): LinkParent {
  return row.parent_share_id !== null ? { shareId: row.parent_share_id } : { datastoreId: row.parent_datastore_id ?? '' };
}

function toSecretLink(row: Selectable<SecretLinksTable>): SecretLinkRecord {
  return { linkId: row.link_id, secretId: row.secret_id, parent: parentOf(row) };
}

function toShareLink(row: Selectable<ShareLinksTable>): ShareLinkRecord {
  return { linkId: row.link_id, shareId: row.share_id, parent: parentOf(row), creatorId: row.creator_id };
}

function toRight(row: Selectable<UserShareRightsTable>): ShareRightRecord {
  return {
    id: row.id,
    shareId: row.share_id,
    userId: row.user_id,
    creatorId: row.creator_id,
    title: row.title,
    titleNonce: row.title_nonce,
    type: row.type,
    typeNonce: row.type_nonce,
    key: row.key,
    keyNonce: row.key_nonce,
    keyType: row.key_type,
    read: Boolean(row.read),
    write: Boolean(row.write),
    grant: Boolean(row.grant),
    accepted: maybeFlag(row.accepted),
    expirationDate: maybeDate(row.expiration_date),
    createdAt: date(row.created_at),
    writeDate: date(row.write_date),
  };
}
