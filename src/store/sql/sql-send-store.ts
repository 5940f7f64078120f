import type { Kysely } from 'kysely';
import type { NewSendInput, NewSendOutcome, SendParty, SendRecord, SendStore } from '../send-store.js';
import type { Database } from './schema.js';
import { isUniqueViolation, type SqlDatabase } from './sql-database.js';

const column = (party: SendParty) => (party === 'sender' ? 'sends.sender_id' : 'sends.recipient_id');
const peerColumn = (party: SendParty) => (party === 'sender' ? 'sends.recipient_id' : 'sends.sender_id');

/** Send rows over the shared query builder; who may see a send is part of every statement that reads it. */
export class SqlSendStore implements SendStore {
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
  }

  async createSend(input: NewSendInput): Promise<NewSendOutcome> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const recipient = await trx.selectFrom('users').select('id').where('id', '=', input.recipientId).where('is_active', '=', 1).executeTakeFirst();
        if (!recipient) return 'no_recipient';
        const held = await trx
          .selectFrom('sends')
          .innerJoin('files', 'files.id', 'sends.file_id')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('sends.recipient_id', '=', input.recipientId)
          .where('files.state', '=', 'sent')
          .where('files.expires_at', '>', input.now.getTime())
          .executeTakeFirstOrThrow();
        if (Number(held.n) >= input.inboxLimit) return 'inbox_full';
        const claimed = await trx
          .updateTable('files')
          .set({ state: 'sent', owner_token_hash: input.deadOwnerTokenHash })
          .where('id', '=', input.fileId)
          .where('state', '=', 'ready')
          .where('format', '=', 'v2')
          .where('owner_token_hash', '=', input.ownerTokenHash)
          .where('expires_at', '>', input.now.getTime())
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return 'no_file';
        await trx
          .insertInto('sends')
          .values({ file_id: input.fileId, sender_id: input.senderId, recipient_id: input.recipientId, boxed_key: input.boxedKey, created_at: input.now.getTime() })
          .execute();
        return 'created';
      });
    } catch (error) {
      if (isUniqueViolation(error)) return 'no_file';
      throw error;
    }
  }

  #select(party: SendParty, userId: string, now: Date) {
    return this.#db
      .selectFrom('sends')
      .innerJoin('files', 'files.id', 'sends.file_id')
      .innerJoin('users', 'users.id', peerColumn(party))
      .select([
        'sends.file_id',
        'sends.sender_id',
        'sends.recipient_id',
        'sends.boxed_key',
        'sends.created_at',
        'files.size_bytes',
        'files.blob_key',
        'files.expires_at',
        'users.id as peer_id',
        'users.username as peer_username',
        'users.public_key as peer_public_key',
      ])
      .where(column(party), '=', userId)
      .where('files.state', '=', 'sent')
      .where('files.expires_at', '>', now.getTime());
  }

  async listSends(party: SendParty, userId: string, now: Date, limit: number): Promise<SendRecord[]> {
    const rows = await this.#select(party, userId, now).orderBy('sends.created_at', 'desc').orderBy('sends.file_id').limit(limit).execute();
    return rows.map(toRecord);
  }

  async findSend(party: SendParty, userId: string, id: string, now: Date): Promise<SendRecord | undefined> {
    const row = await this.#select(party, userId, now).where('sends.file_id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async revokeSend(party: SendParty, userId: string, id: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('files')
      .set({ state: 'deleted' })
      .where('id', '=', id)
      .where('state', '=', 'sent')
      .where((eb) => eb.exists(eb.selectFrom('sends').select('sends.file_id').where('sends.file_id', '=', id).where(column(party), '=', userId)))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

interface SendRow {
  file_id: string;
  sender_id: string;
  recipient_id: string;
  boxed_key: string;
  created_at: number | string;
  size_bytes: number | string | null;
  blob_key: string;
  expires_at: number | string | null;
  peer_id: string;
  peer_username: string;
  peer_public_key: string;
}

function toRecord(row: SendRow): SendRecord {
  return {
    id: row.file_id,
    senderId: row.sender_id,
    recipientId: row.recipient_id,
    peer: { id: row.peer_id, username: row.peer_username, publicKey: row.peer_public_key },
    boxedKey: row.boxed_key,
    sizeBytes: Number(row.size_bytes ?? 0),
    blobKey: row.blob_key,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
  };
}
