import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, VaultSession } from '../../src/client/vault-session.js';
import { fromHex, toHex } from '../../src/crypto/encoding.js';
import { boxKeyPair, signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { Secret } from '../../src/crypto/secret.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { boxToVerifier, makeCode, openCodeData, openLoginInfo, type ClientCode, type UserKeysHex } from '../helpers/psono-codes.js';
import { BACKENDS } from '../helpers/stores.js';

// Emergency codes (docs/vault-protocol.md §3.14) on both backends, the test acting as the web client: the owner sets
// a code with a waiting period, a trusted person asks, waits (for real: a 2 s period, the server's own clock) and then
// gets the keys and an active session; the owner refuses by deleting the code inside the period. Every refusal is
// paired with a control that succeeds.

const PASSWORD = 'emergency passphrase';
const DELAY_SECONDS = 2;
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');

interface ReadyAnswer {
  status: 'ready';
  remaining_wait_time: number;
  emergency_data: string;
  emergency_data_nonce: string;
  emergency_sauce: string;
  user_sauce: string;
  verifier_public_key: string;
  verifier_time_valid: number;
}

for (const backend of BACKENDS) {
  describe(`emergency codes (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let serverPublicKey: Uint8Array;

    const anonymous = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
      const res = await t.app.inject({ method, url: `/server${url}`, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
      return { status: res.statusCode, body: res.body === '' ? undefined : (res.json() as Record<string, unknown>) };
    };
    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      return client.login({ username, password: PASSWORD, sendDeviceTime: false });
    };
    const keysOf = (session: VaultSession): UserKeysHex => ({ userPrivateKey: toHex(session.userPrivateKey.reveal()), userSecretKey: toHex(session.userSecretKey.reveal()) });
    const addCode = async (owner: VaultSession, delaySeconds: number, description = 'for my sister'): Promise<ClientCode & { id: string }> => {
      const code = await makeCode(owner.username, keysOf(owner));
      const res = await owner.request('POST', '/emergencycode/', {
        description, activation_delay: delaySeconds, emergency_authkey: code.authkey, emergency_data: code.data, emergency_data_nonce: code.dataNonce, emergency_sauce: code.sauce,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return { ...code, id: (res.body as { emergency_code_id: string }).emergency_code_id };
    };
    const arm = (username: string, code: ClientCode) => anonymous('POST', '/emergency-login/', { username, emergency_authkey: code.authkey });
    const listOf = async (owner: VaultSession) =>
      ((await owner.request('GET', '/emergencycode/')).body as { emegency_codes: Array<{ id: string; description: string; activation_date: string | null; activation_delay: number }> }).emegency_codes;
    /** The trusted person's second step, as the web client makes it; answers the status and the opened login info. */
    const logIn = async (username: string, code: ClientCode, ready: ReadyAnswer, privateKey?: string) => {
      const keys = await openCodeData(code.code, ready.emergency_sauce, ready.emergency_data, ready.emergency_data_nonce);
      const session = boxKeyPair();
      const info = { device_time: new Date().toISOString(), device_fingerprint: randomUUID(), device_description: 'Emergency browser', session_public_key: toHex(session.publicKey) };
      const res = await anonymous('PUT', '/emergency-login/', { username, emergency_authkey: code.authkey, ...boxToVerifier(info, ready.verifier_public_key, privateKey ?? (keys as UserKeysHex).userPrivateKey) });
      const opened = res.status === 200 ? openLoginInfo(res.body as { login_info: string; login_info_nonce: string }, serverPublicKey, session.secretKey) : undefined;
      return { res, keys, opened, fingerprint: info.device_fingerprint };
    };
    /** A session from the opened login info, to use the vault as the web client then does. */
    const sessionFrom = (opened: Record<string, string>, fingerprint: string, owner: VaultSession) =>
      new VaultSession(injectTransport(t.app), {
        token: new Secret(opened.token as string),
        sessionSecret: new Secret(fromHex(opened.session_secret_key as string) as Uint8Array),
        deviceFingerprint: fingerprint,
        validatorRequired: true,
        userPrivateKey: owner.userPrivateKey,
        username: owner.username,
        userPublicKey: owner.userPublicKey,
        userSauce: owner.userSauce,
        hashingParameters: owner.hashingParameters,
      });

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_PASSWORD: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
      serverPublicKey = (await client.info()).publicKey;
    });
    after(async () => t.close());

    test('the trusted person waits the owner-chosen period on the server clock, then gets the keys and an active session; the owner refuses by deleting a code inside the period', async () => {
      const owner = await person('owner');
      const { datastore_id } = (await owner.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() })).body as { datastore_id: string };
      const kept = await addCode(owner, DELAY_SECONDS, 'kept');
      const refused = await addCode(owner, DELAY_SECONDS, 'refused');
      assert.deepEqual((await listOf(owner)).map((c) => [c.id, c.description, c.activation_date, c.activation_delay]), [
        [kept.id, 'kept', null, DELAY_SECONDS],
        [refused.id, 'refused', null, DELAY_SECONDS],
      ]);

      // Both are asked for: the waiting period starts now, for each.
      assert.deepEqual(await arm(owner.username, kept), { status: 200, body: { status: 'started', remaining_wait_time: DELAY_SECONDS } });
      assert.deepEqual(await arm(owner.username, refused), { status: 200, body: { status: 'started', remaining_wait_time: DELAY_SECONDS } });
      const polled = await arm(owner.username, kept);
      assert.equal(polled.body?.status, 'waiting', 'asking again does not restart or skip the period');
      assert.ok(Number(polled.body?.remaining_wait_time) >= 1 && Number(polled.body?.remaining_wait_time) <= DELAY_SECONDS);
      assert.equal(Object.keys(polled.body ?? {}).length, 2, 'no data and no verifier while waiting');
      // The owner sees both armed, and refuses one.
      assert.ok((await listOf(owner)).every((c) => c.activation_date !== null));
      assert.deepEqual(await owner.request('DELETE', '/emergencycode/', { emergency_code_id: refused.id }).then((r) => [r.status, r.body]), [200, {}]);
      // No second step inside the period: there is no verifier yet.
      const early = await logIn(owner.username, kept, { verifier_public_key: toHex(boxKeyPair().publicKey), emergency_data: kept.data, emergency_data_nonce: kept.dataNonce, emergency_sauce: kept.sauce } as ReadyAnswer);
      assert.deepEqual(early.res, { status: 400, body: { non_field_errors: ['VALIDATOR_EXPIRED'] } });

      await sleep(DELAY_SECONDS * 1000 + 150);

      // The refused code opens nothing, ever; the kept one is ready.
      const gone = { status: 400, body: { non_field_errors: ['USERNAME_OR_EMERGENCY_CODE_INCORRECT'] } };
      assert.deepEqual(await arm(owner.username, refused), gone, 'the refused code');
      const ready = await arm(owner.username, kept);
      assert.equal(ready.status, 200);
      const answer = ready.body as unknown as ReadyAnswer;
      assert.equal(answer.status, 'ready');
      assert.equal(answer.remaining_wait_time, 0);
      assert.equal(answer.verifier_time_valid, 600);
      assert.equal(answer.user_sauce, owner.userSauce);

      const { res, keys, opened, fingerprint } = await logIn(owner.username, kept, answer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(keys, keysOf(owner), 'the emergency data holds the owner\'s keys');
      assert.ok(opened, 'the login info opens with the server public key of /info/');
      assert.equal(opened.user_id, owner.userId);
      assert.equal(opened.user_public_key, owner.userPublicKey);
      assert.equal(opened.user_email, owner.email);
      // The session is active at once and reaches the owner's vault.
      const emergency = sessionFrom(opened, fingerprint, owner);
      assert.equal((await emergency.request('GET', `/datastore/${datastore_id}/`)).status, 200);
      assert.equal((await owner.request('GET', '/datastore/')).status, 200, 'the owner keeps their session');
      // The verifier was used; the code stays for a later login, with no new wait.
      assert.deepEqual((await logIn(owner.username, kept, answer)).res, { status: 400, body: { non_field_errors: ['VALIDATOR_EXPIRED'] } });
      assert.equal((await arm(owner.username, kept)).body?.status, 'ready');
    });

    test('a code deleted after its data was fetched opens no session; without the deletion it does', async () => {
      const owner = await person('late');
      const doomed = await addCode(owner, 0);
      const control = await addCode(owner, 0);
      const doomedReady = (await arm(owner.username, doomed)).body as unknown as ReadyAnswer;
      const controlReady = (await arm(owner.username, control)).body as unknown as ReadyAnswer;
      assert.equal(doomedReady.status, 'ready', 'a delay of 0 is ready at once');
      assert.equal((await owner.request('DELETE', '/emergencycode/', { emergency_code_id: doomed.id })).status, 200);
      assert.deepEqual((await logIn(owner.username, doomed, doomedReady)).res, { status: 400, body: { non_field_errors: ['USERNAME_OR_EMERGENCY_CODE_INCORRECT'] } });
      const ok = await logIn(owner.username, control, controlReady);
      assert.equal(ok.res.status, 200, 'control');
    });

    test('the second step needs the owner\'s private key: a box from another key is VALIDATOR_FAILED and uses nothing up', async () => {
      const owner = await person('boxed');
      const code = await addCode(owner, 0);
      const ready = (await arm(owner.username, code)).body as unknown as ReadyAnswer;
      assert.deepEqual((await logIn(owner.username, code, ready, toHex(boxKeyPair().secretKey))).res, { status: 400, body: { non_field_errors: ['VALIDATOR_FAILED'] } });
      const notJson = boxToVerifier('just a string', ready.verifier_public_key, keysOf(owner).userPrivateKey);
      assert.deepEqual(await anonymous('PUT', '/emergency-login/', { username: owner.username, emergency_authkey: code.authkey, ...notJson }), { status: 400, body: { non_field_errors: ['VALIDATOR_FAILED'] } });
      const other = await makeCode(owner.username, keysOf(owner));
      assert.deepEqual((await logIn(owner.username, other, ready, keysOf(owner).userPrivateKey)).res, { status: 400, body: { non_field_errors: ['USERNAME_OR_EMERGENCY_CODE_INCORRECT'] } }, 'a code the owner never set');
      assert.equal((await logIn(owner.username, code, ready)).res.status, 200, 'control: the rightful box');
    });

    test('only the owner lists and deletes their codes', async () => {
      const owner = await person('lister');
      const stranger = await person('stranger');
      const code = await addCode(owner, 3600);
      assert.deepEqual(await listOf(stranger), [], 'another user lists only their own');
      assert.deepEqual(await stranger.request('DELETE', '/emergencycode/', { emergency_code_id: code.id }).then((r) => [r.status, r.body]), [400, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] }]);
      assert.deepEqual(await owner.request('DELETE', '/emergencycode/', { emergency_code_id: randomUUID() }).then((r) => [r.status, r.body]), [400, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] }], 'no such code');
      assert.equal((await listOf(owner)).length, 1, 'the refused deletions deleted nothing');
      assert.deepEqual(await owner.request('DELETE', '/emergencycode/', { emergency_code_id: code.id.toUpperCase() }).then((r) => [r.status, r.body]), [200, {}], 'control: the owner');
      assert.deepEqual(await listOf(owner), []);

      const ask = randomBytes(32);
      const created = await owner.request('PUT', '/api-key/', {
        title: 'k', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: true, restrict_to_secrets: false,
      });
      const { session: keySession } = await loginWithApiKey(client, { apiKeyId: (created.body as { api_key_id: string }).api_key_id, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) });
      assert.equal((await keySession.request('GET', '/emergencycode/')).status, 403, 'an API key does not manage emergency codes');
      assert.equal((await anonymous('GET', '/emergencycode/')).status, 401);
    });

    // Driven in the official web client (psono-client 252e7dd1, Chromium) against this server with a 9-second
    // lead time (0.0025 h: the client takes any number of hours ≥ 0): account settings → Emergency Codes
    // (GET/POST /emergencycode/), emergency-code.html (POST /emergency-login/ "started", then "waiting"),
    // the owner deletes a second armed code (DELETE /emergencycode/; that person then gets
    // USERNAME_OR_EMERGENCY_CODE_INCORRECT), and after the delay POST "ready" and PUT /emergency-login/ open the
    // owner's vault with the old entry.
    test('/info/ shows the web client its emergency-code screens (compliance_disable_emergency_codes is false)', async () => {
      const { info } = await client.info();
      assert.equal(info.compliance_disable_emergency_codes, false);
    });

    test('the waiting period is counted from the first request on the server and shrinks with real time', async () => {
      const owner = await person('timer');
      const code = await addCode(owner, 3);
      assert.equal((await arm(owner.username, code)).body?.remaining_wait_time, 3);
      const [stored] = await listOf(owner);
      await sleep(1100);
      const later = await arm(owner.username, code);
      assert.equal(later.body?.status, 'waiting');
      // 3 s less the 1.1 s slept and the requests' own time, rounded up: 2, or 1 on a slow machine.
      assert.ok([1, 2].includes(Number(later.body?.remaining_wait_time)), JSON.stringify(later.body));
      const [again] = await listOf(owner);
      assert.equal(again?.activation_date, stored?.activation_date, 'a later request does not move the start');
    });

    test('at most 16 codes per user; hostile bodies get 4xx JSON and store nothing', async () => {
      const owner = await person('many');
      const code = await makeCode(owner.username, keysOf(owner));
      const good = { description: 'x', activation_delay: 60, emergency_authkey: code.authkey, emergency_data: code.data, emergency_data_nonce: code.dataNonce, emergency_sauce: code.sauce };
      const cases: Array<[Record<string, unknown>, string, string?]> = [
        [{ ...good, activation_delay: -1 }, 'activation_delay', 'Ensure this value is greater than or equal to 0.'],
        [{ ...good, activation_delay: 2_147_483_648 }, 'activation_delay', 'Ensure this value is less than or equal to 2147483647.'],
        [{ ...good, activation_delay: 1.5 }, 'activation_delay'],
        [{ ...good, activation_delay: 'soon' }, 'activation_delay'],
        [{ ...good, description: 'd'.repeat(257) }, 'description'],
        [{ ...good, description: undefined }, 'description'],
        [{ ...good, emergency_data: 'zz'.repeat(40) }, 'emergency_data', 'NO_VALID_HEX'],
        [{ ...good, emergency_data_nonce: nonce().slice(2) }, 'emergency_data_nonce'],
        [{ ...good, emergency_sauce: 'ab' }, 'emergency_sauce'],
        [{ ...good, emergency_authkey: '' }, 'emergency_authkey'],
      ];
      for (const [body, field, message] of cases) {
        const res = await owner.request('POST', '/emergencycode/', body);
        assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
        const errors = (res.body as Record<string, string[]>)[field];
        assert.ok(errors, `${field} is named: ${JSON.stringify(res.body)}`);
        if (message) assert.deepEqual(errors, [message]);
      }
      assert.deepEqual(await listOf(owner), [], 'nothing stored');
      for (const body of [{}, { emergency_code_id: 'nope' }, { emergency_code_id: 7 }]) assert.equal((await owner.request('DELETE', '/emergencycode/', body)).status, 400);
      for (const [method, body] of [['POST', {}], ['POST', { username: owner.username }], ['PUT', { username: owner.username, emergency_authkey: code.authkey }], ['PUT', { username: owner.username, emergency_authkey: code.authkey, update_data: 'q', update_data_nonce: nonce() }]] as const) {
        const res = await anonymous(method, '/emergency-login/', body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
      }
      for (const method of ['GET', 'DELETE'] as const) assert.equal((await anonymous(method, '/emergency-login/')).status, 405);
      assert.equal((await owner.request('PUT', '/emergencycode/', {})).status, 405);

      for (let i = 0; i < 16; i++) assert.equal((await owner.request('POST', '/emergencycode/', { ...good, description: `code ${i}` })).status, 201);
      assert.deepEqual(await owner.request('POST', '/emergencycode/', good).then((r) => [r.status, r.body]), [400, { non_field_errors: ['TOO_MANY_EMERGENCY_CODES'] }]);
      assert.equal((await listOf(owner)).length, 16);
      const first = (await listOf(owner))[0]?.id;
      assert.equal((await owner.request('DELETE', '/emergencycode/', { emergency_code_id: first })).status, 200);
      assert.equal((await owner.request('POST', '/emergencycode/', good)).status, 201, 'control: room again after a deletion');
    });
  });
}
