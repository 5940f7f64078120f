import { sql, type Kysely, type Selectable } from 'kysely';
import type { LinkShareChanges, LinkShareRecord, LinkShareStore, OpenedLinkShare } from '../link-share-store.js';
import type { Database, LinkSharesTable } from './schema.js';
import { rightsCtes, secretAllowed, secretStart } from './share-rights-sql.js';
import type { SqlDatabase } from './sql-database.js';

const date = (value: number | string) => new Date(Number(value));
const maybeDate = (value: number | string | null) => (value === null ? null : date(value));
const maybeNumber = (value: number | string | null) => (value === null ? null : Number(value));

/** Link shares over the shared SQL connection (SQLite or PostgreSQL). */
export class SqlLinkShareStore implements LinkShareStore {
  readonly #db: Kysely<Database>;
  // Locking the creator's row serializes two creations for one user on PostgreSQL (the count); SQLite has one writer.
  readonly #lock: boolean;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#lock = database.backend === 'postgres';
  }

  async create(link: LinkShareRecord, limit: number, now: Date): Promise<'created' | 'not_found' | 'limit'> {
    return this.#db.transaction().execute(async (trx) => {
      let userQuery = trx.selectFrom('users').select('id').where('id', '=', link.userId);
      if (this.#lock) userQuery = userQuery.forUpdate();
      if (!(await userQuery.executeTakeFirst())) return 'not_found';
      const held = await trx
        .selectFrom('link_shares')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', link.userId)
        .executeTakeFirstOrThrow();
      if (Number(held.n) >= limit) return 'limit';
      // The creator's read right on the entry, resolved inside the insert: no right, no row.
      const secretId = sql`${link.secretId}`;
      const { rows } = await sql<{ id: string }>`
        with recursive ${rightsCtes(secretStart(link.userId, secretId), now.getTime())}
        insert into link_shares (id, user_id, secret_id, public_title, node, node_nonce, allowed_reads, passphrase_hash, valid_till, created_at)
        select ${link.id}, ${link.userId}, s.id, ${link.publicTitle}, ${link.node}, ${link.nodeNonce}, ${link.allowedReads},
          ${link.passphraseHash}, ${link.validTill?.getTime() ?? null}, ${link.createdAt.getTime()}
        from secrets s where s.id = ${secretId} and ${secretAllowed(link.userId, secretId, 'r')}
        returning id`.execute(trx);
      return rows.length === 1 ? 'created' : 'not_found';
    });
  }

  async mayCreate(userId: string, secretId: string, limit: number, now: Date): Promise<'yes' | 'not_found' | 'limit'> {
    const held = await this.#db
      .selectFrom('link_shares')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (Number(held.n) >= limit) return 'limit';
    const secret = sql`${secretId}`;
    const { rows } = await sql<{ id: string }>`
      with recursive ${rightsCtes(secretStart(userId, secret), now.getTime())}
      select s.id from secrets s where s.id = ${secret} and ${secretAllowed(userId, secret, 'r')}`.execute(this.#db);
    return rows.length === 1 ? 'yes' : 'not_found';
  }

  async listOwn(userId: string, now: Date): Promise<LinkShareRecord[]> {
    const nowMs = now.getTime();
    const rows = await this.#db
      .selectFrom('link_shares')
      .selectAll()
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('valid_till', 'is', null), eb('valid_till', '>', nowMs)]))
      .where((eb) => eb.or([eb('allowed_reads', 'is', null), eb('allowed_reads', '>', 0)]))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toLinkShare);
  }

  async findOwn(userId: string, id: string): Promise<LinkShareRecord | undefined> {
    const row = await this.#db.selectFrom('link_shares').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return row && toLinkShare(row);
  }

  async updateOwn(userId: string, id: string, changes: LinkShareChanges): Promise<boolean> {
    const result = await this.#db
      .updateTable('link_shares')
      .set({
        public_title: changes.publicTitle,
        allowed_reads: changes.allowedReads,
        valid_till: changes.validTill?.getTime() ?? null,
        ...(changes.passphraseHash !== undefined ? { passphrase_hash: changes.passphraseHash } : {}),
      })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteOwn(userId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('link_shares').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async findOpenable(id: string, now: Date): Promise<Pick<LinkShareRecord, 'id' | 'passphraseHash'> | undefined> {
    const nowMs = now.getTime();
    const row = await this.#db
      .selectFrom('link_shares')
      .select(['id', 'passphrase_hash'])
      .where('id', '=', id)
      .where((eb) => eb.or([eb('valid_till', 'is', null), eb('valid_till', '>', nowMs)]))
      .where((eb) => eb.or([eb('allowed_reads', 'is', null), eb('allowed_reads', '>', 0)]))
      .executeTakeFirst();
    return row && { id: row.id, passphraseHash: row.passphrase_hash };
  }

  async open(id: string, passphraseHash: string | null, now: Date): Promise<OpenedLinkShare | undefined> {
    const nowMs = now.getTime();
    return this.#db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('link_shares').select(['user_id', 'secret_id']).where('id', '=', id).executeTakeFirst();
      if (!found) return undefined;
      const secretId = sql`${found.secret_id}`;
      // One statement checks everything and counts the read down: `allowed_reads > 0` and the passphrase's hash are
      // re-read on the locked row.
      const { rows } = await sql<{ node: string; node_nonce: string }>`
        with recursive ${rightsCtes(secretStart(found.user_id, secretId), nowMs)}
        update link_shares set allowed_reads = case when allowed_reads is null then null else allowed_reads - 1 end
        where id = ${id} and user_id = ${found.user_id} and secret_id = ${secretId}
          and (valid_till is null or valid_till > ${nowMs})
          and (allowed_reads is null or allowed_reads > 0)
          and ${passphraseHash === null ? sql`passphrase_hash is null` : sql`passphrase_hash = ${passphraseHash}`}
          and exists (select 1 from users u where u.id = ${found.user_id} and u.is_active and u.is_email_active)
          and ${secretAllowed(found.user_id, secretId, 'r')}
        returning node, node_nonce`.execute(trx);
      const link = rows[0];
      if (!link) return undefined;
      const secret = await trx
        .updateTable('secrets')
        .set((eb) => ({ read_count: eb('read_count', '+', 1) }))
        .where('id', '=', found.secret_id)
        .returning(['data', 'data_nonce', 'read_count'])
        .executeTakeFirst();
      if (!secret) throw new Error('the entry of a link share is gone inside its transaction');
      return { node: link.node, nodeNonce: link.node_nonce, secretData: secret.data, secretDataNonce: secret.data_nonce, secretReadCount: Number(secret.read_count) };
    });
  }

  async sweep(now: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('link_shares')
      .where((eb) => eb.or([eb('valid_till', '<=', now.getTime()), eb('allowed_reads', '<=', 0)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toLinkShare(row: Selectable<LinkSharesTable>): LinkShareRecord {
  return {
    id: row.id,
    userId: row.user_id,
    secretId: row.secret_id,
    publicTitle: row.public_title,
    node: row.node,
    nodeNonce: row.node_nonce,
    allowedReads: maybeNumber(row.allowed_reads),
    passphraseHash: row.passphrase_hash,
    validTill: maybeDate(row.valid_till),
    createdAt: date(row.created_at),
  };
}
