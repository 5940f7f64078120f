import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MetadataStore } from '../../src/store/metadata-store.js';
import { openStores, type Stores } from '../../src/store/open-stores.js';
import type { VaultObjectLimits } from '../../src/store/vault-object-limits.js';
import { createTestDatabase } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export interface TestStores extends Stores {
  dataDir: string;
  databaseUrl: string | undefined;
}

export async function tempDir(prefix = 'blindvault-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Fresh stores of the given backend, in a temp folder (and a database of their own on PostgreSQL). */
export async function openTestStores(backend: Backend, options: { vaultLimits?: VaultObjectLimits } = {}): Promise<TestStores> {
  const dataDir = await tempDir();
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  const stores = await openStores({ dataDir, databaseUrl: database?.url, blobStoreUrl: undefined, ...options });
  return {
    ...stores,
    dataDir,
    databaseUrl: database?.url,
    async close() {
      await stores.close();
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

/** Every file the folder blob store holds, whole or partial, and every partial resumable upload. */
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
  await walk(path.join(dataDir, 'uploads'));
  return found;
}
