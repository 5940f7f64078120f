import { sql, type Kysely, type Selectable } from 'kysely';
import type { CompleteUploadInput, LockAttempt, NewUploadInput, UploadRecord, UploadRecordStore, UploadState } from '../upload-record-store.js';
import type { Database, UploadsTable } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

/** Thrown inside a transaction to roll it back when a row it expects is gone. */
class RolledBack extends Error {}

/** Upload rows over the shared query builder; every check is part of the statement that reads or writes. */
export class SqlUploadRecordStore implements UploadRecordStore {
  readonly #backend: 'sqlite' | 'postgres';
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#backend = database.backend;
    this.#db = database.db;
  }

  async createUpload(input: NewUploadInput, maxPartialPerAddress: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      // PostgreSQL: creations from one address take turns, so two cannot both see room for one.
      // SQLite runs one write transaction at a time already.
      if (this.#backend === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`uploads:${input.clientAddress}`}))`.execute(trx);
      const open = await trx
        .selectFrom('uploads')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('client_address', '=', input.clientAddress)
        .where('state', '=', 'receiving')
        .executeTakeFirstOrThrow();
      if (Number(open.n) >= maxPartialPerAddress) return false;
      const { file } = input;
      await trx
        .insertInto('files')
        .values({
          id: file.id,
          blob_key: file.blobKey,
          state: 'uploading',
          owner_token_hash: file.ownerTokenHash,
          format: file.format,
          created_at: file.createdAt.getTime(),
          touched_at: file.createdAt.getTime(),
          downloads: 0,
          reserved_bytes: 0,
        })
        .execute();
      await trx
        .insertInto('uploads')
        .values({
          id: file.id,
          upload_token_hash: input.uploadTokenHash,
          state: 'receiving',
          length_bytes: input.lengthBytes,
          ttl_seconds: input.ttlSeconds,
          max_downloads: input.maxDownloads,
          client_address: input.clientAddress,
          created_at: file.createdAt.getTime(),
          release_requested: 0,
        })
        .execute();
      return true;
    });
  }

  async getUpload(id: string, uploadTokenHash: string, staleBefore: Date): Promise<UploadRecord | undefined> {
    const row = await this.#db
      .selectFrom('uploads')
      .innerJoin('files', 'files.id', 'uploads.id')
      .selectAll('uploads')
      .select('files.blob_key')
      .where('uploads.id', '=', id)
      .where('uploads.upload_token_hash', '=', uploadTokenHash)
      .where((eb) =>
        eb.or([
          eb.and([eb('uploads.state', '=', 'receiving'), eb('files.state', '=', 'uploading'), eb('files.touched_at', '>=', staleBefore.getTime())]),
          eb.and([eb('uploads.state', '=', 'complete'), eb('files.state', '=', 'ready')]),
        ]),
      )
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async completeUpload(id: string, uploadTokenHash: string, input: CompleteUploadInput): Promise<boolean> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        const upload = await trx
          .updateTable('uploads')
          .set({ state: 'complete', client_address: '', lock_token: null, lock_expires_at: null, release_requested: 0 })
          .where('id', '=', id)
          .where('upload_token_hash', '=', uploadTokenHash)
          .where('state', '=', 'receiving')
          .executeTakeFirst();
        if (upload.numUpdatedRows !== 1n) throw new RolledBack();
        const file = await trx
          .updateTable('files')
          .set({
            state: 'ready',
            size_bytes: input.sizeBytes,
            created_at: input.completedAt.getTime(),
            expires_at: input.expiresAt.getTime(),
            max_downloads: input.maxDownloads,
          })
          .where('id', '=', id)
          .where('state', '=', 'uploading')
          .executeTakeFirst();
        if (file.numUpdatedRows !== 1n) throw new RolledBack();
      });
      return true;
    } catch (error) {
      if (error instanceof RolledBack) return false;
      throw error;
    }
  }

  async removeUpload(id: string, uploadTokenHash: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('uploads')
      .where('id', '=', id)
      .where('upload_token_hash', '=', uploadTokenHash)
      .where('state', '=', 'receiving')
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async listStaleUploads(staleBefore: Date, limit: number): Promise<Array<{ id: string; blobKey: string }>> {
    const rows = await this.#db
      .selectFrom('uploads')
      .innerJoin('files', 'files.id', 'uploads.id')
      .select(['uploads.id', 'files.blob_key'])
      .where('uploads.state', '=', 'receiving')
      .where('files.state', '=', 'uploading')
      .where('files.touched_at', '<', staleBefore.getTime())
      .orderBy('uploads.created_at')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: row.id, blobKey: row.blob_key }));
  }

  async isReceiving(id: string): Promise<boolean> {
    const row = await this.#db.selectFrom('uploads').select('id').where('id', '=', id).where('state', '=', 'receiving').executeTakeFirst();
    return row !== undefined;
  }

  async tryLock(id: string, uploadTokenHash: string, lockToken: string, now: Date, leaseUntil: Date): Promise<LockAttempt> {
    const taken = await this.#db
      .updateTable('uploads')
      .set({ lock_token: lockToken, lock_expires_at: leaseUntil.getTime(), release_requested: 0 })
      .where('id', '=', id)
      .where('upload_token_hash', '=', uploadTokenHash)
      .where((eb) => eb.or([eb('lock_token', 'is', null), eb('lock_expires_at', '<=', now.getTime())]))
      .executeTakeFirst();
    if (taken.numUpdatedRows === 1n) return 'acquired';
    const exists = await this.#db
      .selectFrom('uploads')
      .select('id')
      .where('id', '=', id)
      .where('upload_token_hash', '=', uploadTokenHash)
      .executeTakeFirst();
    return exists ? 'busy' : 'absent';
  }

  async requestRelease(id: string, uploadTokenHash: string): Promise<void> {
    await this.#db
      .updateTable('uploads')
      .set({ release_requested: 1 })
      .where('id', '=', id)
      .where('upload_token_hash', '=', uploadTokenHash)
      .where('lock_token', 'is not', null)
      .execute();
  }

  async renewLock(id: string, lockToken: string, leaseUntil: Date): Promise<{ held: boolean; releaseRequested: boolean }> {
    const row = await this.#db
      .updateTable('uploads')
      .set({ lock_expires_at: leaseUntil.getTime() })
      .where('id', '=', id)
      .where('lock_token', '=', lockToken)
      .returning('release_requested')
      .executeTakeFirst();
    return row ? { held: true, releaseRequested: Number(row.release_requested) !== 0 } : { held: false, releaseRequested: false };
  }

  async unlock(id: string, lockToken: string): Promise<void> {
    await this.#db
      .updateTable('uploads')
      .set({ lock_token: null, lock_expires_at: null, release_requested: 0 })
      .where('id', '=', id)
      .where('lock_token', '=', lockToken)
      .execute();
  }
}

function toRecord(row: Selectable<UploadsTable> & { blob_key: string }): UploadRecord {
  return {
    id: row.id,
    blobKey: row.blob_key,
    uploadTokenHash: row.upload_token_hash,
    state: row.state as UploadState,
    lengthBytes: Number(row.length_bytes),
    ttlSeconds: Number(row.ttl_seconds),
    maxDownloads: row.max_downloads === null ? null : Number(row.max_downloads),
    createdAt: new Date(Number(row.created_at)),
  };
}
