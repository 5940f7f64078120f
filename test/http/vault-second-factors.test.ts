import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, VaultClientError, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { hotp, totpStep } from '../../src/crypto/node/totp.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { fromBase32, softwareAuthenticator } from '../helpers/second-factors.js';
import { BACKENDS } from '../helpers/stores.js';

// Two-factor login (docs/vault-protocol.md §3.15) on both backends, the test acting as the web client: TOTP enrolled
// with a code computed here, WebAuthn with a software authenticator made here (ECDSA P-256, attestation 'none',
// assertions signed by hand). Every refusal beside the rightful caller's success.

const PASSWORD = 'two factor passphrase';
const ORIGIN = 'https://vault.example.test';
const RP_ID = 'vault.example.test';
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

type Answer = { status: number; body: unknown };
const codeOf = (answer: Answer) => (answer.body as { non_field_errors?: string[] }).non_field_errors?.[0];

for (const backend of BACKENDS) {
  describe(`two-factor login (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let offsetMs = 0;
    const advance = (ms: number) => {
      offsetMs += ms;
      t.advance(ms);
    };
    const codeAt = (secret: Uint8Array, stepsFromNow = 0) => hotp(secret, totpStep(new Date(Date.now() + offsetMs)) + stepsFromNow);

    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      return client.login({ username, password: PASSWORD, sendDeviceTime: false });
    };
    /** A login whose factor step is run by `solve`; answers the activated session and what the login required. */
    const loginWith = async (username: string, solve: (pending: VaultSession) => Promise<void>) => {
      let required: string[] = [];
      const session = await client.login({
        username, password: PASSWORD, sendDeviceTime: false,
        secondFactor: async (pending, names) => {
          required = names;
          await solve(pending);
        },
      });
      return { session, required };
    };
    const enrolTotp = async (session: VaultSession) => {
      const created = await session.request('PUT', '/user/ga/', { title: 'phone' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id, secret } = created.body as { id: string; secret: string };
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const bytes = fromBase32(secret);
      assert.equal(bytes.length, 20);
      return { id, secret: bytes };
    };

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_SECOND_FACTOR: '1000/minute', VAULT_CORS_ORIGINS: ORIGIN });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('TOTP: enrolment needs a right code; then login requires it, a wrong one is refused, the right one lets the session in', async () => {
      const alice = await person('alice');
      const { id, secret } = await enrolTotp(alice);
      assert.deepEqual((await alice.request('GET', '/user/ga/')).body, { google_authenticators: [{ id, title: 'phone', active: false }] });
      const other = secret.map((b) => b ^ 0xff);
      const wrong = await alice.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(other) });
      assert.deepEqual([wrong.status, codeOf(wrong)], [400, 'GA_TOKEN_INCORRECT']);
      assert.equal((await loginWith(alice.username, async () => assert.fail('an inactive factor is not asked for'))).required.length, 0);
      const right = await alice.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(secret) });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.deepEqual((await alice.request('GET', '/user/ga/')).body, { google_authenticators: [{ id, title: 'phone', active: true }] });

      advance(30_000);
      const { session, required } = await loginWith(alice.username, async (pending) => {
        // Not solved yet: the session is not active, so it reads nothing and cannot be activated.
        assert.equal((await pending.request('GET', '/datastore/')).status, 401);
        const early = await pending.request('POST', '/authentication/activate-token/', { verification: ct(48), verification_nonce: nonce() });
        assert.deepEqual([early.status, codeOf(early)], [400, 'GA_CHALLENGE_UNSOLVED']);
        const bad = await pending.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(other) });
        assert.deepEqual([bad.status, codeOf(bad)], [400, 'GA_TOKEN_INCORRECT']);
        const letters = await pending.request('POST', '/authentication/ga-verify/', { ga_token: '12a456' });
        assert.deepEqual([letters.status, codeOf(letters)], [400, 'GA_TOKENS_ONLY_CONTAIN_DIGITS']);
        const good = await pending.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(secret) });
        assert.equal(good.status, 200, JSON.stringify(good.body));
      });
      assert.deepEqual(required, ['google_authenticator_2fa']);
      assert.equal((await session.request('GET', '/datastore/')).status, 200, 'control: the solved, activated session reads');
    });

    test('TOTP: a login without the code is never activated', async () => {
      const bea = await person('bea');
      const { id, secret } = await enrolTotp(bea);
      assert.equal((await bea.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(secret) })).status, 200);
      await assert.rejects(
        client.login({ username: bea.username, password: PASSWORD, sendDeviceTime: false }),
        (error: unknown) => error instanceof VaultClientError && error.status === 400 && JSON.stringify(error.body).includes('GA_CHALLENGE_UNSOLVED'),
      );
    });

    test('TOTP replay guard: a code serves once, also across logins; the next step\'s code works', async () => {
      const cat = await person('cat');
      const { id, secret } = await enrolTotp(cat);
      advance(30_000);
      const used = codeAt(secret);
      assert.equal((await cat.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: used })).status, 200);
      await loginWith(cat.username, async (pending) => {
        const replayed = await pending.request('POST', '/authentication/ga-verify/', { ga_token: used });
        assert.deepEqual([replayed.status, codeOf(replayed)], [400, 'GA_TOKEN_INCORRECT'], 'the code used at enrolment');
        advance(30_000);
        const fresh = codeAt(secret);
        assert.equal((await pending.request('POST', '/authentication/ga-verify/', { ga_token: fresh })).status, 200);
        // The same fresh code for a second login, at once: refused.
        const second = await client.login({
          username: cat.username, password: PASSWORD, sendDeviceTime: false,
          secondFactor: async (other) => {
            const again = await other.request('POST', '/authentication/ga-verify/', { ga_token: fresh });
            assert.deepEqual([again.status, codeOf(again)], [400, 'GA_TOKEN_INCORRECT']);
            advance(30_000);
            assert.equal((await other.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(secret) })).status, 200, 'control: the next code');
          },
        });
        assert.equal((await second.request('GET', '/datastore/')).status, 200);
      });
    });

    test('TOTP removal: only the owner removes a factor, API keys and other users are refused; then login asks for nothing', async () => {
      const dan = await person('dan');
      const eve = await person('eve');
      const { id, secret } = await enrolTotp(dan);
      advance(30_000);
      assert.equal((await dan.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(secret) })).status, 200);
      const byEve = await eve.request('DELETE', '/user/ga/', { google_authenticator_id: id });
      assert.deepEqual([byEve.status, codeOf(byEve)], [400, 'NO_PERMISSION_OR_NOT_EXIST']);
      assert.deepEqual((await eve.request('GET', '/user/ga/')).body, { google_authenticators: [] });
      const ask = randomBytes(32);
      const key = await dan.request('PUT', '/api-key/', {
        title: 'k', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: true, restrict_to_secrets: false,
      });
      const { session: keySession } = await loginWithApiKey(client, { apiKeyId: (key.body as { api_key_id: string }).api_key_id, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) });
      assert.equal((await keySession.request('DELETE', '/user/ga/', { google_authenticator_id: id })).status, 403);
      assert.equal((await keySession.request('GET', '/user/ga/')).status, 403);
      const unauthenticated = await t.app.inject({ method: 'DELETE', url: '/server/user/ga/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ google_authenticator_id: id }) });
      assert.equal(unauthenticated.statusCode, 401);
      advance(30_000);
      assert.deepEqual((await loginWith(dan.username, async (p) => void (await p.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(secret) })))).required, ['google_authenticator_2fa'], 'still enrolled');
      assert.equal((await dan.request('DELETE', '/user/ga/', { google_authenticator_id: id })).status, 200, 'control: the owner');
      assert.equal((await loginWith(dan.username, async () => assert.fail('no factor left'))).required.length, 0);
    });

    test('WebAuthn with a software authenticator: enrolment, login requires the assertion, a replayed counter is refused', async () => {
      const fay = await person('fay');
      const key = softwareAuthenticator(ORIGIN, RP_ID);
      const elsewhere = await fay.request('PUT', '/user/webauthn/', { title: 'key', origin: 'https://evil.example' });
      assert.deepEqual([elsewhere.status, codeOf(elsewhere)], [400, 'PROTOCOL_NOT_SUPPORTED']);
      const started = await fay.request('PUT', '/user/webauthn/', { title: 'key', origin: ORIGIN });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const { id, options } = started.body as { id: string; options: { challenge: string; rp: { id: string } } };
      assert.equal(options.rp.id, RP_ID);
      const forged = await fay.request('POST', '/user/webauthn/', { webauthn_id: id, credential: key.register(options.challenge, RP_ID, 'https://evil.example') });
      assert.deepEqual([forged.status, codeOf(forged)], [400, 'NO_PERMISSION_OR_NOT_EXIST'], 'another origin in clientDataJSON');
      // The refused attempt used the challenge up: a new enrolment starts over.
      const again = await fay.request('PUT', '/user/webauthn/', { title: 'key', origin: ORIGIN });
      const second = again.body as { id: string; options: { challenge: string } };
      const enrolled = await fay.request('POST', '/user/webauthn/', { webauthn_id: second.id, credential: key.register(second.options.challenge) });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
      const listed = (await fay.request('GET', '/user/webauthn/')).body as { webauthns: Array<{ id: string; active: boolean }> };
      assert.deepEqual(listed.webauthns.map((w) => [w.id, w.active]), [[id, false], [second.id, true]]);

      let counter = 0;
      const { session, required } = await loginWith(fay.username, async (pending) => {
        assert.equal((await pending.request('GET', '/datastore/')).status, 401, 'unsolved: no datastore');
        const early = await pending.request('POST', '/authentication/activate-token/', { verification: ct(48), verification_nonce: nonce() });
        assert.deepEqual([early.status, codeOf(early)], [400, 'WEBAUTHN_CHALLENGE_UNSOLVED']);
        const challenge = await pending.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN });
        assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
        const opts = (challenge.body as { options: { challenge: string; allowCredentials: Array<{ id: string }> } }).options;
        assert.deepEqual(opts.allowCredentials.map((c) => c.id), [b64url(key.credentialId)]);
        const wrongChallenge = await pending.request('POST', '/authentication/webauthn-verify/', { credential: key.assert(`${opts.challenge}x`, 1) });
        assert.equal(wrongChallenge.status, 400, 'a signature over another challenge');
        const fresh = ((await pending.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN })).body as { options: { challenge: string } }).options.challenge;
        counter = 1;
        const ok = await pending.request('POST', '/authentication/webauthn-verify/', { credential: key.assert(fresh, counter) });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
      });
      assert.deepEqual(required, ['webauthn_2fa']);
      assert.equal((await session.request('GET', '/datastore/')).status, 200, 'control: solved and activated');

      await assert.rejects(
        client.login({
          username: fay.username, password: PASSWORD, sendDeviceTime: false,
          secondFactor: async (pending) => {
            const c = ((await pending.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN })).body as { options: { challenge: string } }).options.challenge;
            const cloned = await pending.request('POST', '/authentication/webauthn-verify/', { credential: key.assert(c, counter) });
            assert.deepEqual([cloned.status, codeOf(cloned)], [400, 'NO_PERMISSION_OR_NOT_EXIST'], 'a counter that did not grow');
          },
        }),
        (error: unknown) => error instanceof VaultClientError && JSON.stringify(error.body).includes('WEBAUTHN_CHALLENGE_UNSOLVED'),
      );
      const next = await loginWith(fay.username, async (pending) => {
        const c = ((await pending.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN })).body as { options: { challenge: string } }).options.challenge;
        assert.equal((await pending.request('POST', '/authentication/webauthn-verify/', { credential: key.assert(c, counter + 1) })).status, 200, 'control: the next counter');
      });
      assert.equal((await next.session.request('GET', '/datastore/')).status, 200);
      assert.equal((await fay.request('DELETE', '/user/webauthn/', { webauthn_id: second.id })).status, 200);
      assert.equal((await loginWith(fay.username, async () => assert.fail('no factor left'))).required.length, 0);
    });

    test('throttle: checks of codes are counted per user, across that user\'s logins', async () => {
      const gil = await person('gil');
      const { id, secret } = await enrolTotp(gil);
      const body = { google_authenticator_id: id, google_authenticator_token: '000000' };
      // The suite's rate is high; count against it with a user of its own and a low rate in a second app.
      const limited = await openTestApp(backend, { VAULT_THROTTLE_SECOND_FACTOR: '3/minute' });
      try {
        const c = new VaultClient(injectTransport(limited.app));
        const username = `hal-${randomBytes(4).toString('hex')}@example.com`;
        await c.register(username, `hal-${randomBytes(4).toString('hex')}@mail.example.com`, PASSWORD);
        const hal = await c.login({ username, password: PASSWORD, sendDeviceTime: false });
        const created = (await hal.request('PUT', '/user/ga/', { title: 't' })).body as { id: string; secret: string };
        const halSecret = fromBase32(created.secret);
        const statuses: number[] = [];
        for (let i = 0; i < 3; i += 1) statuses.push((await hal.request('POST', '/user/ga/', { google_authenticator_id: created.id, google_authenticator_token: '000000' })).status);
        assert.ok(statuses.every((s) => s === 400), String(statuses));
        const over = await hal.request('POST', '/user/ga/', { google_authenticator_id: created.id, google_authenticator_token: hotp(halSecret, totpStep(new Date())) });
        assert.equal(over.status, 429, 'even the right code, once the user is over the rate');
        const otherLogin = await c.login({ username, password: PASSWORD, sendDeviceTime: false });
        assert.equal((await otherLogin.request('POST', '/user/ga/', { google_authenticator_id: created.id, google_authenticator_token: '000000' })).status, 429, 'a new session does not reset it');
        limited.advance(121_000); // two windows: the sliding estimate forgets the earlier hits
        assert.equal((await otherLogin.request('POST', '/user/ga/', { google_authenticator_id: created.id, google_authenticator_token: hotp(halSecret, totpStep(new Date(Date.now() + 121_000))) })).status, 200, 'control: after the window');
      } finally {
        await limited.close();
      }
      assert.equal((await gil.request('POST', '/user/ga/', body)).status, 400, 'control: the suite\'s own rate is not exhausted');
      assert.equal((await gil.request('POST', '/user/ga/', { ...body, google_authenticator_token: codeAt(secret) })).status, 200);
    });

    test('login checks answer only the login\'s own unactivated session; enrolment checks only the owner', async () => {
      const jo = await person('jo');
      const kay = await person('kay');
      const { id, secret } = await enrolTotp(jo);
      advance(30_000);
      const byKay = await kay.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(secret) });
      assert.deepEqual([byKay.status, codeOf(byKay)], [400, 'NO_PERMISSION_OR_NOT_EXIST'], 'another user cannot activate it');
      assert.equal((await jo.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(secret) })).status, 200, 'control: the owner');
      advance(30_000);
      const active = await jo.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(secret) });
      assert.deepEqual([active.status, codeOf(active)], [400, 'TOKEN_INCORRECT'], 'an activated session solves nothing');
      const challengeActive = await jo.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN });
      assert.deepEqual([challengeActive.status, codeOf(challengeActive)], [400, 'TOKEN_INCORRECT']);
      const anonymous = await t.app.inject({ method: 'POST', url: '/server/authentication/ga-verify/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ga_token: codeAt(secret) }) });
      assert.equal(anonymous.statusCode, 401);
      const noFactor = await loginWith(kay.username, async () => assert.fail('kay has no factor'));
      assert.equal((await noFactor.session.request('GET', '/datastore/')).status, 200);
      const { session } = await loginWith(jo.username, async (pending) => {
        assert.equal((await pending.request('POST', '/authentication/ga-verify/', { ga_token: codeAt(secret) })).status, 200, 'control: the pending login');
      });
      assert.equal((await session.request('GET', '/datastore/')).status, 200);
    });

    test('hostile bodies get 4xx JSON, never a 5xx', async () => {
      const ivy = await person('ivy');
      const bodies: unknown[] = [{}, { title: 'x'.repeat(300) }, { google_authenticator_id: 'nope' }, { ga_token: 1234567 }, { credential: '{' }, { credential: 'x'.repeat(20_000) }, { webauthn_id: ct(16), credential: '{"type":"public-key","response":{}}' }, { origin: 'javascript:alert(1)' }, [], 'text', null];
      for (const path of ['/user/ga/', '/user/webauthn/']) {
        for (const method of ['PUT', 'POST', 'DELETE'] as const) {
          for (const body of bodies) {
            const res = await ivy.request(method, path, body);
            assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body).slice(0, 40)} → ${res.status}`);
          }
        }
      }
    });
  });
}
