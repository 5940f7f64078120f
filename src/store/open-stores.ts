import path from 'node:path';
import type { ApiKeyStore } from './api-key-store.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './blob/fs-blob-store.js';
import { FsUploadStore } from './blob/fs-upload-store.js';
import type { MetadataStore } from './metadata-store.js';
import { ensurePrivateFolder } from './private-folder.js';
import type { RateLimitStore } from './rate-limit-store.js';
import type { ReplayStore } from './replay-store.js';
import { openPostgresDatabase } from './sql/postgres-database.js';
import type { SqlDatabase } from './sql/sql-database.js';
import { SqlApiKeyStore } from './sql/sql-api-key-store.js';
import { SqlMetadataStore } from './sql/sql-metadata-store.js';
import { SqlRateLimitStore } from './sql/sql-rate-limit-store.js';
import { SqlReplayStore } from './sql/sql-replay-store.js';
import { SqlUploadRecordStore } from './sql/sql-upload-record-store.js';
import { SqlVaultObjectStore } from './sql/sql-vault-object-store.js';
import { SqlVaultStore } from './sql/sql-vault-store.js';
import { openSqliteDatabase } from './sql/sqlite-database.js';
import type { UploadRecordStore } from './upload-record-store.js';
import type { UploadStore } from './upload-store.js';
import type { VaultObjectStore } from './vault-object-store.js';
import type { VaultStore } from './vault-store.js';
import { DEFAULT_VAULT_OBJECT_LIMITS, type VaultObjectLimits } from './vault-object-limits.js';

export interface StoreLocations {
  dataDir: string;
  /** Unset: SQLite in dataDir. postgres://…: PostgreSQL. */
  databaseUrl: string | undefined;
  /** Unset: a folder in dataDir. */
  blobStoreUrl: string | undefined;
  /** Bounds on vault objects (per-user storage, history per secret); defaults when unset. */
  vaultLimits?: VaultObjectLimits;
}

/** Every store a server process uses; the SQL ones share one connection. */
export interface Stores {
  metadata: MetadataStore;
  vault: VaultStore;
  objects: VaultObjectStore;
  apiKeys: ApiKeyStore;
  rateLimits: RateLimitStore;
  replays: ReplayStore;
  uploadRecords: UploadRecordStore;
  blobs: BlobStore;
  /** Partial resumable uploads, beside the blobs they become. */
  uploads: UploadStore;
  close(): Promise<void>;
}

export async function openSqlDatabase(where: Pick<StoreLocations, 'dataDir' | 'databaseUrl'>): Promise<SqlDatabase> {
  if (where.databaseUrl === undefined) return openSqliteDatabase(path.join(where.dataDir, 'blindvault.sqlite'));
  return openPostgresDatabase(where.databaseUrl);
}

export function sqlStores(database: SqlDatabase, vaultLimits: VaultObjectLimits = DEFAULT_VAULT_OBJECT_LIMITS): Omit<Stores, 'blobs' | 'uploads' | 'close'> {
  return {
    metadata: new SqlMetadataStore(database),
    vault: new SqlVaultStore(database),
    objects: new SqlVaultObjectStore(database, vaultLimits),
    apiKeys: new SqlApiKeyStore(database),
    rateLimits: new SqlRateLimitStore(database),
    replays: new SqlReplayStore(database),
    uploadRecords: new SqlUploadRecordStore(database),
  };
}

/** The blob store and, beside it on the same filesystem, the store of partial uploads. */
export async function openBlobStore(where: Pick<StoreLocations, 'dataDir' | 'blobStoreUrl'>): Promise<{ blobs: BlobStore; uploads: UploadStore }> {
  let root = where.dataDir;
  if (where.blobStoreUrl !== undefined) {
    const url = new URL(where.blobStoreUrl);
    if (url.protocol !== 'file:') throw new Error(`BLOB_STORE: ${url.protocol}// blob stores are not supported yet`);
    root = url.pathname;
  }
  const blobs = await FsBlobStore.open(root);
  return { blobs, uploads: await FsUploadStore.open(root, blobs) };
}

export async function openStores(where: StoreLocations): Promise<Stores> {
  // DATA_DIR holds the SQLite database (with the server's keys) or the blobs: owner-only either way.
  if (where.databaseUrl === undefined || where.blobStoreUrl === undefined) await ensurePrivateFolder(where.dataDir, 'DATA_DIR');
  const database = await openSqlDatabase(where);
  try {
    const { blobs, uploads } = await openBlobStore(where);
    return { ...sqlStores(database, where.vaultLimits), blobs, uploads, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
