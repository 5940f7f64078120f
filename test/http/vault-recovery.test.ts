import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, VaultClientError, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { boxKeyPair, signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { boxToVerifier, makeCode, openCodeData, resetPayload, type ClientCode, type UserKeysHex } from '../helpers/psono-codes.js';
import { BACKENDS } from '../helpers/stores.js';

// Recovery codes and the lost-password reset (docs/vault-protocol.md §3.13) on both backends, with the test acting as
// the web client (test/helpers/psono-codes.ts): a code set in a session, the two anonymous steps, the new password
// in use, every old session ended; each refusal beside the rightful caller's success; hostile bodies; the throttle.

const PASSWORD = 'old recovery passphrase';
const NEW_PASSWORD = 'new recovery passphrase';
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');

interface StartAnswer {
  recovery_data: string;
  recovery_data_nonce: string;
  recovery_sauce: string;
  user_sauce: string;
  hashing_algorithm: string;
  hashing_parameters: Record<string, number>;
  verifier_public_key: string;
  verifier_time_valid: number;
}

for (const backend of BACKENDS) {
  describe(`recovery codes and password reset (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;

    const anonymous = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
      const res = await t.app.inject({ method, url: `/server${url}`, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
      return { status: res.statusCode, body: res.body === '' ? undefined : (res.json() as Record<string, unknown>) };
    };
    const person = async (who: string, password = PASSWORD) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, password);
      return client.login({ username, password, sendDeviceTime: false });
    };
    const keysOf = (session: VaultSession): UserKeysHex => ({ userPrivateKey: toHex(session.userPrivateKey.reveal()), userSecretKey: toHex(session.userSecretKey.reveal()) });
    const setCode = async (session: VaultSession): Promise<ClientCode> => {
      const code = await makeCode(session.username, keysOf(session));
      const res = await session.request('POST', '/recoverycode/', { recovery_authkey: code.authkey, recovery_data: code.data, recovery_data_nonce: code.dataNonce, recovery_sauce: code.sauce });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(String((res.body as { recovery_code_id: string }).recovery_code_id), /^[0-9a-f-]{36}$/);
      return code;
    };
    const start = (username: string, authkey: string) => anonymous('POST', '/password/', { username, recovery_authkey: authkey });
    /** Both steps as the web client makes them; answers the second step's answer. */
    const reset = async (username: string, code: ClientCode, newPassword = NEW_PASSWORD, tamper?: (payload: Record<string, string>) => void) => {
      const first = await start(username, code.authkey);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const answer = first.body as unknown as StartAnswer;
      const keys = await openCodeData(code.code, answer.recovery_sauce, answer.recovery_data, answer.recovery_data_nonce);
      assert.ok(keys, 'the recovery data opens with the code');
      const payload = await resetPayload(username, newPassword, answer.user_sauce, keys);
      tamper?.(payload);
      return { answer, keys, second: await anonymous('PUT', '/password/', { username, recovery_authkey: code.authkey, ...boxToVerifier(payload, answer.verifier_public_key, keys.userPrivateKey) }) };
    };

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_PASSWORD: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('a reset with the recovery code sets the new password, keeps the keys, and ends every session of the user', async () => {
      const alice = await person('alice');
      const second = await client.login({ username: alice.username, password: PASSWORD, sendDeviceTime: false });
      const bob = await person('bob');
      const { datastore_id } = (await alice.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() })).body as { datastore_id: string };
      const code = await setCode(alice);

      const { answer, keys, second: done } = await reset(alice.username, code);
      assert.deepEqual(keys, keysOf(alice), 'the recovery data holds the user\'s own keys');
      assert.equal(answer.user_sauce, alice.userSauce);
      assert.equal(answer.verifier_time_valid, 600);
      assert.equal(answer.hashing_algorithm, 'scrypt');
      assert.deepEqual(done, { status: 200, body: {} });

      // Every session of the user ended; another user's did not.
      for (const old of [alice, second]) assert.equal((await old.request('GET', '/datastore/')).status, 401, 'an old session of the user');
      assert.equal((await bob.request('GET', '/datastore/')).status, 200, 'control: another user keeps their session');
      // The old password no longer logs in; the new one does, and opens the same keys and the same vault.
      await assert.rejects(client.login({ username: alice.username, password: PASSWORD, sendDeviceTime: false }), (e: unknown) => e instanceof VaultClientError && e.status === 400);
      const renewed = await client.login({ username: alice.username, password: NEW_PASSWORD, sendDeviceTime: false });
      assert.deepEqual(keysOf(renewed), keysOf(alice));
      assert.equal((await renewed.request('GET', `/datastore/${datastore_id}/`)).status, 200);
      // The recovery code still works after the reset (it encrypts the same keys).
      assert.equal((await start(alice.username, code.authkey)).status, 200);
    });

    test('step 1 refuses an unknown user, a user without a code and a wrong code with one answer; the right code passes', async () => {
      const carol = await person('carol');
      const dave = await person('dave');
      const code = await setCode(carol);
      const other = await makeCode(carol.username, keysOf(carol));
      const refused = { status: 400, body: { non_field_errors: ['USERNAME_OR_RECOVERY_CODE_INCORRECT'] } };
      assert.deepEqual(await start(carol.username, other.authkey), refused, 'a wrong code');
      assert.deepEqual(await start(dave.username, code.authkey), refused, 'a user without a recovery code');
      assert.deepEqual(await start(`nobody-${randomBytes(4).toString('hex')}@example.com`, code.authkey), refused, 'an unknown user');
      const ok = await start(carol.username.toUpperCase(), code.authkey);
      assert.equal(ok.status, 200, 'control: the right code (the username in any case)');
      assert.ok(!JSON.stringify(ok.body).includes(code.authkey), 'the answer never carries the code authkey');
    });

    test('a new recovery code replaces the old one', async () => {
      const erin = await person('erin');
      const first = await setCode(erin);
      const second = await setCode(erin);
      assert.equal((await start(erin.username, first.authkey)).status, 400, 'the replaced code');
      assert.equal((await start(erin.username, second.authkey)).status, 200, 'control: the new code');
    });

    // Driven in the official web client (psono-client 252e7dd1, Chromium) against this server: account
    // settings → Generate (POST /recoverycode/), then lost-password.html with the words (POST /password/,
    // GET /info/, PUT /password/), then a login with the new password that opens the old entry.
    test('/info/ shows the web client its recovery-code screens (compliance_disable_recovery_codes is false)', async () => {
      const { info } = await client.info();
      assert.equal(info.compliance_disable_recovery_codes, false);
    });

    test('step 2 needs the user\'s private key: a box from another key is 403, the rightful box then passes', async () => {
      const frank = await person('frank');
      const code = await setCode(frank);
      const first = await start(frank.username, code.authkey);
      const answer = first.body as unknown as StartAnswer;
      const keys = (await openCodeData(code.code, answer.recovery_sauce, answer.recovery_data, answer.recovery_data_nonce)) as UserKeysHex;
      const payload = await resetPayload(frank.username, NEW_PASSWORD, answer.user_sauce, keys);
      const stranger = toHex(boxKeyPair().secretKey);
      const body = (privateKey: string) => ({ username: frank.username, recovery_authkey: code.authkey, ...boxToVerifier(payload, answer.verifier_public_key, privateKey) });
      assert.deepEqual(await anonymous('PUT', '/password/', body(stranger)), { status: 403, body: { message: 'Validation failed' } });
      const malformed = await resetPayload(frank.username, NEW_PASSWORD, answer.user_sauce, keys);
      malformed.private_key = 'zz';
      assert.deepEqual(await anonymous('PUT', '/password/', { username: frank.username, recovery_authkey: code.authkey, ...boxToVerifier(malformed, answer.verifier_public_key, keys.userPrivateKey) }), { status: 403, body: { message: 'Validation failed' } });
      assert.equal((await frank.request('GET', '/datastore/')).status, 200, 'a refused reset ends no session');
      await client.login({ username: frank.username, password: PASSWORD, sendDeviceTime: false });
      const wrongCode = await makeCode(frank.username, keys);
      assert.deepEqual(await anonymous('PUT', '/password/', { ...body(keys.userPrivateKey), recovery_authkey: wrongCode.authkey }), { status: 400, body: { non_field_errors: ['USERNAME_OR_RECOVERY_CODE_INCORRECT'] } });
      assert.deepEqual(await anonymous('PUT', '/password/', body(keys.userPrivateKey)), { status: 200, body: {} }, 'control: the rightful box');
      // The verifier is used once.
      assert.deepEqual(await anonymous('PUT', '/password/', body(keys.userPrivateKey)), { status: 400, body: { non_field_errors: ['VALIDATOR_EXPIRED'] } });
    });

    test('step 2 without step 1, or after the verifier\'s 600 s, is VALIDATOR_EXPIRED; a fresh step 1 passes', async () => {
      const gina = await person('gina');
      const code = await setCode(gina);
      const keys = keysOf(gina);
      const payload = await resetPayload(gina.username, NEW_PASSWORD, gina.userSauce, keys);
      const anyVerifier = toHex(boxKeyPair().publicKey);
      const expired = { status: 400, body: { non_field_errors: ['VALIDATOR_EXPIRED'] } };
      assert.deepEqual(await anonymous('PUT', '/password/', { username: gina.username, recovery_authkey: code.authkey, ...boxToVerifier(payload, anyVerifier, keys.userPrivateKey) }), expired, 'no step 1');
      const answer = (await start(gina.username, code.authkey)).body as unknown as StartAnswer;
      t.advance(601_000);
      try {
        assert.deepEqual(await anonymous('PUT', '/password/', { username: gina.username, recovery_authkey: code.authkey, ...boxToVerifier(payload, answer.verifier_public_key, keys.userPrivateKey) }), expired, 'too late');
        const fresh = (await start(gina.username, code.authkey)).body as unknown as StartAnswer;
        assert.deepEqual(await anonymous('PUT', '/password/', { username: gina.username, recovery_authkey: code.authkey, ...boxToVerifier(payload, fresh.verifier_public_key, keys.userPrivateKey) }), { status: 200, body: {} }, 'control');
      } finally {
        t.advance(-601_000);
      }
    });

    test('a reset may raise the hashing parameters; half of them is refused', async () => {
      const hank = await person('hank');
      const code = await setCode(hank);
      const first = (await start(hank.username, code.authkey)).body as unknown as StartAnswer;
      const keys = keysOf(hank);
      const params = { u: 15, r: 8, p: 1, l: 64 };
      const payload = await resetPayload(hank.username, NEW_PASSWORD, first.user_sauce, keys, params);
      const boxed = { username: hank.username, recovery_authkey: code.authkey, ...boxToVerifier(payload, first.verifier_public_key, keys.userPrivateKey) };
      assert.deepEqual(await anonymous('PUT', '/password/', { ...boxed, hashing_algorithm: 'scrypt' }), { status: 400, body: { non_field_errors: ['INVALID_HASHING_PARAMETER'] } });
      assert.deepEqual(await anonymous('PUT', '/password/', { ...boxed, hashing_algorithm: 'scrypt', hashing_parameters: { ...params, u: 13 } }), { status: 400, body: { non_field_errors: ['INVALID_HASHING_PARAMETER'] } });
      assert.deepEqual(await anonymous('PUT', '/password/', { ...boxed, hashing_algorithm: 'scrypt', hashing_parameters: params }), { status: 200, body: {} });
      assert.deepEqual((await anonymous('POST', '/authentication/prelogin/', { username: hank.username })).body?.hashing_parameters, params);
      await client.login({ username: hank.username, password: NEW_PASSWORD, sendDeviceTime: false });
    });

    test('setting a code needs a password session: API keys are refused, logged-out callers are 401', async () => {
      const ivy = await person('ivy');
      const ask = randomBytes(32);
      const created = await ivy.request('PUT', '/api-key/', {
        title: 'k', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: true, restrict_to_secrets: false,
      });
      const { session: keySession } = await loginWithApiKey(client, { apiKeyId: (created.body as { api_key_id: string }).api_key_id, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) });
      const code = await makeCode(ivy.username, keysOf(ivy));
      const body = { recovery_authkey: code.authkey, recovery_data: code.data, recovery_data_nonce: code.dataNonce, recovery_sauce: code.sauce };
      assert.equal((await keySession.request('POST', '/recoverycode/', body)).status, 403);
      assert.equal((await anonymous('POST', '/recoverycode/', body)).status, 401);
      assert.equal((await start(ivy.username, code.authkey)).status, 400, 'nothing was stored');
      assert.equal((await ivy.request('POST', '/recoverycode/', body)).status, 200, 'control: the password session');
      assert.equal((await start(ivy.username, code.authkey)).status, 200);
    });

    test('hostile bodies get 4xx JSON, never a 5xx, and store nothing', async () => {
      const jack = await person('jack');
      const code = await makeCode(jack.username, keysOf(jack));
      const good = { recovery_authkey: code.authkey, recovery_data: code.data, recovery_data_nonce: code.dataNonce, recovery_sauce: code.sauce };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, 'recovery_authkey'],
        [{ ...good, recovery_data: 'xyz' }, 'recovery_data'],
        [{ ...good, recovery_data: 'a'.repeat(8194) }, 'recovery_data'],
        [{ ...good, recovery_data_nonce: 'ab' }, 'recovery_data_nonce'],
        [{ ...good, recovery_sauce: 'g'.repeat(64) }, 'recovery_sauce'],
        [{ ...good, recovery_authkey: 'a'.repeat(129) }, 'recovery_authkey'],
        [{ ...good, recovery_authkey: { a: 1 } }, 'recovery_authkey'],
      ];
      for (const [body, field] of cases) {
        const res = await jack.request('POST', '/recoverycode/', body);
        assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
        assert.ok(field in (res.body as Record<string, unknown>), `${field} is named: ${JSON.stringify(res.body)}`);
      }
      assert.equal((await jack.request('POST', '/recoverycode/', [good])).status, 400);
      assert.equal((await start(jack.username, code.authkey)).status, 400, 'no code was stored');

      const anon: Array<[string, 'POST' | 'PUT', unknown]> = [
        ['no fields', 'POST', {}],
        ['not an object', 'POST', ['x']],
        ['bad username', 'POST', { username: 'not-an-email', recovery_authkey: code.authkey }],
        ['long authkey', 'POST', { username: jack.username, recovery_authkey: 'a'.repeat(10_000) }],
        ['PUT without update', 'PUT', { username: jack.username, recovery_authkey: code.authkey }],
        ['PUT bad hex', 'PUT', { username: jack.username, recovery_authkey: code.authkey, update_data: 'zz', update_data_nonce: nonce() }],
        ['PUT long data', 'PUT', { username: jack.username, recovery_authkey: code.authkey, update_data: 'ab'.repeat(5000), update_data_nonce: nonce() }],
        ['PUT bad algorithm', 'PUT', { username: jack.username, recovery_authkey: code.authkey, update_data: ct(), update_data_nonce: nonce(), hashing_algorithm: 'md5', hashing_parameters: {} }],
      ];
      for (const [name, method, body] of anon) {
        const res = await anonymous(method, '/password/', body);
        assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      }
      const raw = await t.app.inject({ method: 'POST', url: '/server/password/', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
      assert.equal(raw.statusCode, 400);
      const big = await t.app.inject({ method: 'POST', url: '/server/password/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: jack.username, pad: 'x'.repeat(70_000) }) });
      assert.equal(big.statusCode, 413);
      for (const method of ['GET', 'DELETE'] as const) assert.equal((await anonymous(method, '/password/')).status, 405);
      for (const method of ['GET', 'PUT', 'DELETE'] as const) assert.equal((await jack.request(method, '/recoverycode/', method === 'GET' ? undefined : {})).status, 405);
    });

    test('a deleted user\'s code goes with them', async () => {
      const kim = await person('kim');
      const code = await setCode(kim);
      const { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } = await import('../../src/crypto/psono-kdf.js');
      assert.equal((await kim.request('DELETE', '/user/delete/', { authkey: await deriveAuthkey(kim.username, PASSWORD, DEFAULT_HASHING_PARAMETERS) })).status, 200);
      assert.equal((await start(kim.username, code.authkey)).status, 400);
      assert.equal(await t.stores.recovery.findRecoveryCode(kim.userId), undefined);
    });
  });
}

describe('guessing recovery codes is throttled per address (the `password` scope)', () => {
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite', { VAULT_THROTTLE_PASSWORD: '3/hour', VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
  });
  after(async () => t.close());

  test('after three tries from one address even the right code is 429; another address still gets through', async () => {
    const client = new VaultClient(injectTransport(t.app));
    const username = `lee-${randomBytes(4).toString('hex')}@example.com`;
    await client.register(username, 'lee@mail.example.com', PASSWORD);
    const lee = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
    const code = await makeCode(username, { userPrivateKey: toHex(lee.userPrivateKey.reveal()), userSecretKey: toHex(lee.userSecretKey.reveal()) });
    assert.equal((await lee.request('POST', '/recoverycode/', { recovery_authkey: code.authkey, recovery_data: code.data, recovery_data_nonce: code.dataNonce, recovery_sauce: code.sauce })).status, 200);
    const ask = (authkey: string, ip = '203.0.113.7') =>
      t.app.inject({ method: 'POST', url: '/server/password/', remoteAddress: ip, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username, recovery_authkey: authkey }) });
    for (let i = 0; i < 3; i++) assert.equal((await ask((await makeCode(username, { userPrivateKey: '00', userSecretKey: '00' })).authkey)).statusCode, 400, `guess ${i + 1}`);
    const over = await ask(code.authkey);
    assert.equal(over.statusCode, 429);
    assert.ok(Number(over.headers['retry-after']) > 0);
    assert.equal((await ask(code.authkey, '203.0.113.8')).statusCode, 200, 'control: the right code from another address');
  });
});

describe('recovery and emergency codes hashed for one user are bounded (the `code_hash` scope)', () => {
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite', { VAULT_THROTTLE_CODE_HASH: '3/hour', VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
  });
  after(async () => t.close());

  test('three codes, then 429 for either kind; another user still makes one', async () => {
    const client = new VaultClient(injectTransport(t.app));
    const someone = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${who}@mail.example.com`, PASSWORD);
      const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      const code = await makeCode(username, { userPrivateKey: toHex(session.userPrivateKey.reveal()), userSecretKey: toHex(session.userSecretKey.reveal()) });
      const recoveryCode = () => session.request('POST', '/recoverycode/', { recovery_authkey: code.authkey, recovery_data: code.data, recovery_data_nonce: code.dataNonce, recovery_sauce: code.sauce });
      const emergencyCode = () =>
        session.request('POST', '/emergencycode/', { description: 'sister', activation_delay: 3600, emergency_authkey: code.authkey, emergency_data: code.data, emergency_data_nonce: code.dataNonce, emergency_sauce: code.sauce });
      return { recoveryCode, emergencyCode };
    };
    const kim = await someone('kim');
    assert.equal((await kim.recoveryCode()).status, 200);
    assert.equal((await kim.emergencyCode()).status, 201);
    assert.equal((await kim.emergencyCode()).status, 201);
    const over = await kim.emergencyCode();
    assert.equal(over.status, 429, JSON.stringify(over.body));
    assert.equal((await kim.recoveryCode()).status, 429, 'the bound is one for both kinds');
    const max = await someone('max');
    assert.equal((await max.emergencyCode()).status, 201, 'control: another user');
    assert.equal((await max.recoveryCode()).status, 200);
  });
});
