import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { fromHex, toHex } from '../../crypto/encoding.js';
import type {
  FileLimitsUpdate,
  FileRecord,
  FileState,
  FinalizeFileInput,
  MetadataStore,
  NewFileInput,
  SweepCandidate,
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
        created_at: input.createdAt.getTime(),
        touched_at: input.createdAt.getTime(),
        downloads: 0,
      })
      .execute();
  }

  async touchPendingFile(id: string, now: Date): Promise<void> {
    await this.db.updateTable('files').set({ touched_at: now.getTime() }).where('id', '=', id).where('state', '=', 'uploading').execute();
  }

  async finalizeFile(id: string, input: FinalizeFileInput): Promise<boolean> {
    const result = await this.db
      .updateTable('files')
      .set({
        state: 'ready',
        salt_hex: toHex(input.salt),
        iv_hex: toHex(input.iv),
        size_bytes: input.sizeBytes,
        expires_at: input.expiresAt.getTime(),
        max_downloads: input.maxDownloads,
      })
      .where('id', '=', id)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async discardPendingFile(id: string): Promise<void> {
    await this.db.deleteFrom('files').where('id', '=', id).where('state', '=', 'uploading').execute();
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
      .where('expires_at', '>', now.getTime())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async getResumableFile(id: string, now: Date, since: Date): Promise<FileRecord | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', id)
      .where('state', '=', 'ready')
      .where('expires_at', '>', now.getTime())
      .where('last_download_at', '>', since.getTime())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async claimDownload(id: string, now: Date): Promise<FileRecord | undefined> {
    const row = await this.db
      .updateTable('files')
      .set((eb) => ({ downloads: eb('downloads', '+', 1), last_download_at: now.getTime() }))
      .where('id', '=', id)
      .where((eb) => eb.and(availableFile(eb, now)))
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async updateFileLimits(id: string, ownerTokenHash: string, update: FileLimitsUpdate, now: Date): Promise<FileRecord | undefined> {
    const changes: { expires_at?: number; max_downloads?: number | null } = {};
    if (update.expiresAt !== undefined) changes.expires_at = update.expiresAt.getTime();
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
      .where('expires_at', '>', now.getTime())
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
          eb.and([eb('state', '=', 'uploading'), eb('touched_at', '<', staleUploadBefore.getTime())]),
          // A file sent to a vault user (docs/send.md) lives until it expires; downloads do not use it up.
          eb.and([eb('state', '=', 'sent'), eb('expires_at', '<=', now.getTime())]),
          eb.and([
            eb('state', '=', 'ready'),
            eb.or([
              eb('expires_at', '<=', now.getTime()),
              eb.and([
                eb('max_downloads', 'is not', null),
                eb('downloads', '>=', eb.ref('max_downloads')),
                eb('last_download_at', '<=', resumableSince.getTime()),
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
    await this.db.deleteFrom('files').where('id', '=', id).execute();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Closes the connection it shares with the other SQL stores. */
  async close(): Promise<void> {
    await this.#database.close();
  }
}

// A file is served while ready, unexpired and not used up.
function availableFile(eb: ExpressionBuilder<Database, 'files'>, now: Date) {
  return [
    eb('state', '=', 'ready'),
    eb('expires_at', '>', now.getTime()),
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
