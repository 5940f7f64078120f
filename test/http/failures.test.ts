import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { BlobStore } from '../../src/store/blob-store.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { IV, SALT, e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const backend of BACKENDS) {
  describe(`an upload cut off by the client leaves nothing behind (${backend})`, () => {
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await openTestApp(backend);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as AddressInfo).port;
    });
    after(async () => t.close());

    for (const [name, cutAt, storing] of [['in the middle of the file', 0.6, true], ['in the form fields', 100 / (2 * 1024 * 1024), false]] as const) {
      test(`hang-up ${name}`, async () => {
        const { body, contentType } = multipartBody(e2eUpload(randomBytes(2 * 1024 * 1024)));
        const socket = net.connect(port, '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`);
        await new Promise<void>((resolve) => socket.write(body.subarray(0, Math.floor(body.length * cutAt)), () => resolve()));
        // Give the server time to start storing, so the hang-up lands mid-write.
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (storing) assert.equal((await allFileIds(t.stores.metadata)).length, 1, 'the upload is under way when the client hangs up');
        socket.destroy();
        await eventually(async () => (await allFileIds(t.stores.metadata)).length === 0, 'no row');
        await eventually(async () => (await blobFiles(t.stores.dataDir)).length === 0, 'no blob, whole or partial');
      });
    }

    test('control: the same upload sent whole is stored', async () => {
      const data = randomBytes(2 * 1024 * 1024);
      const { body, contentType } = multipartBody(e2eUpload(data));
      const res = await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
      assert.equal(res.status, 200);
      const { id, redirect } = (await res.json()) as { id: string; redirect: string };
      const got = await fetch(`http://127.0.0.1:${port}/f/${id}/encrypted`);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
      assert.equal((await fetch(`http://127.0.0.1:${port}${redirect}`, { method: 'DELETE' })).status, 204);
    });
  });
}

describe('what the logs hold', () => {
  test('one line per request with its id; never the owner token, salt or IV', async () => {
    const t = await openTestApp('sqlite');
    try {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
      const up = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
      const { id, redirect, owner_token } = up.json();
      await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
      await t.app.inject({ method: 'GET', url: redirect });
      await t.app.inject({ method: 'GET', url: `/f/${id}/manage`, headers: { authorization: `Bearer ${owner_token}` } });
      await t.app.inject({ method: 'PATCH', url: redirect, payload: { max_downloads: 3 } });
      await t.app.inject({ method: 'DELETE', url: redirect });
      const text = t.logs.join('');
      for (const secret of [owner_token, SALT.toString('base64'), IV.toString('base64'), Array.from(SALT).join(','), Array.from(IV).join(',')]) {
        assert.ok(!text.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
      }
      const requests = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      assert.equal(requests.length, 6);
      for (const line of requests) assert.match(line.reqId, /^[0-9a-f-]{36}$/);
      assert.ok(requests.some((l) => l.route === '/f/:id/manage'), 'the route pattern, not the path');
      assert.ok(!text.includes(id), 'nor the file id');
    } finally {
      await t.close();
    }
  });
});

describe('server faults', () => {
  const failingBlobs = (blobs: BlobStore): BlobStore => ({
    put: async () => {
      throw new Error('disk on fire at /var/secret/path');
    },
    get: (key, range) => blobs.get(key, range),
    delete: (key) => blobs.delete(key),
    sweepPartials: (age) => blobs.sweepPartials(age),
    freeBytes: () => blobs.freeBytes(),
    ping: async () => {
      throw new Error('blob store down');
    },
  });

  test('an unexpected error is a generic 500 naming the request id, logged, nothing stored', async () => {
    const t = await openTestApp('sqlite', {}, { wrapBlobs: failingBlobs });
    try {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
      const res = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
      assert.equal(res.statusCode, 500);
      const answer = res.json();
      assert.equal(answer.error, 'INTERNAL');
      assert.ok(!res.body.includes('disk on fire'), 'the cause stays in the log');
      assert.ok(t.logs.some((l) => l.includes('disk on fire') && l.includes(answer.requestId)), 'logged with the request id');
      assert.deepEqual(await allFileIds(t.stores.metadata), []);
    } finally {
      await t.close();
    }
  });

  test('/healthz is 200 when the stores answer and 503 when one does not', async () => {
    const healthy = await openTestApp('sqlite');
    const sick = await openTestApp('sqlite', {}, { wrapBlobs: failingBlobs });
    try {
      const ok = await healthy.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { status: 'ok' });
      const down = await sick.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().error, 'UNAVAILABLE');
    } finally {
      await healthy.close();
      await sick.close();
    }
  });
});

describe('upload rate', () => {
  test('uploads past FILE_UPLOAD_RATE from one address get a 429 with Retry-After, before the body is read, and store nothing', async () => {
    const t = await openTestApp('sqlite', { FILE_UPLOAD_RATE: '2/minute' });
    try {
      const send = () => {
        const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
        return t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
      };
      assert.equal((await send()).statusCode, 200);
      assert.equal((await send()).statusCode, 200);
      const refused = await send();
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.json().error, 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.equal((await allFileIds(t.stores.metadata)).length, 2, 'the refused upload stored nothing');
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'other routes are not limited');
    } finally {
      await t.close();
    }
  });
});
