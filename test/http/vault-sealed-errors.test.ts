import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { openJson } from '../../src/protocol/vault/envelope.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

const PASSWORD = 'sealed errors passphrase';
const INVALID = { detail: 'Invalid request' };

// Paths the router cannot take (broken escapes, ids longer than it routes) and ids the schema or
// the handler refuses, on token routes, on a 405 path and on an unknown vault path.
const LONG = 'a'.repeat(150);
const MALFORMED: Array<[method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string]> = [
  ['GET', '/server/secret/%zz/'],
  ['GET', '/server/secret/%E0%A4%A/'],
  ['GET', `/server/secret/${LONG}/`],
  ['GET', '/server/datastore/%zz/'],
  ['GET', '/server/share/%zz/'],
  ['GET', '/server/share/rights/%zz/'],
  ['GET', '/server/share/right/%zz/'],
  ['GET', '/server/history/%zz/'],
  ['GET', '/server/secret/history/%zz/'],
  ['GET', `/server/api-key/${LONG}/`],
  ['GET', '/server/api-key/secret/%zz/'],
  ['PUT', '/server/secret/%zz/'],
  ['GET', '/server/no-such-thing/%zz/'],
];

for (const backend of BACKENDS) {
  describe(`vault: every 4xx to a valid session is sealed (${backend})`, () => {
    let t: TestApp;
    let session: VaultSession;
    before(async () => {
      t = await openTestApp(backend);
      const client = new VaultClient(injectTransport(t.app));
      const username = `sealed-${randomBytes(4).toString('hex')}@example.com`;
      assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
      session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
    });
    after(async () => t.close());

    const send = (method: string, url: string, authorization?: string) =>
      t.app.inject({ method: method as 'GET', url, headers: authorization ? { authorization } : {} });
    const opened = (body: string) => openJson(session.sessionSecret.reveal(), JSON.parse(body))?.value;

    test('control: the same session reads a datastore list, sealed', async () => {
      const res = await send('GET', '/server/datastore/', `Token ${session.token.reveal()}`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(opened(res.body), { datastores: [] });
    });

    test('an unroutable or malformed path id answers a 400 sealed with the session secret', async () => {
      for (const [method, url] of MALFORMED) {
        const res = await send(method, url, `Token ${session.token.reveal()}`);
        assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
        assert.deepEqual(opened(res.body), INVALID, `${method} ${url} is sealed: ${res.body}`);
        assert.ok(!res.body.includes('Invalid request'), `${method} ${url}: no plaintext`);
      }
      // A well-routed id that is not a UUID: the path's own Psono error, sealed as well.
      const notUuid = await send('GET', '/server/secret/not-a-uuid/', `Token ${session.token.reveal()}`);
      assert.equal(notUuid.statusCode, 400);
      assert.deepEqual(opened(notUuid.body), { non_field_errors: ['SECRET_ID_MALFORMED'] });
    });

    test('control: without a valid token the same answers are plain, in Psono shape', async () => {
      for (const authorization of [undefined, 'Token not-a-session-token', `Token ${'A'.repeat(43)}`]) {
        for (const [method, url] of MALFORMED) {
          const res = await send(method, url, authorization);
          assert.equal(res.statusCode, 400, `${method} ${url}`);
          assert.deepEqual(res.json(), INVALID, `${method} ${url} (${authorization ?? 'no token'}) is plain`);
        }
      }
    });

    test('a broken escape outside the vault keeps the Blindvault error shape (control)', async () => {
      const res = await send('GET', '/f/%zz/encrypted', `Token ${session.token.reveal()}`);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error, 'VALIDATION_FAILED');
    });

    test('no token, nor the malformed path, appears in the log', async () => {
      await send('GET', '/server/secret/%zz/', `Token ${session.token.reveal()}`);
      const text = t.logs.join('\n');
      assert.ok(!text.includes(session.token.reveal()));
      assert.ok(!text.includes('%zz'));
      assert.ok(text.includes('[malformed url]'));
    });
  });
}
