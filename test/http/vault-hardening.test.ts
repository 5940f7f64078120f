import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, VaultClientError } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { boxKeyPair, boxSeal } from '../../src/crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey } from '../../src/crypto/psono-kdf.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

const PASSWORD = 'hardening passphrase';
const newName = (who: string) => `${who}-${randomBytes(4).toString('hex')}@example.com`;

for (const backend of BACKENDS) {
  describe(`vault: characters a database cannot store (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let username: string;
    before(async () => {
      t = await openTestApp(backend);
      client = new VaultClient(injectTransport(t.app));
      username = newName('nul');
      assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
    });
    after(async () => t.close());

    const login = async (info: Record<string, unknown>) => {
      const { info: server } = await client.info();
      const keys = boxKeyPair();
      const sealed = boxSeal(keys.secretKey, Buffer.from(String(server.public_key), 'hex'), new TextEncoder().encode(JSON.stringify(info)));
      return t.app.inject({
        method: 'POST',
        url: '/server/authentication/login/',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ public_key: toHex(keys.publicKey), login_info: toHex(sealed.ciphertext), login_info_nonce: toHex(sealed.nonce) }),
      });
    };

    test('a NUL in any text is a 400, never a 500', async () => {
      const authkey = await deriveAuthkey(username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
      for (const info of [
        { username: 'a\u0000b@example.com', authkey },
        { username, authkey, device_description: 'x\u0000y' },
        { username, authkey, device_fingerprint: 'f\u0000' },
        { username, authkey, device_fingerprint: 'f'.repeat(129) },
      ]) {
        const res = await login(info);
        assert.equal(res.statusCode, 400, JSON.stringify(info).slice(0, 80));
        assert.deepEqual(res.json(), { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] });
      }
      const prelogin = await client.call('POST', '/authentication/prelogin/', { username: 'a\u0000@example.com' });
      assert.deepEqual(prelogin.body, { username: ['Null characters are not allowed.'] });
      const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      assert.deepEqual((await session.request('PUT', '/user/update/', { language: 'e\u0000' })).body, { language: ['Null characters are not allowed.'] });
      assert.deepEqual((await session.request('POST', '/user/search/', { user_username: 'x\u0000@example.com' })).body, { user_username: ['Null characters are not allowed.'] });
      assert.equal((await login({ username, authkey, device_description: 'control' })).statusCode, 200, 'control');
    });
  });
}

describe('vault: limits and lifetimes', () => {
  let t: TestApp;
  let client: VaultClient;
  let username: string;
  before(async () => {
    t = await openTestApp('sqlite', { VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_LOGIN: '1000/minute' });
    client = new VaultClient(injectTransport(t.app));
    username = newName('limits');
    assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
  });
  after(async () => t.close());

  test('a validator cannot be replayed later, also in a session that sent no device time', async () => {
    const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false, deviceFingerprint: randomUUID() });
    const header = session.validatorHeader();
    const call = () => t.app.inject({ method: 'GET', url: '/server/user/status/', headers: { authorization: `Token ${session.token.reveal()}`, 'authorization-validator': header } });
    assert.equal((await call()).statusCode, 200);
    t.advance(10 * 60_000); // the replay mark has expired by now: the clock check must hold on its own
    try {
      const later = await call();
      assert.equal(later.statusCode, 401);
      assert.deepEqual(later.json(), { detail: 'Replay Protection: Time difference too big' });
    } finally {
      t.advance(-10 * 60_000);
    }
  });

  test('a login left unactivated expires after 10 minutes; once activated it lives as long as asked', async () => {
    const { info } = await client.info();
    const authkey = await deriveAuthkey(username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
    const keys = boxKeyPair();
    const sealed = boxSeal(keys.secretKey, Buffer.from(String(info.public_key), 'hex'), new TextEncoder().encode(JSON.stringify({ username, authkey })));
    const res = await t.app.inject({
      method: 'POST',
      url: '/server/authentication/login/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ public_key: toHex(keys.publicKey), login_info: toHex(sealed.ciphertext), login_info_nonce: toHex(sealed.nonce), session_duration: 86_400 }),
    });
    assert.equal(res.statusCode, 200);
    const { hashSessionToken } = await import('../../src/crypto/token.js');
    const { Secret } = await import('../../src/crypto/secret.js');
    const { boxOpen } = await import('../../src/crypto/nacl.js');
    const opened = boxOpen(Buffer.from(String(info.public_key), 'hex'), keys.secretKey, Buffer.from(res.json().login_info, 'hex'), Buffer.from(res.json().login_info_nonce, 'hex'));
    const token = (JSON.parse(new TextDecoder().decode(opened)) as { token: string }).token;
    const found = await t.stores.vault.findSessionByTokenHash(hashSessionToken(new Secret(token)));
    assert.ok(found && found.session.validTill.getTime() - Date.now() <= 600_000 + 5000, 'short until activated');
    assert.equal(found.session.lifetimeSeconds, 86_400);
    const active = await client.login({ username, password: PASSWORD, sendDeviceTime: false, sessionDurationSeconds: 86_400 });
    const activated = await t.stores.vault.findSessionByTokenHash(hashSessionToken(active.token));
    assert.ok(activated && activated.session.validTill.getTime() - Date.now() > 86_000_000, 'the full lifetime from activation');
  });

  test('before login, bodies over 64 KiB are refused without being read whole', async () => {
    const big = await t.app.inject({
      method: 'POST',
      url: '/server/authentication/login/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ public_key: 'ab'.repeat(32), login_info: 'ab'.repeat(40 * 1024), login_info_nonce: 'cd'.repeat(24) }),
    });
    assert.equal(big.statusCode, 413);
    assert.deepEqual(big.json(), { detail: 'Request body too large.' });
  });

  test('HEAD on a vault path is a 405', async () => {
    const head = await t.app.inject({ method: 'HEAD', url: '/server/authentication/login/' });
    assert.equal(head.statusCode, 405);
  });

  test('a password change to stronger scrypt parameters works, and so does the next login', async () => {
    const user = newName('params');
    await client.register(user, `${user.split('@')[0]}@mail.example.com`, PASSWORD);
    const session = await client.login({ username: user, password: PASSWORD, sendDeviceTime: false });
    const changed = await session.changePassword(PASSWORD, 'stronger now', { u: 15, r: 8, p: 1, l: 64 });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const again = await client.login({ username: user, password: 'stronger now', sendDeviceTime: false });
    assert.deepEqual(again.hashingParameters, { u: 15, r: 8, p: 1, l: 64 });
    await assert.rejects(client.login({ username: user, password: PASSWORD, sendDeviceTime: false }), VaultClientError);
  });
});

describe('vault: client addresses behind proxies', () => {
  test('TRUST_PROXY=1 takes the address the proxy saw, not one a client claims further left', async () => {
    const t = await openTestApp('sqlite', { TRUST_PROXY: '1', VAULT_THROTTLE_PRELOGIN: '1/minute' });
    try {
      const prelogin = (xff: string) =>
        t.app.inject({ method: 'POST', url: '/server/authentication/prelogin/', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, payload: '{"username":"a@example.com"}' });
      assert.equal((await prelogin('203.0.113.7')).statusCode, 200);
      assert.equal((await prelogin('198.51.100.1, 203.0.113.7')).statusCode, 429, 'a made-up left-most address changes nothing');
      assert.equal((await prelogin('203.0.113.8')).statusCode, 200, 'another real client has its own count');
    } finally {
      await t.close();
    }
  });
});
