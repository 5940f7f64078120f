import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fetchTransport, type Transport } from '../../src/client/transport.js';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { parseConfig } from '../../src/server/config.js';
import { createFilesService } from '../../src/server/files/service.js';
import { openStores, type StoreLocations } from '../../src/store/open-stores.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { allFileIds } from '../helpers/stores.js';

const ROUNDS = 3;
const UPLOADS_PER_ROUND = 100;
const PASSWORD = 'crash test passphrase';

interface Acknowledged {
  uploads: Map<string, Buffer>;
  secrets: Map<string, string>;
}

/**
 * Crash safety: a server under 100 concurrent uploads and a stream of vault writes is killed with
 * SIGKILL at a random moment, several rounds over, and restarted on the same stores. Everything that
 * was acknowledged (an upload's 200, a write's 201) is there byte for byte, nothing partial is ever
 * served, and after a sweep no temporary blob, multipart upload or pending row is left.
 */
for (const backend of ['sqlite + folder', 'postgres + s3'] as const) {
  describe(`kill -9 under load (${backend})`, () => {
    test(`${ROUNDS} rounds of ${UPLOADS_PER_ROUND} uploads and vault writes, killed at random; nothing acknowledged lost, nothing partial, nothing left after a sweep`, async () => {
      const work = await mkdtemp(path.join(tmpdir(), 'blindvault-crash-'));
      const database = backend === 'postgres + s3' ? await createTestDatabase() : undefined;
      const s3 = backend === 'postgres + s3' ? await startS3Server() : undefined;
      const locations: StoreLocations = {
        dataDir: path.join(work, 'data'),
        databaseUrl: database?.url,
        blobStoreUrl: s3?.blobStoreUrl({ prefix: 'crash' }),
      };
      const env: Record<string, string> = {
        DATA_DIR: locations.dataDir,
        FILE_UPLOAD_RATE: '1000000/second',
        VAULT_THROTTLE_USER: '1000000/day',
        ...(locations.databaseUrl ? { DATABASE_URL: locations.databaseUrl } : {}),
        ...(locations.blobStoreUrl ? { BLOB_STORE: locations.blobStoreUrl } : {}),
      };
      const acknowledged: Acknowledged = { uploads: new Map(), secrets: new Map() };
      let server: ServerProcess | undefined;
      try {
        server = await startServerProcess(env);
        let current = server.url;
        const transport: Transport = (request) => fetchTransport(current)(request);
        const client = new VaultClient(transport);
        const username = `crash-${randomBytes(4).toString('hex')}@example.com`;
        assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
        const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
        const created = await session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: hex(80), secret_key_nonce: hex(24) });
        assert.equal(created.status, 201);
        const datastoreId = (created.body as { datastore_id: string }).datastore_id;

        for (let round = 0; round < ROUNDS; round += 1) {
          // What this round acknowledges is checked after its restart (earlier rounds' after theirs).
          const thisRound: Acknowledged = { uploads: new Map(), secrets: new Map() };
          await loadAndKill(server, session, datastoreId, thisRound, backend === 'postgres + s3');
          server = await startServerProcess(env);
          current = server.url;
          await checkAcknowledged(server.url, session, thisRound);
          for (const [id, data] of thisRound.uploads) acknowledged.uploads.set(id, data);
          for (const [id, data] of thisRound.secrets) acknowledged.secrets.set(id, data);
        }
        assert.ok(acknowledged.uploads.size > 0 && acknowledged.secrets.size > 0, `acknowledged ${acknowledged.uploads.size} uploads, ${acknowledged.secrets.size} writes`);
        await server.stop();
        server = undefined;
        await sweepAndCheckLeftovers(locations, acknowledged, s3?.endpoint, s3?.bucket);
      } finally {
        if (server) await server.stop();
        await s3?.close();
        await database?.drop();
        await rm(work, { recursive: true, force: true });
      }
    });
  });
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Starts the load, kills the server at a random moment within it, and waits for every client to settle. */
async function loadAndKill(server: ServerProcess, session: VaultSession, datastoreId: string, acknowledged: Acknowledged, multipart: boolean): Promise<void> {
  let killed = false;
  // UPLOADS_PER_ROUND uploads in flight at every moment until the kill: each one answered is replaced.
  const uploads = Array.from({ length: UPLOADS_PER_ROUND }, async (_, i) => {
    for (let n = 0; !killed; n += 1) {
      // A few uploads larger than one S3 part, so multipart uploads are under way at the kill.
      const size = multipart && i < 2 && n === 0 ? 9 * 1024 * 1024 + randomInt(1000) : randomInt(0, 200_000);
      const data = randomBytes(size);
      const { body, contentType } = multipartBody(e2eUpload(data, [{ name: 'expires_in', value: '604800' }]));
      try {
        const res = await fetch(`${server.url}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
        if (res.status !== 200) {
          await res.arrayBuffer();
          continue;
        }
        const { id } = (await res.json()) as { id: string };
        acknowledged.uploads.set(id, data);
      } catch {
        // cut off by the kill: not acknowledged
      }
    }
  });
  const writes = (async () => {
    while (!killed) {
      const data = hex(64);
      try {
        const res = await session.request('PUT', '/secret/', { data, data_nonce: hex(24), link_id: crypto.randomUUID(), parent_datastore_id: datastoreId });
        if (res.status === 201) acknowledged.secrets.set((res.body as { secret_id: string }).secret_id, data);
      } catch {
        // cut off by the kill
      }
    }
  })();
  // Once the load is well under way (some uploads and writes answered, most still in flight), at a
  // random moment of the next 300 ms.
  const deadline = Date.now() + 30_000;
  while ((acknowledged.uploads.size < 5 || acknowledged.secrets.size < 2) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, randomInt(0, 300)));
  const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
  server.process.kill('SIGKILL');
  killed = true;
  await exited;
  await Promise.all([...uploads, writes]);
}

async function checkAcknowledged(url: string, session: VaultSession, acknowledged: Acknowledged): Promise<void> {
  for (const [id, data] of acknowledged.uploads) {
    const res = await fetch(`${url}/f/${id}/encrypted`);
    assert.equal(res.status, 200, `acknowledged upload ${id}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data), `acknowledged upload ${id} byte for byte`);
  }
  for (const [id, data] of acknowledged.secrets) {
    const res = await session.request('GET', `/secret/${id}/`);
    assert.equal(res.status, 200, `acknowledged write ${id}`);
    assert.equal((res.body as { data: string }).data, data);
  }
}

/** Sweeps as an instance would long after the crashes, then looks at what the stores hold. */
async function sweepAndCheckLeftovers(locations: StoreLocations, acknowledged: Acknowledged, s3Endpoint: string | undefined, bucket: string | undefined): Promise<void> {
  const stores = await openStores(locations);
  try {
    const config = parseConfig({});
    // Far enough on that every upload cut off by a kill is stale; not so far that a kept file expires.
    const later = () => new Date(Date.now() + (config.staleUploadSeconds + 3600) * 1000);
    const files = createFilesService({ metadata: stores.metadata, blobs: stores.blobs, config, clock: later });
    // Nothing partial is served: every row that would be served has its whole blob.
    const ids = await allFileIds(stores.metadata);
    for (const id of ids) {
      const record = await stores.metadata.getAvailableFile(id, new Date());
      if (!record) continue;
      const blob = await stores.blobs.get(record.blobKey);
      assert.ok(blob, `served file ${id} has its blob`);
      assert.equal((await buffer(blob.stream)).length, record.sizeBytes, `served file ${id} is whole`);
    }
    await files.sweep();
    await stores.blobs.sweepPartials(0);
    const left = await allFileIds(stores.metadata);
    const served = [];
    for (const id of left) {
      const record = await stores.metadata.getAvailableFile(id, new Date());
      assert.ok(record, `row ${id} left after the sweep is a served file, not a pending one`);
      served.push(record.blobKey);
    }
    for (const id of acknowledged.uploads.keys()) assert.ok(left.includes(id), `acknowledged ${id} kept by the sweep`);
    if (s3Endpoint && bucket) {
      const direct = new S3Client({ region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true });
      try {
        const objects = (await direct.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'crash/' }))).Contents ?? [];
        assert.deepEqual(objects.map((o) => o.Key?.slice('crash/'.length)).sort(), [...served].sort(), 'every object in the bucket belongs to a served file');
        assert.equal((await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'crash/' }))).Uploads?.length ?? 0, 0, 'no multipart upload left');
      } finally {
        direct.destroy();
      }
    } else {
      const partial = await readdir(path.join(locations.dataDir, 'partial'));
      assert.deepEqual(partial, [], 'no partial blob left');
      const shards = await readdir(path.join(locations.dataDir, 'blobs'));
      const blobs = (await Promise.all(shards.map((s) => readdir(path.join(locations.dataDir, 'blobs', s))))).flat();
      assert.deepEqual(blobs.sort(), [...served].sort(), 'every blob belongs to a served file');
    }
  } finally {
    await stores.close();
  }
}
