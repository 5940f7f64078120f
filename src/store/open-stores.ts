import path from 'node:path';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './blob/fs-blob-store.js';
import type { MetadataStore } from './metadata-store.js';
import { PostgresMetadataStore } from './sql/postgres-metadata-store.js';
import { SqliteMetadataStore } from './sql/sqlite-metadata-store.js';

export interface StoreLocations {
  dataDir: string;
  /** Unset: SQLite in dataDir. postgres://…: PostgreSQL. */
  databaseUrl: string | undefined;
  /** Unset: a folder in dataDir. */
  blobStoreUrl: string | undefined;
}

export async function openMetadataStore(where: StoreLocations): Promise<MetadataStore> {
  if (where.databaseUrl === undefined) return SqliteMetadataStore.open(path.join(where.dataDir, 'blindvault.sqlite'));
  return PostgresMetadataStore.open(where.databaseUrl);
}

export async function openBlobStore(where: StoreLocations): Promise<BlobStore> {
  if (where.blobStoreUrl === undefined) return FsBlobStore.open(where.dataDir);
  const url = new URL(where.blobStoreUrl);
  if (url.protocol === 'file:') return FsBlobStore.open(url.pathname);
  throw new Error(`BLOB_STORE: ${url.protocol}// blob stores are not supported yet`);
}
