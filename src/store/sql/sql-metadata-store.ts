import { sql, type ExpressionBuilder, type Kysely, type Selectable, type Transaction } from 'kysely';
import { fromHex, toHex } from '../../crypto/encoding.js';
import type {
  FileLimitsUpdate,
  FileRecord,
  FileState,
  FinalizeFileInput,
  MetadataStore,
  NewFileInput,
  NewResume,
  ReserveOutcome,
  SweepCandidate,
  UploadLimits,
  UploadQuotaWindow,
} from '../metadata-store.js';
import type { Database, FilesTable } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

/**
 * The metadata store over one Kysely query builder. SQLite and PostgreSQL differ only in how the
 * connection is made (sqlite-database.ts, postgres-database.ts); every query is shared, so both
 * backends behave the same and pass the same conformance suite.
 */
export class SqlMetadataStore implements MetadataStore {
  readonly backend: 'sqlite' | 'postgres';
  readonly #database: SqlDatabase;
  protected readonly db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#database = database;
    this.backend = database.backend;
    this.db = database.db;
  }

  async createPendingFile(input: NewFileInput): Promise<void> {
    await this.db
      .insertInto('files')
      .values({
        id: input.id,
        blob_key: input.blobKey,
        state: 'uploading',
        owner_token_hash: input.ownerTokenHash,
        format: input.format,
        created_at: ms(input.createdAt),
        touched_at: ms(input.createdAt),
        downloads: 0,
        reserved_bytes: 0,
      })
      .execute();
  }

  async touchPendingFile(id: string, now: Date): Promise<void> {
    await this.db.updateTable('files').set({ touched_at: ms(now) }).where('id', '=', id).where('state', '=', 'uploading').execute();
  }

  async finalizeFile(id: string, input: FinalizeFileInput): Promise<boolean> {
    const result = await this.db
      .updateTable('files')
      .set({
        state: 'ready',
        salt_hex: toHex(input.salt),
        iv_hex: toHex(input.iv),
        size_bytes: byteCount(input.sizeBytes),
        expires_at: ms(input.expiresAt),
        max_downloads: input.maxDownloads,
      })
      .where('id', '=', id)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async discardPendingFile(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await tx.deleteFrom('files').where('id', '=', id).where('state', '=', 'uploading').returning('reserved_bytes').executeTakeFirst();
      if (row) await giveBack(tx, Number(row.reserved_bytes));
    });
  }

  async getAvailableFile(id: string, now: Date): Promise<FileRecord | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.and(availableFile(eb, now)))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async getOwnedFile(id: string, ownerTokenHash: string, now: Date): Promise<FileRecord | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .where('owner_token_hash', '=', ownerTokenHash)
      .where('state', '=', 'ready')
      .where('expires_at', '>', ms(now))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async getServableFile(id: string, now: Date): Promise<FileRecord | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .where('state', '=', 'ready')
      .where('expires_at', '>', ms(now))
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async claimDownload(id: string, now: Date, resume?: NewResume): Promise<FileRecord | undefined> {
    const at = ms(now);
    const resumeUntil = resume && ms(resume.expiresAt);
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('files')
        .set((eb) => ({ downloads: eb('downloads', '+', 1), last_download_at: at }))
        .where('id', '=', id)
        .where((eb) => eb.and(availableFile(eb, now)))
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const sizeBytes = Number(row.size_bytes ?? 0);
      if (resume && resumeUntil !== undefined && sizeBytes > 0) {
        await tx
          .insertInto('file_resumes')
          .values({ token_hash: resume.tokenHash, file_id: id, expires_at: resumeUntil, bytes_left: sizeBytes })
          .execute();
      }
      return toRecord(row);
    });
  }

  async spendResume(id: string, tokenHash: string, bytes: number, now: Date): Promise<{ record: FileRecord; tokenHash: string } | undefined> {
    const at = ms(now);
    const spent = await this.db
      .updateTable('file_resumes')
      .set((eb) => ({ bytes_left: eb('bytes_left', '-', byteCount(bytes)) }))
      .where('token_hash', '=', tokenHash)
      .where('file_id', '=', id)
      .where('expires_at', '>', at)
      .where('bytes_left', '>=', bytes)
      .where((eb) =>
        eb.exists(
          eb.selectFrom('files').select('files.id').where('files.id', '=', id).where('files.state', '=', 'ready').where('files.expires_at', '>', at),
        ),
      )
      .returning('token_hash')
      .executeTakeFirst();
    if (!spent) return undefined;
    const record = await this.getServableFile(id, now);
    return record && { record, tokenHash: spent.token_hash };
  }

  async sweepResumes(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('file_resumes').where('expires_at', '<=', ms(now)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async reserveUploadBytes(id: string, bytes: number, limits: UploadLimits): Promise<ReserveOutcome> {
    const amount = byteCount(bytes);
    const { quota } = limits;
    const quotaKey = quota && { windowStart: ms(quota.windowStart), expiresAt: ms(quota.expiresAt) };
    try {
      await this.db.transaction().execute(async (tx) => {
        const file = await tx
          .updateTable('files')
          .set((eb) => ({ reserved_bytes: eb('reserved_bytes', '+', amount) }))
          .where('id', '=', id)
          .where('state', '=', 'uploading')
          .executeTakeFirst();
        if (file.numUpdatedRows !== 1n) throw new Refusal('gone');
        // One row counts every stored byte: concurrent reservations queue on it, each re-checking the cap.
        const stored = await tx
          .updateTable('storage_usage')
          .set((eb) => ({ bytes: eb('bytes', '+', amount) }))
          .where('name', '=', STORED_FILES)
          .where((eb) => eb(eb('bytes', '+', amount), '<=', limits.storageCapBytes))
          .executeTakeFirst();
        if (stored.numUpdatedRows !== 1n) throw new Refusal('storage_full');
        if (quota && quotaKey) {
          if (amount > quota.limitBytes) throw new Refusal('quota_exceeded');
          const counted = await tx
            .insertInto('upload_quota')
            .values({ subject: quota.subject, window_start: quotaKey.windowStart, bytes: amount, expires_at: quotaKey.expiresAt })
            .onConflict((oc) =>
              oc
                .columns(['subject', 'window_start'])
                .doUpdateSet((eb) => ({ bytes: eb('upload_quota.bytes', '+', amount) }))
                .where((eb) => eb(eb('upload_quota.bytes', '+', amount), '<=', quota.limitBytes)),
            )
            .returning('bytes')
            .executeTakeFirst();
          if (!counted) throw new Refusal('quota_exceeded');
        }
      });
      return 'reserved';
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
  }

  async releaseUploadBytes(id: string, bytes: number, quota?: Pick<UploadQuotaWindow, 'subject' | 'windowStart'>): Promise<void> {
    const amount = byteCount(bytes);
    if (amount === 0) return;
    const windowStart = quota && ms(quota.windowStart);
    await this.db.transaction().execute(async (tx) => {
      const file = await tx
        .updateTable('files')
        .set((eb) => ({ reserved_bytes: eb('reserved_bytes', '-', amount) }))
        .where('id', '=', id)
        .where('reserved_bytes', '>=', amount)
        .executeTakeFirst();
      // A row already removed gave its bytes back then.
      if (file.numUpdatedRows === 1n) await giveBack(tx, amount);
      if (quota && windowStart !== undefined) {
        await tx
          .updateTable('upload_quota')
          .set((eb) => ({ bytes: eb('bytes', '-', amount) }))
          .where('subject', '=', quota.subject)
          .where('window_start', '=', windowStart)
          .where('bytes', '>=', amount)
          .execute();
      }
    });
  }

  async uploadUsage(quota?: Pick<UploadQuotaWindow, 'subject' | 'windowStart'>): Promise<{ storedBytes: number; quotaBytes: number }> {
    const stored = await this.db.selectFrom('storage_usage').select('bytes').where('name', '=', STORED_FILES).executeTakeFirst();
    const counted = quota
      ? await this.db
          .selectFrom('upload_quota')
          .select('bytes')
          .where('subject', '=', quota.subject)
          .where('window_start', '=', ms(quota.windowStart))
          .executeTakeFirst()
      : undefined;
    return { storedBytes: Number(stored?.bytes ?? 0), quotaBytes: Number(counted?.bytes ?? 0) };
  }

  async sweepUploadQuota(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('upload_quota').where('expires_at', '<=', ms(now)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async updateFileLimits(id: string, ownerTokenHash: string, update: FileLimitsUpdate, now: Date): Promise<FileRecord | undefined> {
    const changes: { expires_at?: number; max_downloads?: number | null } = {};
    if (update.expiresAt !== undefined) changes.expires_at = ms(update.expiresAt);
    if (update.maxDownloads !== undefined) changes.max_downloads = update.maxDownloads;
    if (Object.keys(changes).length === 0) {
      const current = await this.getAvailableFile(id, now);
      return current?.ownerTokenHash === ownerTokenHash ? current : undefined;
    }
    const row = await this.db
      .updateTable('files')
      .set(changes)
      .where('id', '=', id)
      .where('owner_token_hash', '=', ownerTokenHash)
      .where('state', '=', 'ready')
      .where('expires_at', '>', ms(now))
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async markFileDeleted(id: string, ownerTokenHash: string): Promise<SweepCandidate | undefined> {
    const row = await this.db
      .updateTable('files')
      .set({ state: 'deleted' })
      .where('id', '=', id)
      .where('owner_token_hash', '=', ownerTokenHash)
      .where('state', '=', 'ready')
      .returning(['id', 'blob_key'])
      .executeTakeFirst();
    return row && { id: row.id, blobKey: row.blob_key };
  }

  async listSweepable(now: Date, staleUploadBefore: Date, resumableSince: Date, limit: number): Promise<SweepCandidate[]> {
    const rows = await this.db
      .selectFrom('files')
      .select(['id', 'blob_key'])
      .where((eb) =>
        eb.or([
          eb('state', '=', 'deleted'),
          eb.and([eb('state', '=', 'uploading'), eb('touched_at', '<', ms(staleUploadBefore))]),
          // A file sent to a vault user (docs/send.md) lives until it expires; downloads do not use it up.
          eb.and([eb('state', '=', 'sent'), eb('expires_at', '<=', now.getTime())]),
          eb.and([
            eb('state', '=', 'ready'),
            eb.or([
              // A ready row without an expiry is served to nobody and would otherwise stay for ever.
              eb('expires_at', 'is', null),
              eb('expires_at', '<=', ms(now)),
              eb.and([
                eb('max_downloads', 'is not', null),
                eb('downloads', '>=', eb.ref('max_downloads')),
                eb('last_download_at', '<=', ms(resumableSince)),
              ]),
            ]),
          ]),
        ]),
      )
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: row.id, blobKey: row.blob_key }));
  }

  async removeFile(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('file_resumes').where('file_id', '=', id).execute();
      const row = await tx.deleteFrom('files').where('id', '=', id).returning('reserved_bytes').executeTakeFirst();
      if (row) await giveBack(tx, Number(row.reserved_bytes));
    });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Closes the connection it shares with the other SQL stores. */
  async close(): Promise<void> {
    await this.#database.close();
  }
}

const STORED_FILES = 'files';

class Refusal extends Error {
  constructor(readonly outcome: ReserveOutcome) {
    super(outcome);
  }
}

/** Unix milliseconds of a valid instant; an invalid Date (NaN) is refused before it reaches a row. */
function ms(date: Date): number {
  const time = date.getTime();
  if (!Number.isSafeInteger(time)) throw new RangeError('metadata store: refusing an invalid time');
  return time;
}

function byteCount(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('metadata store: refusing an invalid byte count');
  return bytes;
}

/** Returns reserved bytes to the storage counter (inside the transaction that removed them from a row). */
async function giveBack(tx: Transaction<Database>, bytes: number): Promise<void> {
  if (bytes <= 0) return;
  await tx.updateTable('storage_usage').set((eb) => ({ bytes: eb('bytes', '-', bytes) })).where('name', '=', STORED_FILES).execute();
}

// A file is served while ready, unexpired and not used up.
function availableFile(eb: ExpressionBuilder<Database, 'files'>, now: Date) {
  return [
    eb('state', '=', 'ready'),
    eb('expires_at', '>', ms(now)),
    eb.or([eb('max_downloads', 'is', null), eb('downloads', '<', eb.ref('max_downloads'))]),
  ];
}

function toRecord(row: Selectable<FilesTable>): FileRecord {
  return {
    id: row.id,
    blobKey: row.blob_key,
    state: row.state as FileState,
    ownerTokenHash: row.owner_token_hash,
    format: row.format,
    salt: row.salt_hex === null ? null : (fromHex(row.salt_hex) ?? null),
    iv: row.iv_hex === null ? null : (fromHex(row.iv_hex) ?? null),
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)),
    downloads: Number(row.downloads),
    maxDownloads: row.max_downloads === null ? null : Number(row.max_downloads),
    lastDownloadAt: row.last_download_at === null ? null : new Date(Number(row.last_download_at)),
  };
}
