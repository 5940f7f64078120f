import path from 'node:path';
import type { AdminStore } from './admin-store.js';
import type { ApiKeyStore } from './api-key-store.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './blob/fs-blob-store.js';
import { S3BlobStore, type BlobStoreFailure } from './blob/s3-blob-store.js';
import { parseS3Location } from './blob/s3-location.js';
import { FsUploadStore } from './blob/fs-upload-store.js';
import { S3UploadStore } from './blob/s3-upload-store.js';
import type { MetadataStore } from './metadata-store.js';
import type { LeaseStore } from './lease-store.js';
import { ensurePrivateFolder } from './private-folder.js';
import type { RateLimitStore } from './rate-limit-store.js';
import type { SchemaStatus } from './schema-status.js';
import type { ReplayStore } from './replay-store.js';
import type { SendStore } from './send-store.js';
import type { AccountRecoveryStore } from './account-recovery-store.js';
import type { LinkShareStore } from './link-share-store.js';
import { openPostgresDatabase } from './sql/postgres-database.js';
import { pendingMigrations, type SqlDatabase } from './sql/sql-database.js';
import { SqlAdminStore } from './sql/sql-admin-store.js';
import { SqlApiKeyStore } from './sql/sql-api-key-store.js';
import { SqlLeaseStore } from './sql/sql-lease-store.js';
import { SqlMetadataStore } from './sql/sql-metadata-store.js';
import { SqlRateLimitStore } from './sql/sql-rate-limit-store.js';
import { SqlReplayStore } from './sql/sql-replay-store.js';
import { SqlSendStore } from './sql/sql-send-store.js';
import { SqlAccountRecoveryStore } from './sql/sql-account-recovery-store.js';
import { SqlLinkShareStore } from './sql/sql-link-share-store.js';
import { SqlSecondFactorStore } from './sql/sql-second-factor-store.js';
import type { SecondFactorStore } from './second-factor-store.js';
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
  /** Unset: a folder in dataDir; file:///path; s3://BUCKET?… */
  blobStoreUrl: string | undefined;
  /** Told about every failure of a networked blob store (for the log and the metrics). */
  onBlobStoreError?: (failure: BlobStoreFailure) => void;
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
  sends: SendStore;
  recovery: AccountRecoveryStore;
  secondFactors: SecondFactorStore;
  linkShares: LinkShareStore;
  blobs: BlobStore;
  schema: SchemaStatus;
  leases: LeaseStore;
  admin: AdminStore;
  /** Partial resumable uploads, beside the blobs they become. */
  uploads: UploadStore;
  close(): Promise<void>;
}

export async function openSqlDatabase(where: Pick<StoreLocations, 'dataDir' | 'databaseUrl'>, options: { migrate?: boolean } = {}): Promise<SqlDatabase> {
  if (where.databaseUrl === undefined) return openSqliteDatabase(path.join(where.dataDir, 'blindvault.sqlite'), options);
  return openPostgresDatabase(where.databaseUrl, options);
}

export function sqlStores(database: SqlDatabase, vaultLimits: VaultObjectLimits = DEFAULT_VAULT_OBJECT_LIMITS): Omit<Stores, 'blobs' | 'uploads' | 'close'> {
  return {
    schema: { pendingMigrations: () => pendingMigrations(database.db) },
    leases: new SqlLeaseStore(database),
    admin: new SqlAdminStore(database),
    metadata: new SqlMetadataStore(database),
    vault: new SqlVaultStore(database),
    objects: new SqlVaultObjectStore(database, vaultLimits),
    apiKeys: new SqlApiKeyStore(database),
    rateLimits: new SqlRateLimitStore(database),
    replays: new SqlReplayStore(database),
    uploadRecords: new SqlUploadRecordStore(database),
    sends: new SqlSendStore(database),
    recovery: new SqlAccountRecoveryStore(database),
    secondFactors: new SqlSecondFactorStore(database),
    linkShares: new SqlLinkShareStore(database),
  };
}

/**
 * The blob store and the store of partial resumable uploads, kept beside each other: in the blob
 * folder (completing one is a rename), or in the bucket under <prefix>partials/, so that every
 * instance sharing the bucket can continue an upload another one began.
 */
export async function openBlobStore(where: Pick<StoreLocations, 'dataDir' | 'blobStoreUrl' | 'onBlobStoreError'>): Promise<{ blobs: BlobStore; uploads: UploadStore }> {
  let root = where.dataDir;
  if (where.blobStoreUrl !== undefined) {
    const url = new URL(where.blobStoreUrl);
    if (url.protocol === 's3:') {
      const blobs = new S3BlobStore({ location: parseS3Location(where.blobStoreUrl, process.env), ...(where.onBlobStoreError ? { onStoreError: where.onBlobStoreError } : {}) });
      await blobs.ping();
      return { blobs, uploads: new S3UploadStore(blobs) };
    }
    if (url.protocol !== 'file:') throw new Error(`BLOB_STORE: ${url.protocol}// blob stores are not supported`);
    root = url.pathname;
  }
  const blobs = await FsBlobStore.open(root);
  return { blobs, uploads: await FsUploadStore.open(root, blobs) };
}

export async function openStores(where: StoreLocations, options: { migrate?: boolean } = {}): Promise<Stores> {
  // DATA_DIR holds the SQLite database (with the server's keys) or the blobs: owner-only either way.
  if (where.databaseUrl === undefined || where.blobStoreUrl === undefined) await ensurePrivateFolder(where.dataDir, 'DATA_DIR');
  const database = await openSqlDatabase(where, options);
  try {
    const { blobs, uploads } = await openBlobStore(where);
    return { ...sqlStores(database, where.vaultLimits), blobs, uploads, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
