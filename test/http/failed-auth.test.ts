import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { vaultCall } from '../../src/client/vault/connection.js';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import type { Transport } from '../../src/client/transport.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey } from '../../src/crypto/psono-kdf.js';
import { BlindvaultError } from '../../src/protocol/errors.js';
import { parseConfig } from '../../src/server/config.js';
import type { VaultRouteConfig } from '../../src/server/vault/routing.js';
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

    test('an IPv6 client is counted by its /64: guesses spread over its addresses meet one bound; the next /64 is not counted', async () => {
      for (const address of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:ffff::3']) assert.equal((await manage(wrongToken(), address)).statusCode, 404);
      assert.equal((await manage(file.owner_token, '2001:db8:7:1::4')).statusCode, 429, 'a fourth address of the same /64');
      assert.equal((await manage(file.owner_token, '2001:db8:7:2::1')).statusCode, 200, 'control: the next /64');
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

/** The SDK's transport over inject, from a client address of the test's choosing. */
function transportFrom(app: FastifyInstance, remoteAddress: string): Transport {
  return async ({ method, path, headers, body }) => {
    const res = await app.inject({ method, url: path, headers, remoteAddress, ...(body !== undefined ? { payload: body } : {}) });
    return { status: res.statusCode, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])), body: res.body };
  };
}

const PASSWORD = 'throttled passphrase';

for (const backend of BACKENDS) {
  describe(`vault: failed authentications, 405 answers and password checks are throttled (${backend})`, () => {
    let t: TestApp;
    const people: Record<string, { session: VaultSession; username: string }> = {};
    const ct = (n = 40) => randomBytes(n).toString('hex');
    const nonce = () => randomBytes(24).toString('hex');
    before(async () => {
      t = await openTestApp(backend, {
        FAILED_AUTH_RATE: '3/hour',
        VAULT_THROTTLE_ANON: '1000/minute',
        VAULT_THROTTLE_LOGIN: '1000/minute',
        VAULT_THROTTLE_PRELOGIN: '1000/minute',
        VAULT_THROTTLE_DATASTORE_DELETE: '2/day',
      });
      for (const [who, address] of [['alice', '10.1.0.2'], ['bob', '10.1.0.3']] as const) {
        const client = new VaultClient(transportFrom(t.app, address));
        const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
        assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
        people[who] = { session: await client.login({ username, password: PASSWORD, sendDeviceTime: false }), username };
      }
    });
    after(async () => t.close());

    const withToken = (token: string, remoteAddress: string, method: 'GET' | 'PATCH' = 'GET') =>
      t.app.inject({ method, url: '/server/datastore/', remoteAddress, headers: { authorization: `Token ${token}` } });

    test('after FAILED_AUTH_RATE bad tokens (401) an address is refused, even with a good token', async () => {
      for (let i = 0; i < 3; i += 1) assert.equal((await withToken(ct(32), '10.1.0.1')).statusCode, 401);
      const refused = await withToken(ct(32), '10.1.0.1');
      assert.equal(refused.statusCode, 429, refused.body);
      assert.match(refused.json().detail, /^Request was throttled/);
      const alice = people.alice as { session: VaultSession };
      assert.equal((await withToken(alice.session.token.reveal(), '10.1.0.1')).statusCode, 429, 'a lucky guess would be refused too');
      assert.equal((await withToken(ct(32), '10.1.0.1', 'PATCH')).statusCode, 429, 'on the 405 answers as well');
    });

    test("the SDK reads a throttled session's plain 429 as RATE_LIMITED, not as a broken answer (control: another address)", async () => {
      const client = new VaultClient(transportFrom(t.app, '10.1.0.9'));
      const username = `carol-${randomBytes(4).toString('hex')}@example.com`;
      assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
      const carol = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      assert.equal((await carol.request('GET', '/datastore/')).status, 200, 'control: the session works before');
      for (let i = 0; i < 3; i += 1) assert.equal((await withToken(ct(32), '10.1.0.9')).statusCode, 401);
      // Psono's throttle answer is plain JSON, like a 401: the SDK must not try to decrypt it.
      const answer = await carol.request('GET', '/datastore/');
      assert.deepEqual({ status: answer.status, encrypted: answer.encrypted }, { status: 429, encrypted: false });
      assert.match(String((answer.body as { detail?: unknown }).detail), /^Request was throttled/);
      await assert.rejects(vaultCall(carol, 'GET', '/datastore/'), (error: unknown) => error instanceof BlindvaultError && error.code === 'RATE_LIMITED');
      const bob = people.bob as { session: VaultSession };
      assert.ok(await vaultCall(bob.session, 'GET', '/datastore/'), 'control: another address is not throttled');
    });

    test('control: the rightful caller is never counted, however often they call', async () => {
      const alice = people.alice as { session: VaultSession };
      for (let i = 0; i < 8; i += 1) assert.equal((await alice.session.request('GET', '/datastore/')).status, 200);
      assert.equal((await t.stores.rateLimits.peek('failed_auth', '10.1.0.2', 3600, new Date())).hits, 0);
    });

    test('a 405 answer reads no body over 64 KiB (413) and counts against the anonymous throttle', async () => {
      const big = await t.app.inject({ method: 'PATCH', url: '/server/datastore/', remoteAddress: '10.1.0.5', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'a'.repeat(70 * 1024) }) });
      assert.equal(big.statusCode, 413, big.body);
      const small = await t.app.inject({ method: 'PATCH', url: '/server/datastore/', remoteAddress: '10.1.0.5', headers: { 'content-type': 'application/json' }, payload: '{}' });
      assert.equal(small.statusCode, 405, 'control: a small body is told 405');
      const peeked = await t.stores.rateLimits.peek('anon', '10.1.0.5', 60, new Date());
      assert.equal(peeked.hits + peeked.previousHits, 2, 'both counted per address, like every anonymous request');
    });

    test('only a valid session reads a body over 64 KiB; without one it is refused before it is read', async () => {
      const alice = people.alice as { session: VaultSession };
      const payload = JSON.stringify({ datastore_id: ct(16), data: 'ab'.repeat(100 * 1024), data_nonce: nonce() });
      const stranger = await t.app.inject({ method: 'POST', url: '/server/datastore/', remoteAddress: '10.1.0.6', headers: { 'content-type': 'application/json', authorization: `Token ${ct(32)}` }, payload });
      assert.equal(stranger.statusCode, 401);
      assert.equal(stranger.headers.connection, 'close', 'the unread body is not drained');
      const anonymous = await t.app.inject({ method: 'POST', url: '/server/authentication/login/', remoteAddress: '10.1.0.6', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(anonymous.statusCode, 413);
      const datastore = await alice.session.request('PUT', '/datastore/', { type: 'notes', description: 'big', secret_key: ct(), secret_key_nonce: nonce(), is_default: false });
      assert.equal(datastore.status, 201);
      const id = (datastore.body as { datastore_id: string }).datastore_id;
      const update = await alice.session.request('POST', '/datastore/', { datastore_id: id, data: 'ab'.repeat(100 * 1024), data_nonce: nonce() });
      assert.equal(update.status, 200, JSON.stringify(update.body).slice(0, 200));
    });

    test('DELETE /datastore/ checks the authkey under a scope as strict as account deletion (control: another user)', async () => {
      const alice = people.alice as { session: VaultSession; username: string };
      const bob = people.bob as { session: VaultSession; username: string };
      const make = async (session: VaultSession) =>
        ((await session.request('PUT', '/datastore/', { type: 'notes', description: 'Spare', secret_key: ct(), secret_key_nonce: nonce(), is_default: false })).body as { datastore_id: string }).datastore_id;
      const aliceStore = await make(alice.session);
      const wrong = 'f'.repeat(128);
      for (let i = 0; i < 2; i += 1) assert.equal((await alice.session.request('DELETE', '/datastore/', { datastore_id: aliceStore, authkey: wrong })).status, 403, 'wrong authkey');
      const refused = await alice.session.request('DELETE', '/datastore/', { datastore_id: aliceStore, authkey: await deriveAuthkey(alice.username, PASSWORD, DEFAULT_HASHING_PARAMETERS) });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      const bobStore = await make(bob.session);
      const deleted = await bob.session.request('DELETE', '/datastore/', { datastore_id: bobStore, authkey: await deriveAuthkey(bob.username, PASSWORD, DEFAULT_HASHING_PARAMETERS) });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    });
  });
}

describe('every vault route that checks an authkey is throttled as strictly as account deletion', () => {
  const routes: RouteOptions[] = [];
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite', {}, { onRoute: (route) => void routes.push(route) });
  });
  after(async () => t.close());

  test('the routes that verify an authkey say so, and their scopes are at least as strict by default', () => {
    const rates = parseConfig({}).vault.throttles;
    const perSecond = (scope: keyof typeof rates) => rates[scope].limit / rates[scope].windowSeconds;
    const checking = routes
      .map((route) => ({ name: `${String(route.method)} ${route.url}`, vault: (route.config as { vault?: VaultRouteConfig } | undefined)?.vault }))
      .filter((r) => r.vault?.checksAuthkey);
    assert.deepEqual(checking.map((r) => r.name).sort(), [
      'DELETE /server/datastore/',
      'DELETE /server/user/delete/',
      'POST /server/authentication/login/',
      'POST /server/emergency-login/',
      'POST /server/password/',
      'PUT /server/emergency-login/',
      'PUT /server/password/',
      'PUT /server/user/update/',
    ]);
    for (const { name, vault } of checking) {
      assert.ok(vault?.scope, `${name} has a scope`);
      // A login (or a code's step) is counted per address under the spec's own scope (§4); a session's checks per user.
      if (vault.auth === 'none') {
        assert.ok(['login', 'password'].includes(vault.scope), name);
        assert.ok(perSecond(vault.scope) <= perSecond('login'), `${name}: as strict as login`);
      } else assert.ok(perSecond(vault.scope) <= perSecond('user_delete'), `${name}: ${vault.scope} is as strict as user_delete`);
    }
  });
});
