import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BlobStore } from '../../src/store/blob-store.js';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import type { MetadataStore } from '../../src/store/metadata-store.js';
import { PostgresMetadataStore } from '../../src/store/sql/postgres-metadata-store.js';
import { SqliteMetadataStore } from '../../src/store/sql/sqlite-metadata-store.js';
import { createTestDatabase } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export interface TestStores {
  dataDir: string;
  databaseUrl: string | undefined;
  metadata: MetadataStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

export async function tempDir(prefix = 'blindvault-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Fresh stores of the given backend, in a temp folder (and a database of their own on PostgreSQL). */
export async function openTestStores(backend: Backend): Promise<TestStores> {
  const dataDir = await tempDir();
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  const metadata = database
    ? await PostgresMetadataStore.open(database.url)
    : await SqliteMetadataStore.open(path.join(dataDir, 'blindvault.sqlite'));
  const blobs = await FsBlobStore.open(dataDir);
  return {
    dataDir,
    databaseUrl: database?.url,
    metadata,
    blobs,
    async close() {
      await metadata.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const FAR_FUTURE = new Date(8.64e15);

/** Every file row, in any state (read through the store interface). */
export async function allFileIds(metadata: MetadataStore): Promise<string[]> {
  return (await metadata.listSweepable(FAR_FUTURE, FAR_FUTURE, FAR_FUTURE, 100_000)).map((c) => c.id);
}

/** Every file the folder blob store holds, whole or partial. */
export async function blobFiles(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found.push(path.relative(dataDir, full));
    }
  };
  await walk(path.join(dataDir, 'blobs'));
  await walk(path.join(dataDir, 'partial'));
  return found;
}
