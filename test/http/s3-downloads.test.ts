import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { S3BlobStore } from '../../src/store/blob/s3-blob-store.js';
import { parseS3Location } from '../../src/store/blob/s3-location.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { startFaultyProxy, type FaultyProxy } from '../helpers/faulty-proxy.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Fails the first `count` GETs of objects that reach the proxy (a short S3 outage), then passes all. */
function firstGets(count: number): (request: { method?: string | undefined }) => boolean {
  let left = count;
  return (request) => {
    if (request.method !== 'GET' || left === 0) return false;
    left -= 1;
    return true;
  };
}

// A download whose blob the store fails to open counts none of the file's downloads; the count is
// still one atomic statement, so the limit holds for concurrent requests over two instances.
describe('downloads over the S3 store while it fails: a failed open is not a download (PostgreSQL, two instances)', () => {
  let s3: S3TestServer;
  let proxy: FaultyProxy;
  let store: S3BlobStore;
  let a: TestApp;
  let b: FastifyInstance;
  let bases: [string, string];

  before(async () => {
    s3 = await startS3Server();
    proxy = await startFaultyProxy(s3.endpoint);
    store = new S3BlobStore({
      location: parseS3Location(s3.blobStoreUrl({ prefix: 'downloads', endpoint: proxy.url })),
      partSizeBytes: 64 * 1024,
      idleTimeoutMs: 1_000,
      // No retry: each injected fault is one failed open, so the counts below are exact.
      maxAttempts: 1,
    });
    a = await openTestApp('postgres', {}, { wrapBlobs: () => store });
    ({ app: b } = await buildApp({ config: parseConfig({ LOG_LEVEL: 'warn' }), ...a.stores, blobs: store }));
    bases = [await listen(a.app), await listen(b)];
  });
  after(async () => {
    await b.close();
    await a.close();
    store.close();
    await proxy.close();
    await s3.close();
  });

  async function upload(data: Uint8Array, maxDownloads: number): Promise<{ id: string; redirect: string }> {
    const { body, contentType } = multipartBody(e2eUpload(data, [{ name: 'max_downloads', value: String(maxDownloads) }]));
    const res = await fetch(`${bases[0]}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { id: string; redirect: string };
  }
  const downloadsOf = async (redirect: string) =>
    ((await (await fetch(`${bases[0]}${redirect}`, { headers: { accept: 'application/json' } })).json()) as { downloads: number }).downloads;

  async function expectUnavailable(res: Response): Promise<void> {
    assert.equal(res.status, 503);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.error, 'UNAVAILABLE');
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'requestId']);
  }

  for (const [what, fault] of [
    ['answering 500', { kind: 'status500' }],
    ['going silent before the first byte', { kind: 'stall' }],
  ] as const) {
    test(`the store ${what} to a download of a one-download file: 503, the download is not used; control: it then downloads once`, async () => {
      const data = randomBytes(300_000);
      const { id, redirect } = await upload(data, 1);
      proxy.setFault({ ...fault, when: firstGets(1) });
      try {
        await expectUnavailable(await fetch(`${bases[1]}/f/${id}/encrypted`));
        assert.equal(proxy.hits(), 1, 'the store was reached and failed');
      } finally {
        proxy.setFault(undefined);
      }
      assert.equal(await downloadsOf(redirect), 0);
      const res = await fetch(`${bases[0]}/f/${id}/encrypted`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-blindvault-downloads-left'), '0');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
      assert.equal(await downloadsOf(redirect), 1);
      assert.equal((await fetch(`${bases[1]}/f/${id}/encrypted`)).status, 404, 'the limit holds once the store is back');
    });
  }

  test('12 concurrent downloads over two instances against max_downloads 3 while 6 opens fail: 6×503, exactly 3×200, 3×404', async () => {
    const data = randomBytes(200_000);
    const { id, redirect } = await upload(data, 3);
    proxy.setFault({ kind: 'status500', when: firstGets(6) });
    let answers: Array<{ status: number; bytes: Buffer }>;
    try {
      answers = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const res = await fetch(`${bases[i % 2]}/f/${id}/encrypted`);
          return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
        }),
      );
    } finally {
      proxy.setFault(undefined);
    }
    const count = (status: number) => answers.filter((r) => r.status === status).length;
    assert.deepEqual({ 200: count(200), 404: count(404), 503: count(503) }, { 200: 3, 404: 3, 503: 6 });
    for (const ok of answers.filter((r) => r.status === 200)) assert.deepEqual(ok.bytes, data);
    assert.equal(await downloadsOf(redirect), 3);
    assert.equal((await fetch(`${bases[0]}/f/${id}/encrypted`)).status, 404);
  });

  test("a resume while the store answers 500 spends none of the resume credential's bytes; control: the resume then finishes", async () => {
    const data = randomBytes(600_000);
    const { id } = await upload(data, 1);
    proxy.setFault({ kind: 'cutBody', afterBytes: 100_000, when: firstGets(1) });
    let token: string | null;
    try {
      const broken = await fetch(`${bases[0]}/f/${id}/encrypted`);
      assert.equal(broken.status, 200);
      token = broken.headers.get('x-resume-token');
      await assert.rejects(broken.arrayBuffer());
    } finally {
      proxy.setFault(undefined);
    }
    assert.ok(token);
    // The rest is 500 000 of the credential's 600 000 bytes: had the failed try spent them, the
    // next resume would be refused, counted as a new download, and find the file used up (404).
    const resume = () => fetch(`${bases[1]}/f/${id}/encrypted`, { headers: { range: 'bytes=100000-', 'x-resume-token': token } });
    proxy.setFault({ kind: 'status500', when: firstGets(1) });
    try {
      await expectUnavailable(await resume());
    } finally {
      proxy.setFault(undefined);
    }
    const rest = await resume();
    assert.equal(rest.status, 206);
    assert.deepEqual(Buffer.from(await rest.arrayBuffer()), data.subarray(100_000));
  });
});
