import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, VaultClientError, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { boxKeyPair, boxSeal, secretboxSeal, verifyDetached } from '../../src/crypto/nacl.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

const name = (who: string) => `${who}-${randomBytes(4).toString('hex')}@example.com`;
const PASSWORD = 'correct horse battery staple';

async function newUser(client: VaultClient, who = 'alice') {
  const username = name(who);
  const registered = await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.deepEqual(registered.body, { success: 'REGISTRATION_SUCCESSFUL' });
  return username;
}

for (const backend of BACKENDS) {
  describe(`vault accounts and sessions (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    before(async () => {
      t = await openTestApp(backend);
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('GET /server/info/ is signed with the verify key and carries the box public key', async () => {
      const { info, verifyKey, publicKey } = await client.info();
      assert.equal(verifyKey, toHex(t.serverKeys.verifyKey));
      assert.equal(toHex(publicKey), toHex(t.serverKeys.boxPublicKey));
      assert.equal(info.type, 'CE');
      assert.match(String(info.version), /^\d+\.\d+\.\d+ \(Build [0-9a-f]{8}\)$/);
      assert.notEqual(toHex(t.serverKeys.boxPublicKey), verifyKey, 'two independent keys');
      const raw = (await client.call('GET', '/info/')).body as { info: string; signature: string };
      const forged = raw.info.replace('"CE"', '"EE"');
      assert.equal(verifyDetached(t.serverKeys.verifyKey, new TextEncoder().encode(forged), Buffer.from(raw.signature, 'hex')), false);
    });

    test('register, log in, use the session, list sessions, end one, log out', async () => {
      const username = await newUser(client);
      const first = await client.login({ username, password: PASSWORD, deviceFingerprint: randomUUID() });
      assert.equal(first.ownsPublicKey(), true);
      assert.match(first.email, /@mail\.example\.com$/);
      const second = await client.login({ username, password: PASSWORD, sendDeviceTime: false });

      const status = await first.request('GET', '/user/status/');
      assert.equal(status.status, 200);
      assert.equal(status.encrypted, true);
      assert.equal((status.body as { unaccepted_shares_count: number }).unaccepted_shares_count, 0);

      const listed = await first.request('GET', '/authentication/sessions/');
      const sessions = (listed.body as { sessions: Array<{ id: string; current_session: boolean; device_description: string }> }).sessions;
      assert.equal(sessions.length, 2);
      assert.equal(sessions.filter((s) => s.current_session).length, 1);
      const other = sessions.find((s) => !s.current_session);
      assert.ok(other);

      const ended = await first.request('POST', '/authentication/logout/', { session_id: other.id });
      assert.deepEqual(ended.body, { success: 'Successfully logged out.' });
      const gone = await second.request('GET', '/user/status/');
      assert.equal(gone.status, 401);
      assert.equal(gone.encrypted, false);
      assert.deepEqual(gone.body, { detail: 'Invalid token or not yet activated.' });

      assert.equal((await first.request('POST', '/authentication/logout/', {})).status, 200);
      assert.equal((await first.request('GET', '/user/status/')).status, 401);
    });

    test('the same path without its final slash reaches the same handler', async () => {
      const username = await newUser(client);
      const session = await client.login({ username, password: PASSWORD });
      assert.equal((await session.request('GET', '/user/status')).status, 200);
      assert.equal((await client.call('GET', '/info')).status, 200);
    });

    test('unknown user and wrong password get the same answer', async () => {
      const username = await newUser(client);
      const wrong = await client.login({ username, password: 'not it' }).catch((e: unknown) => e);
      const unknown = await client.login({ username: name('nobody'), password: PASSWORD }).catch((e: unknown) => e);
      assert.ok(wrong instanceof VaultClientError && unknown instanceof VaultClientError);
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body, { non_field_errors: ['USERNAME_OR_PASSWORD_WRONG'] });
      assert.deepEqual(unknown.body, wrong.body);
      assert.equal(unknown.status, wrong.status);
    });

    test('a password change keeps the keys, ends the other sessions and retires the old password', async () => {
      const username = await newUser(client);
      const current = await client.login({ username, password: PASSWORD });
      const other = await client.login({ username, password: PASSWORD });
      const usk = toHex(current.userSecretKey.reveal());
      const changed = await current.changePassword(PASSWORD, 'a new passphrase');
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal((await other.request('GET', '/user/status/')).status, 401, 'other sessions end');
      assert.equal((await current.request('GET', '/user/status/')).status, 200, 'the current one stays');
      await assert.rejects(client.login({ username, password: PASSWORD }), (e: unknown) => e instanceof VaultClientError && e.status === 400);
      const again = await client.login({ username, password: 'a new passphrase' });
      assert.equal(toHex(again.userSecretKey.reveal()), usk, 'the same secret key, re-encrypted');
      const wrongOld = await again.changePassword('not the password', 'x');
      assert.deepEqual(wrongOld.body, { non_field_errors: ['OLD_PASSWORD_INCORRECT'] });
    });

    test('user search: one match is an object, several an array, none an error', async () => {
      const alice = await newUser(client, 'alice');
      const bob = await newUser(client, 'bob');
      const session = await client.login({ username: alice, password: PASSWORD });
      const one = await session.request('POST', '/user/search/', { user_username: bob.toUpperCase() });
      assert.equal(one.status, 200);
      const found = one.body as { id: string; username: string; public_key: string };
      assert.equal(found.username, bob);
      assert.match(found.public_key, /^[0-9a-f]{64}$/);
      const both = await session.request('POST', '/user/search/', { user_id: session.userId, user_username: bob });
      assert.ok(Array.isArray(both.body) && both.body.length === 2);
      const own = (both.body as Array<{ id: string; multifactor_auth_enabled?: boolean }>).find((u) => u.id === session.userId);
      assert.equal(own?.multifactor_auth_enabled, false);
      assert.deepEqual((await session.request('POST', '/user/search/', { user_username: name('nobody') })).body, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] });
      assert.deepEqual((await session.request('POST', '/user/search/', { user_id: 'nope' })).body, { user_id: ['IS_NOT_A_VALID_UUID'] });
    });

    test('deleting the account needs the authkey, then ends every session and the login', async () => {
      const username = await newUser(client);
      const session = await client.login({ username, password: PASSWORD });
      const other = await client.login({ username, password: PASSWORD });
      const { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } = await import('../../src/crypto/psono-kdf.js');
      const wrong = await session.request('DELETE', '/user/delete/', { authkey: 'f'.repeat(128) });
      assert.deepEqual(wrong.body, { non_field_errors: ['PASSWORD_INCORRECT'] });
      const done = await session.request('DELETE', '/user/delete/', { authkey: await deriveAuthkey(username, PASSWORD, DEFAULT_HASHING_PARAMETERS) });
      assert.equal(done.status, 200);
      assert.deepEqual(done.body, {});
      assert.equal((await other.request('GET', '/user/status/')).status, 401);
      await assert.rejects(client.login({ username, password: PASSWORD }), VaultClientError);
    });
  });
}

describe('vault: hostile input and the session checks', () => {
  let t: TestApp;
  let client: VaultClient;
  let username: string;
  before(async () => {
    t = await openTestApp('sqlite', { VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_LOGIN: '1000/minute' });
    client = new VaultClient(injectTransport(t.app));
    username = await newUser(client);
  });
  after(async () => t.close());

  const raw = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/server${url}`, headers: { 'content-type': 'application/json', ...headers }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });

  test('token header checks answer plain 401s in the spec order', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'Invalid token header. No token header present.'],
      [{ authorization: 'Bearer abc' }, 'Invalid token header. No token header present.'],
      [{ authorization: 'Token' }, 'Invalid token header. No credentials provided.'],
      [{ authorization: 'Token a b' }, 'Invalid token header. Token string should not contain spaces.'],
      [{ authorization: 'Token ab\u00e9' }, 'Invalid token header. Token string should not contain invalid characters.'],
      [{ authorization: `Token ${'a'.repeat(128)}` }, 'Invalid token or not yet activated.'],
    ];
    for (const [headers, detail] of cases) {
      const res = await raw('GET', '/user/status/', undefined, headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.deepEqual(res.json(), { detail });
      assert.equal(res.headers['www-authenticate'], 'Token');
    }
  });

  test('a body that is not an envelope, or does not open, is a 400 "Invalid request" - itself encrypted', async () => {
    const session = await client.login({ username, password: PASSWORD });
    const headers = { authorization: `Token ${session.token.reveal()}`, 'authorization-validator': session.validatorHeader() };
    const sealed = secretboxSeal(session.sessionSecret.reveal(), new TextEncoder().encode('{"user_username":"x@example.com"}'));
    const tampered = Buffer.from(sealed.ciphertext);
    tampered[5] = (tampered[5] ?? 0) ^ 1;
    for (const body of [{ user_username: 'x@example.com' }, { text: toHex(tampered), nonce: toHex(sealed.nonce) }, { text: 'zz', nonce: 'zz' }]) {
      const res = await raw('POST', '/user/search/', body, { ...headers, 'authorization-validator': session.validatorHeader() });
      assert.equal(res.statusCode, 400);
      const { openJson } = await import('../../src/protocol/vault/envelope.js');
      assert.deepEqual(openJson(session.sessionSecret.reveal(), res.json())?.value, { detail: 'Invalid request' });
    }
    assert.equal((await session.request('GET', '/user/status/')).status, 200, 'the session survives');
  });

  test('Authorization-Validator: missing, forged, replayed, another device, a skewed clock', async () => {
    const fingerprint = randomUUID();
    const fresh = () => client.login({ username, password: PASSWORD, deviceFingerprint: fingerprint });
    const call = (session: VaultSession, validator: string | undefined) =>
      raw('GET', '/user/status/', undefined, { authorization: `Token ${session.token.reveal()}`, ...(validator !== undefined ? { 'authorization-validator': validator } : {}) });

    let session = await fresh();
    assert.deepEqual((await call(session, undefined)).json(), { detail: 'Invalid token header. Incorrect format in token header.' });
    assert.deepEqual((await call(session, '{"text":"00"}')).json(), { detail: 'Invalid token header. Token attribute not present.' });
    assert.deepEqual((await call(session, JSON.stringify({ text: '00'.repeat(40), nonce: '00'.repeat(24) }))).json(), { detail: 'Invalid token header. Not proper encrypted.' });
    assert.equal((await session.request('GET', '/user/status/')).status, 200, 'those three do not end the session');

    const header = session.validatorHeader();
    assert.equal((await call(session, header)).statusCode, 200);
    const replay = await call(session, header);
    assert.deepEqual(replay.json(), { detail: 'Replay Protection: Time difference too big' });
    assert.equal((await session.request('GET', '/user/status/')).status, 401, 'a replay ends the session');

    session = await fresh();
    const { sealJson } = await import('../../src/protocol/vault/envelope.js');
    const otherDevice = JSON.stringify(sealJson(session.sessionSecret.reveal(), { request_time: new Date().toISOString(), request_device_fingerprint: 'another' }));
    assert.deepEqual((await call(session, otherDevice)).json(), { detail: 'Device Fingerprint Protection: device_fingerprint mismatch' });
    assert.equal((await session.request('GET', '/user/status/')).status, 401);

    session = await fresh();
    assert.deepEqual((await call(session, session.validatorHeader(new Date(Date.now() - 60_000)))).json(), { detail: 'Replay Protection: Time difference too big' });
    assert.equal((await session.request('GET', '/user/status/')).status, 401);

    session = await fresh();
    const noTime = JSON.stringify(sealJson(session.sessionSecret.reveal(), { request_device_fingerprint: fingerprint }));
    assert.deepEqual((await call(session, noTime)).json(), { detail: 'Replay Protection: request_time missing' });
  });

  test('a 405 or a 413 to an authenticated caller is encrypted like any other answer', async () => {
    const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
    const { openJson } = await import('../../src/protocol/vault/envelope.js');
    const wrongMethod = await raw('GET', '/user/update/', undefined, { authorization: `Token ${session.token.reveal()}` });
    assert.equal(wrongMethod.statusCode, 405);
    assert.deepEqual(openJson(session.sessionSecret.reveal(), wrongMethod.json())?.value, {});
    const huge = await t.app.inject({
      method: 'POST',
      url: '/server/user/search/',
      headers: { 'content-type': 'application/json', authorization: `Token ${session.token.reveal()}` },
      payload: JSON.stringify({ text: 'ab'.repeat(9 * 1024 * 1024), nonce: '00'.repeat(24) }),
    });
    assert.equal(huge.statusCode, 413);
    assert.deepEqual(openJson(session.sessionSecret.reveal(), huge.json())?.value, { detail: 'Request body too large.' });
  });

  test('a login whose device_time is far from the server clock is refused (no late replays)', async () => {
    const { info } = await client.info();
    const { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } = await import('../../src/crypto/psono-kdf.js');
    const authkey = await deriveAuthkey(username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
    const attempt = async (deviceTime: string) => {
      const keys = boxKeyPair();
      const sealed = boxSeal(keys.secretKey, Buffer.from(String(info.public_key), 'hex'), new TextEncoder().encode(JSON.stringify({ username, authkey, device_time: deviceTime })));
      return raw('POST', '/authentication/login/', { public_key: toHex(keys.publicKey), login_info: toHex(sealed.ciphertext), login_info_nonce: toHex(sealed.nonce) });
    };
    const stale = await attempt('2020-01-01T00:00:00Z');
    assert.deepEqual(stale.json(), { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] });
    assert.deepEqual((await attempt('not a time')).json(), { non_field_errors: ['DEVICE_TIME_INVALID'] });
    assert.equal((await attempt(new Date(Date.now() - 60_000).toISOString())).statusCode, 200, 'control: a minute off is fine');
  });

  test('user update: user_sauce must be 64 hex and needs the current authkey', async () => {
    const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
    assert.deepEqual((await session.request('PUT', '/user/update/', { user_sauce: 'x@y' })).body, { user_sauce: ['Ensure this field has at least 64 characters.'] });
    assert.deepEqual((await session.request('PUT', '/user/update/', { user_sauce: 'ab'.repeat(32) })).body, { non_field_errors: ['AUTHKEY_REQUIRED'] });
    const language = await session.request('PUT', '/user/update/', { language: 'de' });
    assert.deepEqual(language.body, { success: 'User updated.' });
    assert.equal((await t.stores.vault.findUserByUsername(username))?.language, 'de');
  });

  test('a replayed login request is refused, a fresh one is not', async () => {
    const { info } = await client.info();
    const keys = boxKeyPair();
    const { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } = await import('../../src/crypto/psono-kdf.js');
    const loginInfo = boxSeal(keys.secretKey, Buffer.from(String(info.public_key), 'hex'), new TextEncoder().encode(JSON.stringify({ username, authkey: await deriveAuthkey(username, PASSWORD, DEFAULT_HASHING_PARAMETERS) })));
    const body = { public_key: toHex(keys.publicKey), login_info: toHex(loginInfo.ciphertext), login_info_nonce: toHex(loginInfo.nonce) };
    assert.equal((await raw('POST', '/authentication/login/', body)).statusCode, 200);
    const again = await raw('POST', '/authentication/login/', body);
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] });
  });

  test('malformed login fields are field errors; login info that does not open is refused', async () => {
    const good = { public_key: 'ab'.repeat(32), login_info: 'cd'.repeat(40), login_info_nonce: 'ef'.repeat(24) };
    const cases: Array<[unknown, number, unknown]> = [
      [{}, 400, { public_key: ['This field is required.'], login_info: ['This field is required.'], login_info_nonce: ['This field is required.'] }],
      [{ ...good, public_key: 'ab' }, 400, { public_key: ['Ensure this field has at least 64 characters.'] }],
      [{ ...good, public_key: 'ab'.repeat(33) }, 400, { public_key: ['Ensure this field has no more than 64 characters.'] }],
      [{ ...good, login_info: 'xyz'.repeat(20) }, 400, { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] }],
      [{ ...good, login_info: 'abc' }, 400, { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] }],
      [{ ...good, login_info_nonce: 'e'.repeat(47) }, 400, { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] }],
      [{ ...good, login_info_nonce: 'e'.repeat(65) }, 400, { login_info_nonce: ['Ensure this field has no more than 64 characters.'] }],
      [{ ...good, session_duration: 'long' }, 400, { session_duration: ['A valid integer is required.'] }],
      [{ ...good, public_key: null }, 400, { public_key: ['This field may not be null.'] }],
      [good, 400, { non_field_errors: ['LOGIN_INFO_CANNOT_BE_DECRYPTED'] }],
      [[1, 2], 400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ];
    for (const [body, status, expected] of cases) {
      const res = await raw('POST', '/authentication/login/', body);
      assert.equal(res.statusCode, status, JSON.stringify(body));
      assert.deepEqual(res.json(), expected, JSON.stringify(body));
    }
  });

  test('registration refuses bad fields, taken names and e-mails, weak parameters, and creates nothing then', async () => {
    const base = async (username: string) => {
      const captured: { body?: Record<string, unknown> } = {};
      const capture = new VaultClient(async (request) => {
        captured.body = JSON.parse(request.body ?? '{}') as Record<string, unknown>;
        return { status: 0, headers: {}, body: '' };
      });
      await capture.register(username, `${username.split('@')[0]}@other.example.com`, PASSWORD);
      return captured.body as Record<string, unknown>;
    };
    const fresh = name('carol');
    const body = await base(fresh);
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{ ...body, username: 'admin@example.com' }, { username: ['Usernames like admin@ info@ webmaster@ and so on are forbidden.'] }],
      [{ ...body, username: 'a@example.com' }, { username: ['Usernames may not be shorter than 2 chars.'] }],
      [{ ...body, username: 'no-at-sign' }, { username: ['INVALID_USERNAME_FORMAT'] }],
      [{ ...body, username: 'ab--cd@example.com' }, { username: ['Usernames may not contain consecutive dashes.'] }],
      [{ ...body, username: 'ab_cd@example.com' }, { username: ['USERNAME_VALIDATION_NAME_CONTAINS_INVALID_CHARS'] }],
      [{ ...body, email: 'nope' }, { email: ['INVALID_EMAIL_FORMAT'] }],
      [{ ...body, authkey: 'ab' }, { authkey: ['Ensure this field has at least 128 characters.'] }],
      [{ ...body, private_key: 'z'.repeat(160) }, { private_key: ['NO_VALID_HEX'] }],
      [{ ...body, user_sauce: 'sauce' }, { user_sauce: ['Ensure this field has at least 64 characters.'] }],
      [{ ...body, hashing_algorithm: 'md5' }, { hashing_algorithm: ['"md5" is not a valid choice.'] }],
      [{ ...body, hashing_parameters: { u: 10, r: 8, p: 1, l: 64 } }, { non_field_errors: ['INVALID_HASHING_PARAMETER'] }],
      [{ ...body, hashing_parameters: { u: 30, r: 8, p: 1, l: 64 } }, { non_field_errors: ['INVALID_HASHING_PARAMETER'] }],
      [{ ...body, hashing_parameters: { u: 14, r: 8, p: 1, l: 64, x: 1 } }, { non_field_errors: ['INVALID_HASHING_PARAMETER'] }],
      [{ ...body, username }, { username: ['USERNAME_ALREADY_EXISTS'] }],
    ];
    for (const [payload, expected] of cases) {
      const res = await raw('POST', '/authentication/register/', payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 100));
      assert.deepEqual(res.json(), expected);
    }
    assert.equal(await t.stores.vault.findUserByUsername(fresh), undefined, 'nothing created');
    const email = body.email;
    assert.equal((await raw('POST', '/authentication/register/', body)).statusCode, 201, 'control: the good body registers');
    const sameEmail = await base(name('dave'));
    const dup = await raw('POST', '/authentication/register/', { ...sameEmail, email });
    assert.deepEqual(dup.json(), { non_field_errors: ['USER_WITH_EMAIL_ALREADY_EXISTS'] });
  });

  test('activate-token: a wrong verification and a second activation are refused', async () => {
    const session = await client.login({ username, password: PASSWORD });
    const again = await session.request('POST', '/authentication/activate-token/', { verification: '00'.repeat(48), verification_nonce: '00'.repeat(24) });
    assert.deepEqual(again.body, { non_field_errors: ['TOKEN_INCORRECT'] });
  });

  test('an inactive token serves only activate-token; an expired one nothing; a read-only one no writes', async () => {
    const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
    const found = await t.stores.vault.findSessionByTokenHash((await import('../../src/crypto/token.js')).hashSessionToken(session.token));
    assert.ok(found);
    const { id: _id, ...rest } = found.session;
    const { createSessionToken, hashSessionToken } = await import('../../src/crypto/token.js');
    const make = async (overrides: Partial<typeof rest>) => {
      const token = createSessionToken();
      await t.stores.vault.createSession({ ...rest, id: randomUUID(), tokenHash: hashSessionToken(token), ...overrides }, { exclusive: false });
      return token.reveal();
    };
    const inactive = await make({ active: false, userValidator: 'ab'.repeat(32) });
    assert.equal((await raw('GET', '/user/status/', undefined, { authorization: `Token ${inactive}` })).statusCode, 401);
    const wrong = await raw('POST', '/authentication/activate-token/', undefined, { authorization: `Token ${inactive}` });
    assert.equal(wrong.statusCode, 400, 'activate-token takes an inactive token (and refuses the empty body)');

    const expired = await make({ active: true, validTill: new Date(Date.now() - 1000) });
    assert.deepEqual((await raw('GET', '/user/status/', undefined, { authorization: `Token ${expired}` })).json(), { detail: 'Invalid token or not yet activated.' });

    const readOnly = await make({ active: true, write: false });
    const { openJson } = await import('../../src/protocol/vault/envelope.js');
    const write = await raw('POST', '/user/search/', undefined, { authorization: `Token ${readOnly}` });
    assert.equal(write.statusCode, 403);
    assert.deepEqual(openJson(session.sessionSecret.reveal(), write.json())?.value, { detail: 'You do not have permission to perform this action.' });
    assert.equal((await raw('GET', '/user/status/', undefined, { authorization: `Token ${readOnly}` })).statusCode, 200, 'control: reads work');
  });

  test('logout of a session that is not yours, or a malformed id, changes nothing', async () => {
    const mine = await client.login({ username, password: PASSWORD });
    const otherUser = await newUser(client, 'erin');
    const theirs = await client.login({ username: otherUser, password: PASSWORD });
    const theirList = (await theirs.request('GET', '/authentication/sessions/')).body as { sessions: Array<{ id: string }> };
    for (const sessionId of [theirList.sessions[0]?.id, randomUUID(), 'not-a-uuid', 42]) {
      const res = await mine.request('POST', '/authentication/logout/', { session_id: sessionId });
      assert.deepEqual(res.body, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] });
    }
    assert.equal((await theirs.request('GET', '/user/status/')).status, 200);
  });

  test('unknown paths, unsupported methods and media types get Psono answers', async () => {
    assert.deepEqual((await raw('GET', '/nope/')).json(), { detail: 'Not found.' });
    const put = await raw('PUT', '/info/');
    assert.equal(put.statusCode, 405);
    assert.deepEqual(put.json(), {});
    const patch = await raw('PATCH' as 'PUT', '/info/');
    assert.equal(patch.statusCode, 405);
    assert.deepEqual(patch.json(), { detail: 'Method "PATCH" not allowed.' });
    const text = await t.app.inject({ method: 'POST', url: '/server/authentication/prelogin/', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    assert.equal(text.statusCode, 415);
    assert.deepEqual(text.json(), { detail: 'Unsupported media type "text/plain" in request.' });
    const broken = await t.app.inject({ method: 'POST', url: '/server/authentication/prelogin/', headers: { 'content-type': 'application/json' }, payload: '{' });
    assert.equal(broken.statusCode, 400);
    assert.match(broken.json().detail, /^JSON parse error - /);
  });
});

describe('vault throttles', () => {
  test('over the limit: 429 with Retry-After, counted per client, encrypted once authenticated', async () => {
    const t = await openTestApp('sqlite', { VAULT_THROTTLE_PRELOGIN: '3/minute', VAULT_THROTTLE_STATUS_CHECK: '2/minute' });
    try {
      const client = new VaultClient(injectTransport(t.app));
      const username = await newUser(client);
      const session = await client.login({ username, password: PASSWORD });
      const prelogin = () => client.call('POST', '/authentication/prelogin/', { username });
      for (let i = 0; i < 2; i += 1) assert.equal((await prelogin()).status, 200, `prelogin ${i + 2} of 3`);
      const over = await t.app.inject({ method: 'POST', url: '/server/authentication/prelogin/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username }) });
      assert.equal(over.statusCode, 429);
      assert.match(over.json().detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
      assert.ok(Number(over.headers['retry-after']) >= 1 && Number(over.headers['retry-after']) <= 60);
      const elsewhere = new VaultClient(injectTransport(t.app, { 'x-forwarded-for': '203.0.113.9' }));
      assert.equal((await elsewhere.call('POST', '/authentication/prelogin/', { username })).status, 429, 'without TRUST_PROXY the header changes nothing');

      assert.equal((await session.request('GET', '/user/status/')).status, 200);
      assert.equal((await session.request('GET', '/user/status/')).status, 200);
      const limited = await session.request('GET', '/user/status/');
      assert.equal(limited.status, 429);
      assert.equal(limited.encrypted, true);
      assert.match((limited.body as { detail: string }).detail, /^Request was throttled/);
      assert.equal((await session.request('GET', '/avatar/')).status, 200, 'other scopes are not affected');
    } finally {
      await t.close();
    }
  });
});
