import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/store/blob/s3-blob-store.js';
import { parseS3Location } from '../../src/store/blob/s3-location.js';
import { startFaultyProxy } from '../helpers/faulty-proxy.js';
import { startS3Server } from '../helpers/s3-server.js';
import path from 'node:path';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { PostgresMetadataStore } from '../../src/store/sql/postgres-metadata-store.js';
import { SqliteMetadataStore } from '../../src/store/sql/sqlite-metadata-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { allFileIds, openTestStores, tempDir } from '../helpers/stores.js';
import { vaultObjectsSuite } from './vault-objects.js';
import { vaultStoresSuite } from './vault-stores.js';
import { blobStoreSuite } from './blob-store.js';
import { metadataStoreSuite } from './metadata-store.js';
import { uploadRecordsSuite } from './upload-records.js';
import { uploadStoreSuite } from './upload-store.js';
import { FsUploadStore } from '../../src/store/blob/fs-upload-store.js';

metadataStoreSuite('SQLite', async () => {
  const dir = await tempDir();
  const store = await SqliteMetadataStore.open(path.join(dir, 'meta.sqlite'));
  return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});

metadataStoreSuite('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresMetadataStore.open(database.url);
  return { store, close: async () => { await store.close(); await database.drop(); } };
});

blobStoreSuite('folder', async () => {
  const dir = await tempDir();
  const store = await FsBlobStore.open(dir);
  return {
    store,
    countPartials: async () => (await readdir(path.join(dir, 'partial'))).length,
    leavePartial: () => writeFile(path.join(dir, 'partial', 'crashed.x1'), 'half'),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

// s3rver on loopback, reached through a proxy that can break it; parts of 64 KiB so that a 1 MiB
// blob is a multipart upload of 17 parts (s3rver does not enforce S3's 5 MiB floor).
blobStoreSuite(
  'S3 (s3rver)',
  async () => {
    const s3 = await startS3Server();
    const proxy = await startFaultyProxy(s3.endpoint);
    const location = parseS3Location(s3.blobStoreUrl({ prefix: 'conformance', endpoint: proxy.url }));
    const store = new S3BlobStore({ location, partSizeBytes: 65_536, idleTimeoutMs: 1_000, maxAttempts: 2 });
    // The harness looks at the server directly, past the proxy.
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    const Bucket = s3.bucket;
    const objectRequest = (request: { method?: string; url?: string }) => !/[?&](uploads|uploadId)(=|&|$)/.test(request.url ?? '');
    return {
      store,
      countPartials: async () => (await direct.send(new ListMultipartUploadsCommand({ Bucket, Prefix: location.prefix }))).Uploads?.length ?? 0,
      async leavePartial() {
        const Key = `${location.prefix}crashed`;
        const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        await direct.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from('half') }));
      },
      faults: {
        failUploadMidway: (kind) =>
          proxy.setFault({ kind: kind === 'error' ? 'status500' : 'stall', when: (r) => r.method === 'PUT' && /[?&]partNumber=(?:[2-9]|\d{2,})(?:&|$)/.test(r.url ?? '') }),
        failUploadCompletion: () => proxy.setFault({ kind: 'status500', when: (r) => r.method === 'POST' && /[?&]uploadId=/.test(r.url ?? '') }),
        breakDownloads: (kind, afterBytes) =>
          proxy.setFault({ kind: kind === 'cut' ? 'cutBody' : 'stallBody', afterBytes, when: (r) => r.method === 'GET' && objectRequest(r) }),
        failReads: () => proxy.setFault({ kind: 'status500', when: (r) => r.method === 'GET' || r.method === 'HEAD' }),
        clear: () => proxy.setFault(undefined),
      },
      async close() {
        store.close();
        direct.destroy();
        await proxy.close();
        await s3.close();
      },
    };
  },
  { faults: true },
);

uploadStoreSuite('folder', async () => {
  const dir = await tempDir();
  const blobs = await FsBlobStore.open(dir);
  const uploads = await FsUploadStore.open(dir, blobs);
  return { uploads, blobs, close: () => rm(dir, { recursive: true, force: true }) };
});

for (const backend of ['sqlite', 'postgres'] as const) {
  uploadRecordsSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { records: stores.uploadRecords, metadata: stores.metadata, close: () => stores.close() };
  });
}

describe('PostgreSQL migrations', () => {
  test('two instances starting at once on a fresh database both come up, with one schema', async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([PostgresMetadataStore.open(database.url), PostgresMetadataStore.open(database.url), PostgresMetadataStore.open(database.url)]);
      for (const store of stores) await store.ping();
      const check = await PostgresMetadataStore.open(database.url);
      assert.deepEqual(await allFileIds(check), []);
      await Promise.all([...stores, check].map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });
});

for (const backend of ['sqlite', 'postgres'] as const) {
  vaultStoresSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { vault: stores.vault, rateLimits: stores.rateLimits, replays: stores.replays, close: () => stores.close() };
  });
}

for (const backend of ['sqlite', 'postgres'] as const) {
  vaultObjectsSuite(backend === 'sqlite' ? 'SQLite' : 'PostgreSQL', async () => {
    const stores = await openTestStores(backend);
    return { vault: stores.vault, objects: stores.objects, apiKeys: stores.apiKeys, close: () => stores.close() };
  });
}
