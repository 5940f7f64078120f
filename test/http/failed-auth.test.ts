import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS } from '../helpers/stores.js';

// Issue 8 item 3: failed authentications and owner-token guesses count against the address that
// makes them (FAILED_AUTH_RATE, in the shared store); the rightful caller is never slowed down.

for (const backend of BACKENDS) {
  describe(`owner-token guesses on /f/{id}/manage are throttled per address (${backend})`, () => {
    let t: TestApp;
    let file: { id: string; owner_token: string };
    const wrongToken = () => randomBytes(32).toString('base64url');
    const manage = (token: string | undefined, remoteAddress: string, method: 'GET' | 'DELETE' | 'PATCH' = 'GET') =>
      t.app.inject({
        method,
        url: `/f/${file.id}/manage${token === undefined ? '' : `?token=${token}`}`,
        remoteAddress,
        headers: { accept: 'application/json' },
        ...(method === 'PATCH' ? { payload: { max_downloads: 5 } } : {}),
      });
    before(async () => {
      t = await openTestApp(backend, { FAILED_AUTH_RATE: '3/hour' });
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(64)));
      const res = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType }, remoteAddress: '10.0.0.9' });
      assert.equal(res.statusCode, 200, res.body);
      file = res.json();
    });
    after(async () => t.close());

    test('after FAILED_AUTH_RATE wrong tokens, the address is refused before its token is looked at', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) assert.equal((await manage(wrongToken(), '10.0.0.1', method)).statusCode, 404);
      const refused = await manage(wrongToken(), '10.0.0.1');
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().error, 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await manage(file.owner_token, '10.0.0.1')).statusCode, 429, 'even the right token: a guess is never evaluated');
    });

    test('a missing token counts as a failure too', async () => {
      for (let i = 0; i < 3; i += 1) assert.equal((await manage(undefined, '10.0.0.4')).statusCode, 401);
      assert.equal((await manage(undefined, '10.0.0.4')).statusCode, 429);
    });

    test('control: the owner, from another address, is not throttled, however often they call', async () => {
      for (let i = 0; i < 10; i += 1) {
        const res = await manage(file.owner_token, '10.0.0.2');
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.equal((await manage(file.owner_token, '10.0.0.2', 'PATCH')).statusCode, 200);
    });

    test('the count lives in the shared store: what one instance counted, another sees', async () => {
      const peeked = await t.stores.rateLimits.peek('failed_auth', '10.0.0.1', 3600, new Date());
      assert.ok(peeked.hits + peeked.previousHits >= 3);
      assert.equal((await t.stores.rateLimits.peek('failed_auth', '10.0.0.2', 3600, new Date())).hits, 0, 'successes count nothing');
    });
  });
}
