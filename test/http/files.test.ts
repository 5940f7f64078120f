import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { IV, SALT, e2eUpload, multipartBody, type FormPart } from '../helpers/multipart.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';

const decimal = (bytes: Uint8Array) => Array.from(bytes).join(',');

async function upload(t: TestApp, parts: FormPart[], headers: Record<string, string> = {}) {
  const { body, contentType } = multipartBody(parts);
  return t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType, ...headers } });
}

async function uploadOk(t: TestApp, data: Uint8Array, extra: FormPart[] = []) {
  const res = await upload(t, e2eUpload(data, extra));
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ id: string; redirect: string; owner_token: string; download_url: string; max_downloads: number | null; expires_at: string; size_bytes: number }>();
}

function assertError(res: LightMyRequestResponse, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json<{ error: string; message: string; requestId: string }>();
  assert.equal(body.error, code);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  assert.equal(body.requestId, res.headers['x-request-id']);
  assert.doesNotMatch(res.body, /at .+\(.+:\d+:\d+\)|node_modules|\/src\//, 'no stack trace or path');
}

async function assertNothingStored(t: TestApp) {
  assert.deepEqual(await allFileIds(t.stores.metadata), [], 'no metadata row');
  assert.deepEqual(await blobFiles(t.stores.dataDir), [], 'no blob, whole or partial');
}

for (const backend of BACKENDS) {
  describe(`file API over HTTP (${backend})`, () => {
    let t: TestApp;
    before(async () => {
      t = await openTestApp(backend, { MAX_UPLOAD_BYTES: '100000', FILE_MAX_DOWNLOADS: '50', FILE_MAX_TTL_SECONDS: '604800' });
    });
    after(async () => t.close());

    test('upload answers id, absolute download_url, redirect with owner token, size and expiry', async () => {
      const data = randomBytes(1234);
      const res = await upload(t, e2eUpload(data), { host: 'files.example:8443' });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.match(body.id, /^[0-9a-f-]{36}$/);
      assert.equal(body.download_url, `http://files.example:8443/f/${body.id}/encrypted`);
      assert.equal(body.redirect, `/f/${body.id}/manage?token=${body.owner_token}`);
      assert.equal(body.size_bytes, 1234);
      assert.equal(body.e2e, true);
      assert.equal(body.max_downloads, 50, 'no max_downloads: the operator\'s FILE_MAX_DOWNLOADS');
      assert.equal(res.headers['cache-control'], 'no-store', 'the answer holds the owner token');
      const ttl = Date.parse(body.expires_at) - Date.parse(body.created_at);
      assert.ok(Math.abs(ttl - 86400_000) < 5000, `default expiry is one day, got ${ttl} ms`);
    });

    test('download streams the same bytes with salt and IV as decimal byte lists, length and ETag', async () => {
      const data = randomBytes(5000);
      const { id } = await uploadOk(t, data);
      const res = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.rawPayload, data);
      assert.equal(res.headers['x-e2e-salt'], decimal(SALT));
      assert.equal(res.headers['x-e2e-iv'], decimal(IV));
      assert.equal(res.headers['content-length'], '5000');
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.match(String(res.headers.etag), /^"v1-[0-9a-f-]{36}"$/);
      assert.equal(res.headers['accept-ranges'], 'bytes');
    });

    test('salt and IV given as decimal byte lists are accepted the same', async () => {
      const res = await upload(t, [
        { name: 'e2e', value: 'true' },
        { name: 'e2e_salt', value: decimal(SALT) },
        { name: 'e2e_iv', value: decimal(IV) },
        { name: 'file', filename: 'x', data: Buffer.from('abc') },
      ]);
      assert.equal(res.statusCode, 200, res.body);
      const got = await t.app.inject({ method: 'GET', url: `/f/${res.json().id}/encrypted` });
      assert.equal(got.headers['x-e2e-salt'], decimal(SALT));
      assert.equal(got.headers['x-e2e-iv'], decimal(IV));
    });

    test('fields after the file part are read too', async () => {
      const res = await upload(t, [
        { name: 'file', filename: 'x', data: Buffer.from('abc') },
        { name: 'e2e', value: 'true' },
        { name: 'e2e_salt', value: SALT.toString('base64') },
        { name: 'e2e_iv', value: IV.toString('base64') },
      ]);
      assert.equal(res.statusCode, 200, res.body);
    });

    test('an empty file is stored and served', async () => {
      const { id } = await uploadOk(t, new Uint8Array(0));
      const res = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.rawPayload.length, 0);
      assert.equal(res.headers['content-length'], '0');
    });

    test('byte ranges answer 206 with Content-Range, and resume where a download stopped', async () => {
      const data = randomBytes(10_000);
      const { id } = await uploadOk(t, data);
      const head = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=0-4095' } });
      assert.equal(head.statusCode, 206);
      assert.equal(head.headers['content-range'], 'bytes 0-4095/10000');
      assert.equal(head.headers['content-length'], '4096');
      const rest = await t.app.inject({
        method: 'GET',
        url: `/f/${id}/encrypted`,
        headers: { range: 'bytes=4096-', 'if-range': String(head.headers.etag) },
      });
      assert.equal(rest.statusCode, 206);
      assert.equal(rest.headers['content-range'], 'bytes 4096-9999/10000');
      assert.deepEqual(Buffer.concat([head.rawPayload, rest.rawPayload]), data);
      const suffix = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=-10' } });
      assert.deepEqual(suffix.rawPayload, data.subarray(-10));
    });

    test('If-Range naming another version gets the whole file; an unsatisfiable range 416', async () => {
      const data = randomBytes(100);
      const { id } = await uploadOk(t, data);
      const whole = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=50-', 'if-range': '"other"' } });
      assert.equal(whole.statusCode, 200);
      assert.deepEqual(whole.rawPayload, data);
      const bad = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=100-200' } });
      assertError(bad, 416, 'RANGE_NOT_SATISFIABLE');
      assert.equal(bad.headers['content-range'], 'bytes */100');
    });

    test('HEAD gives the headers without counting a download', async () => {
      const { id } = await uploadOk(t, randomBytes(10), [{ name: 'max_downloads', value: '1' }]);
      for (let i = 0; i < 3; i += 1) {
        const res = await t.app.inject({ method: 'HEAD', url: `/f/${id}/encrypted` });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-length'], '10');
        assert.equal(res.headers['x-e2e-iv'], decimal(IV));
      }
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
    });

    test('max_downloads: the file answers 404 once used up', async () => {
      const data = randomBytes(100);
      const { id, max_downloads } = await uploadOk(t, data, [{ name: 'max_downloads', value: '2' }]);
      assert.equal(max_downloads, 2);
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
      assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
      assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=0-9' } }), 404, 'NOT_FOUND');
    });

    test('ranges cannot dodge the limit: a range with no recent counted download counts as one', async () => {
      const { id, redirect } = await uploadOk(t, randomBytes(1000), [{ name: 'max_downloads', value: '1' }]);
      const first = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=1-' } });
      assert.equal(first.statusCode, 206);
      const info = (await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json' } })).json();
      assert.equal(info.downloads, 1, 'the range was counted');
      assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
    });

    test('a broken download of a used-up file is resumed with its credential within the resume window, not after it', async () => {
      const data = randomBytes(10_000);
      const { id } = await uploadOk(t, data, [{ name: 'max_downloads', value: '1' }]);
      const broken = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=0-3999' } });
      assert.equal(broken.statusCode, 206);
      const token = String(broken.headers['x-resume-token']);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/, 'the counted answer carries a resume credential');
      assert.match(String(broken.headers['access-control-expose-headers']), /X-Resume-Token/);
      t.advance(30 * 60_000);
      try {
        const rest = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=4000-', 'x-resume-token': token } });
        assert.equal(rest.statusCode, 206);
        assert.equal(rest.headers['x-resume-token'], undefined, 'a resume is not counted and mints nothing');
        assert.deepEqual(Buffer.concat([broken.rawPayload, rest.rawPayload]), data);
        assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${id}/encrypted` })).statusCode, 404, 'HEAD: used up');
        await t.files.sweep();
        assert.ok((await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)), 'not swept while resumable');
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
        t.advance(31 * 60_000);
        assertError(
          await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=9000-', 'x-resume-token': token } }),
          404,
          'NOT_FOUND',
        );
        await t.files.sweep();
        assert.ok(!(await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)), 'swept once the window passed');
      } finally {
        t.advance(-61 * 60_000);
      }
    });

    describe('max_downloads cannot be bypassed with ranges', () => {
      test('after a counted download, a range without its credential is counted, and refused once used up', async () => {
        const data = randomBytes(1000);
        const { id, redirect } = await uploadOk(t, data, [{ name: 'max_downloads', value: '1' }]);
        const counted = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
        assert.equal(counted.statusCode, 200);
        const token = String(counted.headers['x-resume-token']);
        for (const headers of [{ range: 'bytes=1-' }, { range: 'bytes=1-', 'x-resume-token': 'A'.repeat(43) }, { range: 'bytes=1-', 'x-resume-token': 'short' }]) {
          assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers }), 404, 'NOT_FOUND');
        }
        // control: the counted download's own credential resumes it
        const resumed = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=1-', 'x-resume-token': token } });
        assert.equal(resumed.statusCode, 206, resumed.body);
        assert.deepEqual(resumed.rawPayload, data.subarray(1));
        const info = (await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json' } })).json();
        assert.equal(info.downloads, 1);
      });

      test('a range without a credential on a file with downloads left is counted and answers a credential', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(1000), [{ name: 'max_downloads', value: '3' }]);
        for (let i = 0; i < 3; i += 1) {
          const res = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=1-' } });
          assert.equal(res.statusCode, 206);
          assert.match(String(res.headers['x-resume-token']), /^[A-Za-z0-9_-]{43}$/);
        }
        assert.equal((await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json' } })).json().downloads, 3);
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=1-' } }), 404, 'NOT_FOUND');
      });

      test('the resumes of one counted download serve at most the file\'s size between them', async () => {
        const data = randomBytes(1000);
        const { id } = await uploadOk(t, data, [{ name: 'max_downloads', value: '1' }]);
        const counted = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { range: 'bytes=0-0' } });
        const headers = { 'x-resume-token': String(counted.headers['x-resume-token']) };
        const first = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { ...headers, range: 'bytes=1-600' } });
        assert.equal(first.statusCode, 206);
        const second = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { ...headers, range: 'bytes=601-999' } });
        assert.equal(second.statusCode, 206, '600 + 399 bytes: within the budget of 1000');
        assert.deepEqual(Buffer.concat([counted.rawPayload, first.rawPayload, second.rawPayload]), data);
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { ...headers, range: 'bytes=1-2' } }), 404, 'NOT_FOUND');
        const tiny = await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { ...headers, range: 'bytes=999-999' } });
        assert.equal(tiny.statusCode, 206, 'control: the last byte of the budget');
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted`, headers: { ...headers, range: 'bytes=999-999' } }), 404, 'NOT_FOUND');
      });

      test('a credential resumes only the file it was given for', async () => {
        const a = await uploadOk(t, randomBytes(100), [{ name: 'max_downloads', value: '1' }]);
        const b = await uploadOk(t, randomBytes(100), [{ name: 'max_downloads', value: '1' }]);
        const tokenOfA = String((await t.app.inject({ method: 'GET', url: `/f/${a.id}/encrypted` })).headers['x-resume-token']);
        assert.equal((await t.app.inject({ method: 'GET', url: `/f/${b.id}/encrypted` })).statusCode, 200);
        assertError(
          await t.app.inject({ method: 'GET', url: `/f/${b.id}/encrypted`, headers: { range: 'bytes=1-', 'x-resume-token': tokenOfA } }),
          404,
          'NOT_FOUND',
        );
        assert.equal((await t.app.inject({ method: 'GET', url: `/f/${a.id}/encrypted`, headers: { range: 'bytes=1-', 'x-resume-token': tokenOfA } })).statusCode, 206);
      });

      test('HEAD on a used-up file is 404', async () => {
        const { id } = await uploadOk(t, randomBytes(10), [{ name: 'max_downloads', value: '1' }]);
        assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${id}/encrypted` })).statusCode, 200, 'control: before it is used up');
        assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
        const head = await t.app.inject({ method: 'HEAD', url: `/f/${id}/encrypted` });
        assert.equal(head.statusCode, 404);
        assert.equal(head.headers['x-e2e-iv'], undefined, 'nothing of the file');
      });

      test('an owner\'s max_downloads: null is the operator\'s FILE_MAX_DOWNLOADS, not unlimited', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(10), [{ name: 'max_downloads', value: '1' }]);
        const res = await t.app.inject({ method: 'PATCH', url: redirect, payload: { max_downloads: null } });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().max_downloads, 50);
        for (let i = 0; i < 50; i += 1) assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
      });
    });

    test('concurrent downloads never exceed max_downloads', async () => {
      const { id } = await uploadOk(t, randomBytes(100), [{ name: 'max_downloads', value: '3' }]);
      const results = await Promise.all(Array.from({ length: 12 }, () => t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })));
      assert.equal(results.filter((r) => r.statusCode === 200).length, 3);
      assert.equal(results.filter((r) => r.statusCode === 404).length, 9);
    });

    test('expiry: expires_in is honoured, the file answers 404 after it, and the sweeper deletes the blob without a request', async () => {
      const { id, expires_at } = await uploadOk(t, randomBytes(100), [{ name: 'expires_in', value: '120' }]);
      assert.ok(Math.abs(Date.parse(expires_at) - Date.now() - 120_000) < 5000);
      assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${id}/encrypted` })).statusCode, 200);
      assert.ok((await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)));
      t.advance(121_000);
      try {
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
        await t.files.sweep();
        assert.ok(!(await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)), 'blob removed');
        assert.ok(!(await allFileIds(t.stores.metadata)).includes(id), 'row removed');
      } finally {
        t.advance(-121_000);
      }
    });

    test('the sweeper removes a used-up file once its last download can no longer be resumed', async () => {
      const { id } = await uploadOk(t, randomBytes(100), [{ name: 'max_downloads', value: '1' }]);
      await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
      t.advance(3601_000);
      try {
        await t.files.sweep();
      } finally {
        t.advance(-3601_000);
      }
      assert.ok(!(await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)));
      assert.ok(!(await allFileIds(t.stores.metadata)).includes(id));
    });

    describe('management with the owner token', () => {
      test('the redirect answers JSON to Accept: application/json and HTML to a browser', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(300), [{ name: 'max_downloads', value: '5' }]);
        await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
        const json = await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json', host: 'h.example' } });
        assert.equal(json.statusCode, 200);
        const body = json.json();
        assert.equal(body.id, id);
        assert.equal(body.size_bytes, 300);
        assert.equal(body.downloads, 1);
        assert.equal(body.max_downloads, 5);
        assert.equal(body.download_url, `http://h.example/f/${id}/encrypted`);
        assert.ok(!('owner_token' in body), 'the token is not echoed');
        const html = await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
        assert.equal(html.statusCode, 200);
        assert.match(String(html.headers['content-type']), /^text\/html/);
        assert.match(html.body, /1 of 5/);
        assert.equal(html.headers['referrer-policy'], 'no-referrer');
        assert.equal(html.headers['cache-control'], 'no-store');
      });

      test('the token also works as a Bearer header', async () => {
        const { id, owner_token } = await uploadOk(t, randomBytes(3));
        const res = await t.app.inject({ method: 'GET', url: `/f/${id}/manage`, headers: { authorization: `Bearer ${owner_token}` } });
        assert.equal(res.statusCode, 200);
      });

      test('no token is 401; a wrong or malformed token looks like a missing file (404)', async () => {
        const { id, owner_token } = await uploadOk(t, randomBytes(3));
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/manage` }), 401, 'OWNER_TOKEN_REQUIRED');
        const other = await uploadOk(t, randomBytes(3));
        for (const token of [other.owner_token, 'x', `${owner_token.slice(0, -1)}A`, owner_token.toUpperCase()]) {
          if (token === owner_token) continue;
          assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/manage?token=${encodeURIComponent(token)}` }), 404, 'NOT_FOUND');
          assertError(await t.app.inject({ method: 'DELETE', url: `/f/${id}/manage?token=${encodeURIComponent(token)}` }), 404, 'NOT_FOUND');
        }
        assertError(await t.app.inject({ method: 'GET', url: `/f/${randomUUID()}/manage?token=${owner_token}` }), 404, 'NOT_FOUND');
        // control: the rightful owner still succeeds, and nothing was deleted by the attempts
        assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/manage?token=${owner_token}` })).statusCode, 200);
      });

      test('the owner deletes the file: 204, then 404, blob and row gone', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(50));
        const del = await t.app.inject({ method: 'DELETE', url: redirect });
        assert.equal(del.statusCode, 204);
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
        assertError(await t.app.inject({ method: 'GET', url: redirect }), 404, 'NOT_FOUND');
        assertError(await t.app.inject({ method: 'DELETE', url: redirect }), 404, 'NOT_FOUND');
        assert.ok(!(await blobFiles(t.stores.dataDir)).some((f) => f.endsWith(id)));
        assert.ok(!(await allFileIds(t.stores.metadata)).includes(id));
      });

      test('the owner sees and revives a used-up file', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(50), [{ name: 'max_downloads', value: '1' }]);
        await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` });
        const seen = await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json' } });
        assert.equal(seen.statusCode, 200);
        assert.equal(seen.json().downloads, 1);
        assert.equal((await t.app.inject({ method: 'PATCH', url: redirect, payload: { max_downloads: 2 } })).statusCode, 200);
        assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
      });

      test('the owner changes expiry and download limit', async () => {
        const { id, redirect } = await uploadOk(t, randomBytes(50), [{ name: 'max_downloads', value: '1' }]);
        const res = await t.app.inject({ method: 'PATCH', url: redirect, payload: { expires_in: 600, max_downloads: 3 } });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().max_downloads, 3);
        assert.ok(Math.abs(Date.parse(res.json().expires_at) - Date.now() - 600_000) < 5000);
        for (let i = 0; i < 3; i += 1) assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200);
        assertError(await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` }), 404, 'NOT_FOUND');
      });

      test('a bad change is refused and changes nothing', async () => {
        const { redirect } = await uploadOk(t, randomBytes(50), [{ name: 'max_downloads', value: '2' }]);
        const cases: Array<[unknown, number, string]> = [
          [{ expires_in: 0 }, 400, 'VALIDATION_FAILED'],
          [{ expires_in: 'soon' }, 400, 'VALIDATION_FAILED'],
          [{ expires_in: 604801 }, 400, 'INVALID_EXPIRES_IN'],
          [{ expires_in: 604800 }, 400, 'INVALID_EXPIRES_IN'], // past upload time + FILE_MAX_TTL_SECONDS
          [{ max_downloads: 0 }, 400, 'VALIDATION_FAILED'],
          [{ max_downloads: 51 }, 400, 'INVALID_MAX_DOWNLOADS'],
          [{ max_downloads: 2.5 }, 400, 'VALIDATION_FAILED'],
          [{ expires_in: 9e12 }, 400, 'VALIDATION_FAILED'], // past the schema's maximum: no time beyond what a Date holds
          [{ expires_in: 315360000 }, 400, 'INVALID_EXPIRES_IN'], // the schema's maximum, past FILE_MAX_TTL_SECONDS
          [{ expires_in: 1e300 }, 400, 'VALIDATION_FAILED'],
          [{}, 400, 'VALIDATION_FAILED'],
          [{ owner: 'me' }, 400, 'VALIDATION_FAILED'],
          [[1, 2], 400, 'VALIDATION_FAILED'],
        ];
        for (const [payload, status, code] of cases) {
          assertError(await t.app.inject({ method: 'PATCH', url: redirect, payload: payload as object }), status, code);
        }
        const raw = await t.app.inject({ method: 'PATCH', url: redirect, payload: '{"max_downloads":', headers: { 'content-type': 'application/json' } });
        assertError(raw, 400, 'MALFORMED_BODY');
        const after = (await t.app.inject({ method: 'GET', url: redirect, headers: { accept: 'application/json' } })).json();
        assert.equal(after.max_downloads, 2);
      });
    });

    test('expires_in: 9e12 is refused, and the file stays reachable, changeable and deletable', async () => {
      const { id, redirect } = await uploadOk(t, randomBytes(50));
      assertError(await t.app.inject({ method: 'PATCH', url: redirect, payload: { expires_in: 9e12 } }), 400, 'VALIDATION_FAILED');
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${id}/encrypted` })).statusCode, 200, 'still served');
      const changed = await t.app.inject({ method: 'PATCH', url: redirect, payload: { expires_in: 600 } });
      assert.equal(changed.statusCode, 200, 'control: a sane change works');
      assert.ok(Number.isFinite(Date.parse(changed.json().expires_at)));
      assert.equal((await t.app.inject({ method: 'DELETE', url: redirect })).statusCode, 204);
      assert.ok(!(await allFileIds(t.stores.metadata)).includes(id));
    });

    describe('bad uploads are refused with a 4xx and store nothing', () => {
      let fresh: TestApp;
      before(async () => {
        fresh = await openTestApp(backend, { MAX_UPLOAD_BYTES: '1000', FILE_MAX_DOWNLOADS: '10', FILE_MAX_TTL_SECONDS: '3600' });
      });
      after(async () => fresh.close());

      const file: FormPart = { name: 'file', filename: 'x', data: randomBytes(100) };
      const e2e: FormPart = { name: 'e2e', value: 'true' };
      const salt: FormPart = { name: 'e2e_salt', value: SALT.toString('base64') };
      const iv: FormPart = { name: 'e2e_iv', value: IV.toString('base64') };
      const cases: Array<[string, FormPart[], number, string]> = [
        ['no e2e field', [salt, iv, file], 400, 'E2E_REQUIRED'],
        ['e2e=false before the file', [{ name: 'e2e', value: 'false' }, salt, iv, file], 400, 'E2E_REQUIRED'],
        ['e2e=TRUE (not exactly true)', [{ name: 'e2e', value: 'TRUE' }, salt, iv, file], 400, 'E2E_REQUIRED'],
        ['e2e=false after the file', [file, { name: 'e2e', value: 'false' }, salt, iv], 400, 'E2E_REQUIRED'],
        ['no salt', [e2e, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt of 15 bytes', [e2e, { name: 'e2e_salt', value: randomBytes(15).toString('base64') }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt of 17 decimal bytes', [e2e, { name: 'e2e_salt', value: decimal(randomBytes(17)) }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt with a byte over 255', [e2e, { name: 'e2e_salt', value: `256,${decimal(randomBytes(15))}` }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt with a negative byte', [e2e, { name: 'e2e_salt', value: `-1,${decimal(randomBytes(15))}` }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt neither list nor base64', [e2e, { name: 'e2e_salt', value: 'not base64 at all!!' }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt list with spaces', [e2e, { name: 'e2e_salt', value: decimal(SALT).replaceAll(',', ', ') }, iv, file], 400, 'INVALID_E2E_SALT'],
        ['salt after the file, bad', [e2e, iv, file, { name: 'e2e_salt', value: 'AAAA' }], 400, 'INVALID_E2E_SALT'],
        ['no IV', [e2e, salt, file], 400, 'INVALID_E2E_IV'],
        ['IV of 16 bytes', [e2e, salt, { name: 'e2e_iv', value: randomBytes(16).toString('base64') }, file], 400, 'INVALID_E2E_IV'],
        ['IV with a byte of 999', [e2e, salt, { name: 'e2e_iv', value: `999,${decimal(randomBytes(11))}` }, file], 400, 'INVALID_E2E_IV'],
        ['IV as unpadded base64', [e2e, salt, { name: 'e2e_iv', value: IV.toString('base64').replace(/=+$/, '') + '@' }, file], 400, 'INVALID_E2E_IV'],
        ['no file part', [e2e, salt, iv], 400, 'MISSING_FILE'],
        ['the file under another name', [e2e, salt, iv, { ...file, name: 'upload' }], 400, 'MISSING_FILE'],
        ['two file parts', [e2e, salt, iv, file, file], 400, 'MULTIPLE_FILES'],
        ['a field sent twice', [e2e, salt, salt, iv, file], 400, 'DUPLICATE_FIELD'],
        ['a field that is too long', [e2e, { name: 'e2e_salt', value: 'A'.repeat(5000) }, iv, file], 400, 'TOO_MANY_PARTS'],
        ['too many fields', [...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, value: 'x' })), e2e, salt, iv, file], 400, 'TOO_MANY_PARTS'],
        ['expires_in not a number', [e2e, salt, iv, { name: 'expires_in', value: 'tomorrow' }, file], 400, 'INVALID_EXPIRES_IN'],
        ['expires_in zero', [e2e, salt, iv, { name: 'expires_in', value: '0' }, file], 400, 'INVALID_EXPIRES_IN'],
        ['expires_in over the maximum', [e2e, salt, iv, { name: 'expires_in', value: '3601' }, file], 400, 'INVALID_EXPIRES_IN'],
        ['expires_in after the file', [e2e, salt, iv, file, { name: 'expires_in', value: '-5' }], 400, 'INVALID_EXPIRES_IN'],
        ['expires_in far past any time', [e2e, salt, iv, { name: 'expires_in', value: '9000000000000' }, file], 400, 'INVALID_EXPIRES_IN'],
        ['expires_in in exponent form', [e2e, salt, iv, { name: 'expires_in', value: '9e12' }, file], 400, 'INVALID_EXPIRES_IN'],
        ['max_downloads zero', [e2e, salt, iv, { name: 'max_downloads', value: '0' }, file], 400, 'INVALID_MAX_DOWNLOADS'],
        ['max_downloads over the maximum', [e2e, salt, iv, { name: 'max_downloads', value: '11' }, file], 400, 'INVALID_MAX_DOWNLOADS'],
        ['max_downloads with a fraction', [e2e, salt, iv, { name: 'max_downloads', value: '1.5' }, file], 400, 'INVALID_MAX_DOWNLOADS'],
        ['a file over MAX_UPLOAD_BYTES', [e2e, salt, iv, { ...file, data: randomBytes(1001) }], 413, 'PAYLOAD_TOO_LARGE'],
        ['a field named __proto__', [e2e, salt, iv, { name: '__proto__', value: 'x' }, file], 400, 'VALIDATION_FAILED'],
      ];
      for (const [name, parts, status, code] of cases) {
        test(name, async () => {
          assertError(await upload(fresh, parts), status, code);
          await assertNothingStored(fresh);
        });
      }

      test('a file of exactly MAX_UPLOAD_BYTES is accepted (control for the 413)', async () => {
        const res = await upload(fresh, e2eUpload(randomBytes(1000)));
        assert.equal(res.statusCode, 200, res.body);
        const { redirect } = res.json();
        assert.equal((await fresh.app.inject({ method: 'DELETE', url: redirect })).statusCode, 204);
        await assertNothingStored(fresh);
      });

      test('a declared Content-Length far over the limit is refused before reading', async () => {
        const { body, contentType } = multipartBody(e2eUpload(randomBytes(10)));
        const res = await fresh.app.inject({
          method: 'POST',
          url: '/upload',
          payload: body,
          headers: { 'content-type': contentType, 'content-length': String(10 * 1024 * 1024) },
        });
        assertError(res, 413, 'PAYLOAD_TOO_LARGE');
        await assertNothingStored(fresh);
      });

      test('a body that is not multipart is 415', async () => {
        for (const [type, payload] of [['application/json', '{"e2e":"true"}'], ['text/plain', 'hello'], ['application/octet-stream', 'abc']] as const) {
          assertError(await fresh.app.inject({ method: 'POST', url: '/upload', payload, headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        }
        await assertNothingStored(fresh);
      });

      test('multipart without a boundary, or cut off before its end, is 400', async () => {
        assertError(
          await fresh.app.inject({ method: 'POST', url: '/upload', payload: 'x', headers: { 'content-type': 'multipart/form-data' } }),
          400,
          'MALFORMED_BODY',
        );
        const { body, contentType } = multipartBody(e2eUpload(randomBytes(300)), { close: false });
        const cut = await fresh.app.inject({ method: 'POST', url: '/upload', payload: body.subarray(0, body.length - 50), headers: { 'content-type': contentType } });
        assert.ok([400].includes(cut.statusCode), cut.body);
        assert.ok(['MALFORMED_BODY', 'UPLOAD_ABORTED'].includes(cut.json().error), cut.body);
        await assertNothingStored(fresh);
      });
    });

    describe('ids and paths', () => {
      test('malformed ids are 400, unknown ids 404, path tricks never reach the disk', async () => {
        assertError(await t.app.inject({ method: 'GET', url: '/f/not-a-uuid/encrypted' }), 400, 'VALIDATION_FAILED');
        assertError(await t.app.inject({ method: 'GET', url: `/f/${randomUUID().toUpperCase()}/encrypted` }), 400, 'VALIDATION_FAILED');
        assertError(await t.app.inject({ method: 'GET', url: `/f/${randomUUID()}/encrypted` }), 404, 'NOT_FOUND');
        for (const url of [
          '/f/..%2F..%2Fetc%2Fpasswd/encrypted',
          '/f/%2e%2e/encrypted',
          '/f/../../etc/passwd',
          `/f/${randomUUID()}%00/encrypted`,
          `/f/${randomUUID()}/manage/../encrypted`,
        ]) {
          const res = await t.app.inject({ method: 'GET', url });
          assert.ok(res.statusCode === 400 || res.statusCode === 404, `${url}: ${res.statusCode}`);
          assert.ok(['VALIDATION_FAILED', 'NOT_FOUND'].includes(res.json().error), url);
        }
      });

      test('an unknown route is a 404 JSON error', async () => {
        assertError(await t.app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND');
        assertError(await t.app.inject({ method: 'PUT', url: '/upload' }), 404, 'NOT_FOUND');
      });
    });
  });
}
