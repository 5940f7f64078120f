import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/store/blob/s3-blob-store.js';
import { parseS3Location } from '../../src/store/blob/s3-location.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { startFaultyProxy, type FaultyProxy } from '../helpers/faulty-proxy.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { allFileIds } from '../helpers/stores.js';

// The files API over the S3 store, with s3rver behind a proxy that breaks it: a failing store is a
// clean 503 JSON answer with no row and no upload left in the bucket, never a 500 or a stack.
describe('files over the S3 blob store, and the store failing', () => {
  let s3: S3TestServer;
  let proxy: FaultyProxy;
  let store: S3BlobStore;
  let direct: S3Client;
  let t: TestApp;
  let base: string;
  const errors: string[] = [];

  before(async () => {
    s3 = await startS3Server();
    proxy = await startFaultyProxy(s3.endpoint);
    store = new S3BlobStore({
      location: parseS3Location(s3.blobStoreUrl({ prefix: 'files', endpoint: proxy.url })),
      partSizeBytes: 64 * 1024,
      idleTimeoutMs: 1_000,
      maxAttempts: 2,
      onStoreError: ({ operation }) => errors.push(operation),
    });
    direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    t = await openTestApp('postgres', {}, { wrapBlobs: () => store });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.close();
    store.close();
    direct.destroy();
    await proxy.close();
    await s3.close();
  });

  const bucketState = async () => ({
    objects: (await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'files/' }))).KeyCount ?? 0,
    uploads: (await direct.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'files/' }))).Uploads?.length ?? 0,
  });

  async function upload(data: Uint8Array, extra: Array<{ name: string; value: string }> = []): Promise<Response> {
    const { body, contentType } = multipartBody(e2eUpload(data, extra));
    return fetch(`${base}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
  }

  test('control: an upload goes into the bucket and comes back whole and by range; deleting it removes the object', async () => {
    const data = randomBytes(1_000_003);
    const res = await upload(data);
    assert.equal(res.status, 200);
    const { id, redirect } = (await res.json()) as { id: string; redirect: string };
    assert.deepEqual(await bucketState(), { objects: 1, uploads: 0 });
    const whole = await fetch(`${base}/f/${id}/encrypted`);
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), data);
    const part = await fetch(`${base}/f/${id}/encrypted`, { headers: { range: 'bytes=70000-70009' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(70_000, 70_010));
    assert.equal((await fetch(`${base}${redirect}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await bucketState(), { objects: 0, uploads: 0 });
  });

  for (const kind of ['status500', 'stall'] as const) {
    test(`the store ${kind === 'status500' ? 'answering 500' : 'going silent'} mid-upload: 503 UNAVAILABLE, no row, nothing in the bucket`, async () => {
      errors.length = 0;
      const rowsBefore = await allFileIds(t.stores.metadata);
      const bucketBefore = await bucketState();
      proxy.setFault({ kind, when: (r) => r.method === 'PUT' && /[?&]partNumber=(?:[3-9]|\d{2,})(?:&|$)/.test(r.url ?? '') });
      let res: Response;
      try {
        res = await upload(randomBytes(1_000_003));
      } finally {
        proxy.setFault(undefined);
      }
      assert.equal(res.status, 503);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.error, 'UNAVAILABLE');
      assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'requestId']);
      assert.deepEqual(await allFileIds(t.stores.metadata), rowsBefore);
      assert.deepEqual(await bucketState(), bucketBefore);
      assert.ok(errors.includes('upload part'), 'the store failure was reported');
      assert.equal((await upload(randomBytes(10))).status, 200, 'control: the store is back');
    });
  }

  test('the store cut mid-download: the client gets a broken transfer, never a short one that looks whole; then a resume finishes it', async () => {
    const data = randomBytes(600_000);
    const { id } = (await (await upload(data)).json()) as { id: string };
    proxy.setFault({ kind: 'cutBody', afterBytes: 200_000, when: (r) => r.method === 'GET' });
    try {
      const res = await fetch(`${base}/f/${id}/encrypted`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(data.length));
      await assert.rejects(res.arrayBuffer());
    } finally {
      proxy.setFault(undefined);
    }
    const rest = await fetch(`${base}/f/${id}/encrypted`, { headers: { range: 'bytes=100000-' } });
    assert.equal(rest.status, 206);
    assert.deepEqual(Buffer.from(await rest.arrayBuffer()), data.subarray(100_000));
  });

  test('the store answering 500 to reads: downloads and /healthz answer 503 JSON; control after', async () => {
    const data = randomBytes(1000);
    const { id } = (await (await upload(data)).json()) as { id: string };
    proxy.setFault({ kind: 'status500', when: (r) => r.method === 'GET' || r.method === 'HEAD' });
    try {
      const res = await fetch(`${base}/f/${id}/encrypted`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, 'UNAVAILABLE');
      assert.equal((await fetch(`${base}/healthz`)).status, 503);
    } finally {
      proxy.setFault(undefined);
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const again = await fetch(`${base}/f/${id}/encrypted`);
    assert.equal(again.status, 200);
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), data);
  });
});

// A download holds its GET's socket to the store for as long as its client takes to read. The SDK's
// default pool (50 sockets) let 50 slow downloads starve every other request of the instance, and
// the queued ones failed after the connection timeout (the wait for a socket counted in it) as 503s
// with the store healthy: under load, the scale bench's tus and upload errors.
describe('the S3 store with more downloads open at once than the SDK pools by default', () => {
  let s3: S3TestServer;
  let store: S3BlobStore;
  before(async () => {
    s3 = await startS3Server();
    store = new S3BlobStore({ location: parseS3Location(s3.blobStoreUrl({ prefix: 'pool' })), maxAttempts: 1 });
  });
  after(async () => {
    store.close();
    await s3.close();
  });

  test('60 downloads held open by slow readers: another upload and download still go through; then each held one reads whole', async () => {
    const big = randomBytes(4 * 1024 * 1024);
    await store.put('big', (async function* () {
      yield big;
    })());
    const held = [];
    for (let i = 0; i < 60; i += 1) {
      const blob = await store.get('big');
      assert.ok(blob, `download ${i + 1} opened`);
      held.push(blob);
    }
    try {
      const small = randomBytes(1000);
      assert.deepEqual(await store.put('small', (async function* () {
        yield small;
      })()), { sizeBytes: 1000 });
      const read = await store.get('small');
      assert.ok(read);
      assert.deepEqual(await buffer(read.stream), small);
      // The held downloads were only slow: each reads whole.
      for (const blob of held.splice(0, 3)) assert.deepEqual(await buffer(blob.stream), big);
    } finally {
      for (const blob of held) blob.stream.destroy();
    }
    await store.delete('big');
    await store.delete('small');
  });
});
