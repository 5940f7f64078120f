import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CATALOGUE } from '../../src/protocol/errors.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';
import { OCTETS, TUS, assertError, bearer, createUpload, createUploadOk, headUpload, patchUpload, sendAll } from '../helpers/uploads.js';

const MAX_UPLOAD = 300_000;
const MAX_CHUNK = 100_000;

for (const backend of BACKENDS) {
  describe(`resumable uploads over HTTP (${backend})`, () => {
    let t: TestApp;
    before(async () => {
      t = await openTestApp(backend, {
        MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
        UPLOAD_MAX_CHUNK_BYTES: String(MAX_CHUNK),
        FILE_MAX_DOWNLOADS: '50',
        UPLOAD_MAX_PARTIAL_PER_ADDRESS: '1000',
        // The refusal tests make many token failures from one address; the throttle is tested below.
        FAILED_AUTH_RATE: '100000/hour',
      });
    });
    after(async () => t.close());

    const liveFiles = async (id: string) => (await blobFiles(t.stores.dataDir)).filter((f) => f.endsWith(id));

    test('creation answers the file id, both secrets and the tus Location before any byte is sent', async () => {
      const res = await createUpload(t.app, 1234, {}, { host: 'files.example:8443' });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.match(body.id, /^[0-9a-f-]{36}$/);
      assert.equal(body.upload_url, `http://files.example:8443/uploads/${body.id}`);
      assert.equal(res.headers.location, body.upload_url);
      assert.equal(res.headers['tus-resumable'], '1.0.0');
      assert.equal(res.headers['upload-offset'], '0');
      assert.equal(res.headers['cache-control'], 'no-store', 'the answer holds two secrets');
      assert.match(body.upload_token, /^[A-Za-z0-9_-]{43}$/);
      assert.match(body.owner_token, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(body.upload_token, body.owner_token);
      assert.equal(body.redirect, `/f/${body.id}/manage?token=${body.owner_token}`);
      assert.equal(body.download_url, `http://files.example:8443/f/${body.id}/encrypted`);
      assert.equal(body.size_bytes, 1234);
      assert.equal(body.expires_in, 86400);
      assert.equal(body.max_downloads, t.config.fileMaxDownloads, 'no max_downloads: the operator\'s FILE_MAX_DOWNLOADS');
      assert.equal(body.format, 'v2');
      const head = await headUpload(t.app, body.id, body.upload_token);
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['upload-offset'], '0');
      assert.equal(head.headers['upload-length'], '1234');
      assert.equal(head.headers['cache-control'], 'no-store');
    });

    test('a chunked upload completes into a v2 file served like any other, and nothing of it before', async () => {
      const data = randomBytes(250_000);
      const created = await createUploadOk(t.app, data.length, { max_downloads: '5', expires_in: '3600' });
      await sendAll(t.app, created, data.subarray(0, 200_000), 70_000);
      // Partial: never served, not even to its owner.
      assertError(await t.app.inject({ method: 'GET', url: `/f/${created.id}/encrypted` }), 404, 'NOT_FOUND');
      assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${created.id}/encrypted` })).statusCode, 404);
      assertError(await t.app.inject({ method: 'GET', url: created.redirect, headers: { accept: 'application/json' } }), 404, 'NOT_FOUND');
      const head = await headUpload(t.app, created.id, created.upload_token);
      assert.equal(head.headers['upload-offset'], '200000');

      // The last chunk comes an hour later: the file's life starts when it is whole.
      t.advance(3600_000);
      const last = await patchUpload(t.app, created.id, created.upload_token, 200_000, data.subarray(200_000)).finally(() => t.advance(-3600_000));
      assert.equal(last.statusCode, 204, last.body);
      assert.equal(last.headers['upload-offset'], String(data.length));
      const completedAt = Date.now() + 3600_000;

      const got = await t.app.inject({ method: 'GET', url: `/f/${created.id}/encrypted` });
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.rawPayload, data);
      assert.equal(got.headers['x-blindvault-format'], 'v2');
      assert.equal(got.headers['x-e2e-salt'], undefined, 'a v2 file carries its parameters in its own header');
      assert.equal(got.headers['x-e2e-iv'], undefined);
      assert.equal(got.headers['content-length'], String(data.length));
      assert.equal(got.headers.etag, `"v2-${created.id}"`);
      const headFile = await t.app.inject({ method: 'HEAD', url: `/f/${created.id}/encrypted` });
      assert.equal(headFile.statusCode, 200);
      assert.equal(headFile.headers['x-blindvault-format'], 'v2');
      assert.equal(headFile.headers['content-length'], String(data.length));
      const range = await t.app.inject({ method: 'GET', url: `/f/${created.id}/encrypted`, headers: { range: 'bytes=0-1999' } });
      assert.equal(range.statusCode, 206);
      assert.deepEqual(range.rawPayload, data.subarray(0, 2000));

      const info = (await t.app.inject({ method: 'GET', url: created.redirect, headers: { accept: 'application/json' } })).json();
      assert.equal(info.size_bytes, data.length);
      assert.equal(info.max_downloads, 5);
      assert.equal(info.downloads, 2, 'both GETs counted, HEAD did not');
      const ttl = Date.parse(info.expires_at) - completedAt;
      assert.ok(Math.abs(ttl - 3600_000) < 5000, `expires_in counts from completion, got ${ttl} ms`);
      assert.ok(Math.abs(Date.parse(info.created_at) - completedAt) < 5000, 'created_at is the completion');
      // Completed: the tus URL says so (a client whose last answer was lost learns it is done).
      const done = await headUpload(t.app, created.id, created.upload_token);
      assert.equal(done.statusCode, 200);
      assert.equal(done.headers['upload-offset'], String(data.length));
      assert.equal(done.headers['upload-length'], String(data.length));
      assert.equal((await liveFiles(created.id)).length, 1, 'one blob, no partial left');
      assert.ok((await liveFiles(created.id))[0]?.startsWith('blobs/'));
    });

    test('a v1 file answers X-Blindvault-Format: v1 beside its unchanged salt and IV headers', async () => {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
      const up = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
      assert.equal(up.statusCode, 200, up.body);
      const got = await t.app.inject({ method: 'GET', url: `/f/${up.json().id}/encrypted` });
      assert.equal(got.headers['x-blindvault-format'], 'v1');
      assert.match(String(got.headers['x-e2e-salt']), /^\d+(,\d+){15}$/);
      assert.match(String(got.headers['x-e2e-iv']), /^\d+(,\d+){11}$/);
    });

    test('only the holder of the upload token may probe, append or end it: anybody else gets the 404 of a missing upload', async () => {
      const data = randomBytes(1000);
      const mine = await createUploadOk(t.app, data.length);
      const theirs = await createUploadOk(t.app, data.length);
      const strangers = [theirs.upload_token, mine.owner_token, 'A'.repeat(43), 'short', ''];
      for (const token of strangers) {
        assert.equal((await headUpload(t.app, mine.id, token)).statusCode, 404, `HEAD with ${token.slice(0, 4)}`);
        assertError(await patchUpload(t.app, mine.id, token, 0, data), 404, 'NOT_FOUND');
        assertError(await t.app.inject({ method: 'DELETE', url: `/uploads/${mine.id}`, headers: bearer(token) }), 404, 'NOT_FOUND');
      }
      assertError(await t.app.inject({ method: 'PATCH', url: `/uploads/${mine.id}`, headers: { ...TUS, 'upload-offset': '0', 'content-type': OCTETS }, payload: data }), 404, 'NOT_FOUND');
      const missing = await t.app.inject({ method: 'PATCH', url: `/uploads/00000000-0000-4000-8000-000000000000`, headers: { ...bearer(mine.upload_token), 'upload-offset': '0', 'content-type': OCTETS }, payload: data });
      assertError(missing, 404, 'NOT_FOUND');
      assert.deepEqual(Object.keys(missing.json()).sort(), ['error', 'message', 'requestId'], 'a foreign and a missing upload answer alike');
      // Control: nothing was written by them; the holder appends and completes.
      assert.equal((await headUpload(t.app, mine.id, mine.upload_token)).headers['upload-offset'], '0');
      await sendAll(t.app, mine, data);
      assert.deepEqual((await t.app.inject({ method: 'GET', url: `/f/${mine.id}/encrypted` })).rawPayload, data);
    });

    test('a PATCH at the wrong offset is a 409 and writes nothing; at the right one it goes on', async () => {
      const data = randomBytes(3000);
      const created = await createUploadOk(t.app, data.length);
      await sendAll(t.app, created, data.subarray(0, 1000));
      for (const offset of [0, 999, 1001, 2999]) {
        assertError(await patchUpload(t.app, created.id, created.upload_token, offset, data.subarray(offset, offset + 10)), 409, 'UPLOAD_OFFSET_MISMATCH');
      }
      assert.equal((await headUpload(t.app, created.id, created.upload_token)).headers['upload-offset'], '1000');
      await sendAll(t.app, created, data, 1000, 1000);
      assert.deepEqual((await t.app.inject({ method: 'GET', url: `/f/${created.id}/encrypted` })).rawPayload, data);
    });

    test('sizes are bounded: Upload-Length, each chunk, and nothing past the declared length', async () => {
      const before = await allFileIds(t.stores.metadata);
      assertError(await createUpload(t.app, MAX_UPLOAD + 1), 413, 'PAYLOAD_TOO_LARGE');
      assertError(await createUpload(t.app, 0), 400, 'VALIDATION_FAILED');
      assert.deepEqual(await allFileIds(t.stores.metadata), before, 'a refused creation stores nothing');
      const control = await createUploadOk(t.app, MAX_UPLOAD);
      const data = randomBytes(MAX_UPLOAD);
      assertError(await patchUpload(t.app, control.id, control.upload_token, 0, data.subarray(0, MAX_CHUNK + 1)), 413, 'PAYLOAD_TOO_LARGE');
      assert.equal((await headUpload(t.app, control.id, control.upload_token)).headers['upload-offset'], '0');
      await sendAll(t.app, control, data, MAX_CHUNK);
      const small = await createUploadOk(t.app, 100);
      assertError(await patchUpload(t.app, small.id, small.upload_token, 0, randomBytes(101)), 413, 'PAYLOAD_TOO_LARGE');
      assert.equal((await headUpload(t.app, small.id, small.upload_token)).headers['upload-offset'], '0');
    });

    test('bad tus headers are 4xx JSON errors, and the same request done right succeeds', async () => {
      const created = await createUploadOk(t.app, 10);
      const good = { ...bearer(created.upload_token), 'upload-offset': '0', 'content-type': OCTETS };
      const cases: Array<[Record<string, string | undefined>, number, string]> = [
        [{ 'tus-resumable': undefined }, 400, 'VALIDATION_FAILED'],
        [{ 'tus-resumable': '0.2.2' }, 400, 'VALIDATION_FAILED'],
        [{ 'upload-offset': undefined }, 400, 'VALIDATION_FAILED'],
        [{ 'upload-offset': '-1' }, 400, 'VALIDATION_FAILED'],
        [{ 'upload-offset': '01' }, 400, 'VALIDATION_FAILED'],
        [{ 'upload-offset': '1e3' }, 400, 'VALIDATION_FAILED'],
        [{ 'content-type': 'application/octet-stream' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [{ 'content-type': 'application/json' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [{ authorization: `Basic ${created.upload_token}` }, 404, 'NOT_FOUND'],
      ];
      for (const [change, status, code] of cases) {
        const headers: Record<string, string> = { ...good };
        for (const [name, value] of Object.entries(change)) {
          if (value === undefined) delete headers[name];
          else headers[name] = value;
        }
        const payload = headers['content-type'] === 'application/json' ? '{}' : Buffer.alloc(10);
        assertError(await t.app.inject({ method: 'PATCH', url: `/uploads/${created.id}`, headers, payload }), status, code);
      }
      for (const headers of [{ "upload-length": "12abc" }, { "upload-length": "-5" }, { "upload-defer-length": "1" }, { "tus-resumable": "2.0.0" }] as Array<Record<string, string>>) {
        assertError(await createUpload(t.app, 10, {}, headers), 400, 'VALIDATION_FAILED');
      }
      assertError(await t.app.inject({ method: 'POST', url: '/uploads', headers: { ...TUS, 'upload-defer-length': '1' } }), 400, 'VALIDATION_FAILED');
      assertError(await t.app.inject({ method: 'POST', url: '/uploads', headers: { ...TUS, 'upload-length': '3', 'content-type': OCTETS }, payload: 'abc' }), 400, 'VALIDATION_FAILED');
      assert.equal((await headUpload(t.app, created.id, created.upload_token)).headers['upload-offset'], '0', 'nothing was written');
      const control = await t.app.inject({ method: 'PATCH', url: `/uploads/${created.id}`, headers: good, payload: Buffer.alloc(10) });
      assert.equal(control.statusCode, 204, control.body);
    });

    test('metadata: expires_in and max_downloads are checked and honoured, other keys are dropped', async () => {
      const raw = (header: string) => createUpload(t.app, 10, {}, { 'upload-metadata': header });
      assertError(await raw('expires_in !!!!'), 400, 'VALIDATION_FAILED');
      assertError(await raw('expires_in MTA=,expires_in MTA='), 400, 'VALIDATION_FAILED');
      assertError(await raw('exp ires MTA='), 400, 'VALIDATION_FAILED');
      assertError(await raw(`k ${'A'.repeat(1100)}`), 400, 'VALIDATION_FAILED');
      assertError(await createUpload(t.app, 10, { expires_in: '0' }), 400, 'INVALID_EXPIRES_IN');
      assertError(await createUpload(t.app, 10, { expires_in: String(7 * 86400 + 1) }), 400, 'INVALID_EXPIRES_IN');
      assertError(await createUpload(t.app, 10, { expires_in: '1.5' }), 400, 'INVALID_EXPIRES_IN');
      assertError(await createUpload(t.app, 10, { max_downloads: '51' }), 400, 'INVALID_MAX_DOWNLOADS');
      assertError(await createUpload(t.app, 10, { format: 'v1' }), 400, 'VALIDATION_FAILED');
      const ok = await createUploadOk(t.app, 10, { expires_in: '120', max_downloads: '1', format: 'v2', filename: 'secret-plan.pdf', filetype: 'application/pdf' });
      assert.equal(ok.expires_in, 120);
      assert.equal(ok.max_downloads, 1);
      const head = await headUpload(t.app, ok.id, ok.upload_token);
      assert.equal(head.headers['upload-metadata'], undefined, 'no metadata is kept, let alone a file name');
      await sendAll(t.app, ok, randomBytes(10));
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${ok.id}/encrypted` })).statusCode, 200);
      assertError(await t.app.inject({ method: 'GET', url: `/f/${ok.id}/encrypted` }), 404, 'NOT_FOUND');
    });

    test('termination ends an unfinished upload and leaves nothing; a completed one is the owner\'s to delete', async () => {
      const created = await createUploadOk(t.app, 2000);
      await sendAll(t.app, created, randomBytes(1000));
      assert.equal((await liveFiles(created.id)).length, 1, 'the partial is there');
      const end = await t.app.inject({ method: 'DELETE', url: `/uploads/${created.id}`, headers: bearer(created.upload_token) });
      assert.equal(end.statusCode, 204, end.body);
      assert.equal((await headUpload(t.app, created.id, created.upload_token)).statusCode, 404);
      assert.deepEqual(await liveFiles(created.id), [], 'no partial');
      assert.ok(!(await allFileIds(t.stores.metadata)).includes(created.id), 'no row');

      const done = await createUploadOk(t.app, 100);
      await sendAll(t.app, done, randomBytes(100));
      assertError(await t.app.inject({ method: 'DELETE', url: `/uploads/${done.id}`, headers: bearer(done.upload_token) }), 400, 'UPLOAD_COMPLETE');
      assertError(await patchUpload(t.app, done.id, done.upload_token, 100, new Uint8Array(0)), 400, 'UPLOAD_COMPLETE');
      assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${done.id}/encrypted` })).statusCode, 200, 'still served');
      assert.equal((await t.app.inject({ method: 'DELETE', url: done.redirect })).statusCode, 204);
      assert.equal((await headUpload(t.app, done.id, done.upload_token)).statusCode, 404, 'gone with its file');
      await t.files.sweep();
      assert.deepEqual(await liveFiles(done.id), []);
    });

    test('an abandoned upload expires after STALE_UPLOAD_SECONDS and is swept; one receiving bytes is not', async () => {
      const abandoned = await createUploadOk(t.app, 5000);
      const alive = await createUploadOk(t.app, 5000);
      await sendAll(t.app, abandoned, randomBytes(1000));
      t.advance(23 * 3600_000);
      try {
        await sendAll(t.app, alive, randomBytes(1000));
        t.advance(2 * 3600_000);
        assert.equal((await headUpload(t.app, abandoned.id, abandoned.upload_token)).statusCode, 404);
        assertError(await patchUpload(t.app, abandoned.id, abandoned.upload_token, 1000, randomBytes(10)), 404, 'NOT_FOUND');
        assert.equal((await headUpload(t.app, alive.id, alive.upload_token)).statusCode, 200, 'control: touched an hour ago');
        await t.uploads.sweep();
        await t.files.sweep();
        assert.deepEqual(await liveFiles(abandoned.id), [], 'its bytes are gone');
        assert.ok(!(await allFileIds(t.stores.metadata)).includes(abandoned.id), 'its rows are gone');
        assert.equal((await liveFiles(alive.id)).length, 1);
        assert.ok((await allFileIds(t.stores.metadata)).includes(alive.id));
      } finally {
        t.advance(-25 * 3600_000);
      }
      await sendAll(t.app, alive, randomBytes(5000), 4000, 1000);
      assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${alive.id}/encrypted` })).statusCode, 200);
    });

    test('the secrets never reach the log', async () => {
      const created = await createUploadOk(t.app, 10);
      await sendAll(t.app, created, randomBytes(10));
      await headUpload(t.app, created.id, created.upload_token);
      const text = t.logs.join('');
      assert.ok(!text.includes(created.upload_token), 'upload token logged');
      assert.ok(!text.includes(created.owner_token), 'owner token logged');
      assert.ok(t.logs.some((l) => l.includes('"route":"/uploads/:id"')));
      assert.ok(!text.includes(created.id), 'not even the upload id (it names the file)');
    });
  });
}

describe('hostile tus requests', () => {
  test('any headers and body on a real upload answer 2xx or a 4xx JSON error, never a 5xx; the holder can still complete it', async () => {
    const t = await openTestApp('sqlite', { MAX_UPLOAD_BYTES: '1000', FAILED_AUTH_RATE: '100000/hour' });
    try {
      const data = randomBytes(200);
      const created = await createUploadOk(t.app, data.length);
      const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
      const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('HEAD', 'PATCH', 'DELETE', 'POST', 'OPTIONS'),
          fc.record({
            'tus-resumable': option(fc.constantFrom('1.0.0', '0.2.2', '', '1.0.0 ')),
            'upload-offset': option(fc.oneof(fc.nat({ max: 400 }).map(String), printable)),
            'upload-length': option(fc.oneof(fc.nat({ max: 2000 }).map(String), printable)),
            'upload-metadata': option(fc.oneof(printable, fc.constant('expires_in MTA='), fc.constant('max_downloads'))),
            'upload-defer-length': option(fc.constantFrom('1', '0')),
            'content-type': option(fc.constantFrom(OCTETS, 'text/plain', 'application/json', 'multipart/form-data')),
            'x-http-method-override': option(fc.constantFrom('PATCH', 'DELETE')),
          }),
          fc.constantFrom('right', 'foreign', 'none', 'malformed'),
          fc.uint8Array({ maxLength: 300 }),
          async (method, headerChoice, who, body) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(headerChoice)) if (value !== undefined) headers[name] = value;
            // Termination by the holder would end the upload the property keeps probing.
            const token = who === 'right' && method !== 'DELETE' ? created.upload_token : who === 'malformed' ? 'x'.repeat(43) : who === 'foreign' ? created.owner_token : undefined;
            if (token) headers.authorization = `Bearer ${token}`;
            const url = method === 'POST' || method === 'OPTIONS' ? '/uploads' : `/uploads/${created.id}`;
            const res = await t.app.inject({ method, url, headers, ...(method === 'HEAD' ? {} : { payload: Buffer.from(body) }) });
            assert.ok(res.statusCode < 500, `${method} ${JSON.stringify(headers)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
            if (res.statusCode >= 400 && method !== 'HEAD') assert.ok(res.json().error in ERROR_CATALOGUE, res.body);
          },
        ),
        { numRuns: 300 },
      );
      // Control: whatever the property wrote at the right offsets, the holder completes the upload.
      const offset = Number((await headUpload(t.app, created.id, created.upload_token)).headers['upload-offset']);
      if (offset < data.length) {
        const res = await patchUpload(t.app, created.id, created.upload_token, offset, new Uint8Array(data.length - offset));
        assert.equal(res.statusCode, 204, res.body);
      }
      assert.equal((await t.app.inject({ method: 'HEAD', url: `/f/${created.id}/encrypted` })).headers['content-length'], String(data.length));
      assert.deepEqual(serverFaultLines(t.logs), []);
    } finally {
      await t.close();
    }
  });
});

function serverFaultLines(logs: string[]): unknown[] {
  return logs.map((l) => JSON.parse(l) as { level: number; statusCode?: number }).filter((l) => (l.statusCode ?? 0) >= 500 || l.level >= 50);
}

describe('bounds per client address', () => {
  test('at most UPLOAD_MAX_PARTIAL_PER_ADDRESS unfinished uploads, even when created at once; finishing or ending one frees its place', async () => {
    for (const backend of BACKENDS) {
      const t = await openTestApp(backend, { UPLOAD_MAX_PARTIAL_PER_ADDRESS: '2' });
      try {
        const results = await Promise.all(Array.from({ length: 6 }, () => createUpload(t.app, 10)));
        assert.equal(results.filter((r) => r.statusCode === 201).length, 2, backend);
        for (const refused of results.filter((r) => r.statusCode !== 201)) assertError(refused, 429, 'TOO_MANY_PARTIAL_UPLOADS');
        assert.equal((await allFileIds(t.stores.metadata)).length, 2, 'refused creations stored nothing');
        const [first, second] = results.filter((r) => r.statusCode === 201).map((r) => r.json());
        await sendAll(t.app, first, randomBytes(10));
        const third = await createUploadOk(t.app, 10);
        assertError(await createUpload(t.app, 10), 429, 'TOO_MANY_PARTIAL_UPLOADS');
        assert.equal((await t.app.inject({ method: 'DELETE', url: `/uploads/${second.id}`, headers: bearer(second.upload_token) })).statusCode, 204);
        await createUploadOk(t.app, 10);
        assert.ok(third.id);
      } finally {
        await t.close();
      }
    }
  });

  test('upload-token failures count against FAILED_AUTH_RATE with owner-token guesses; then the address is refused before its token is looked at', async () => {
    const t = await openTestApp('sqlite', { FAILED_AUTH_RATE: '3/hour' });
    try {
      const created = await createUploadOk(t.app, 10);
      const other = { remoteAddress: '198.51.100.20' };
      assert.equal((await headUpload(t.app, created.id, created.upload_token)).statusCode, 200, 'a rightful call counts nothing');
      assert.equal((await headUpload(t.app, created.id, created.owner_token)).statusCode, 404);
      assertError(await patchUpload(t.app, created.id, 'A'.repeat(43), 0, new Uint8Array(1)), 404, 'NOT_FOUND');
      assertError(await t.app.inject({ method: 'GET', url: `/f/${created.id}/manage?token=${'B'.repeat(43)}` }), 404, 'NOT_FOUND');
      const refused = await t.app.inject({ method: 'DELETE', url: `/uploads/${created.id}`, headers: bearer(created.upload_token) });
      assertError(refused, 429, 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      // Control: another address is not affected, and the upload is intact.
      const elsewhere = await t.app.inject({ method: 'HEAD', url: `/uploads/${created.id}`, headers: bearer(created.upload_token), ...other });
      assert.equal(elsewhere.statusCode, 200);
      assert.equal(elsewhere.headers['upload-offset'], '0');
    } finally {
      await t.close();
    }
  });

  test('creations count against FILE_UPLOAD_RATE together with POST /upload, refused before anything is stored', async () => {
    const t = await openTestApp('sqlite', { FILE_UPLOAD_RATE: '2/minute' });
    try {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
      assert.equal((await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } })).statusCode, 200);
      await createUploadOk(t.app, 10);
      const refused = await createUpload(t.app, 10);
      assertError(refused, 429, 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.equal((await allFileIds(t.stores.metadata)).length, 2);
    } finally {
      await t.close();
    }
  });
});
