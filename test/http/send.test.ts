import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { toBase64, toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { SEND_KEY_BYTES } from '../../src/crypto/send-key.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';

// The /server/send/ routes (docs/send.md) on both backends: who may do what (sender, recipient, a third user, a
// logged-out caller, an API key), each refusal beside the rightful caller's success; hostile bodies; expiry and
// sweeping; a claimed file leaves the /f/ routes and its manage link.

const PASSWORD = 'send passphrase';
const boxedKey = () => toBase64(randomBytes(SEND_KEY_BYTES));
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64');

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`send routes (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let alice: VaultSession;
    let bob: VaultSession;
    let carol: VaultSession;
    let aliceKey: VaultSession;

    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      return client.login({ username, password: PASSWORD, sendDeviceTime: false });
    };

    /** A finished v2 upload through /uploads: its id and owner token. */
    const upload = async (bytes = 1000, expiresIn?: number) => {
      const metadata = [`format ${b64('v2')}`, ...(expiresIn ? [`expires_in ${b64(String(expiresIn))}`] : [])].join(',');
      const created = await t.app.inject({ method: 'POST', url: '/uploads', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(bytes), 'upload-metadata': metadata } });
      assert.equal(created.statusCode, 201, created.body);
      const answer = created.json() as { id: string; upload_token: string; owner_token: string };
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/uploads/${answer.id}`,
        headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', authorization: `Bearer ${answer.upload_token}` },
        payload: randomBytes(bytes),
      });
      assert.equal(patched.statusCode, 204, patched.body);
      return { id: answer.id, ownerToken: answer.owner_token };
    };
    const send = async (from: VaultSession, to: VaultSession, file?: { id: string; ownerToken: string }) => {
      const f = file ?? (await upload());
      const res = await from.request('POST', '/send/', { file_id: f.id, owner_token: f.ownerToken, recipient_id: to.userId, boxed_key: boxedKey() });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return (res.body as { id: string }).id;
    };
    const anonymous = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
      t.app.inject({ method, url: `/server${url}`, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
    const content = (session: VaultSession, id: string) =>
      t.app.inject({ method: 'GET', url: `/server/send/${id}/content/`, headers: { authorization: `Token ${session.token.reveal()}`, ...(session.validatorRequired ? { 'authorization-validator': session.validatorHeader() } : {}) } });

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_REGISTRATION: '1000/minute', VAULT_THROTTLE_API_KEY_LOGIN: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
      [alice, bob, carol] = [await person('alice'), await person('bob'), await person('carol')];
      const seed = randomBytes(32);
      const created = await alice.request('PUT', '/api-key/', {
        title: 'send', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(seed).publicKey), read: true, write: true, restrict_to_secrets: false,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const apiKeyId = (created.body as { api_key_id: string }).api_key_id;
      aliceKey = (await loginWithApiKey(client, { apiKeyId, privateKeyHex: toHex(seed), secretKeyHex: toHex(randomBytes(32)) })).session;
    });
    after(async () => t?.close());

    test('the recipient lists, reads and fetches; the sender lists as sent; a third user sees nothing', async () => {
      const file = await upload(4321);
      const id = await send(alice, bob, file);
      assert.equal(id, file.id);
      const inbox = (await bob.request('GET', '/send/inbox/')).body as { sends: Array<Record<string, unknown>> };
      const row = inbox.sends.find((s) => s.id === id);
      assert.deepEqual(Object.keys(row ?? {}).sort(), ['created_at', 'expires_at', 'id', 'sender_id', 'sender_public_key', 'sender_username', 'size_bytes']);
      assert.equal(row?.sender_id, alice.userId);
      assert.equal(row?.sender_public_key, alice.userPublicKey);
      assert.equal(row?.size_bytes, 4321);
      const sent = (await alice.request('GET', '/send/sent/')).body as { sends: Array<Record<string, unknown>> };
      assert.equal(sent.sends.find((s) => s.id === id)?.recipient_id, bob.userId);
      assert.deepEqual((await carol.request('GET', '/send/inbox/')).body, { sends: [] });
      assert.deepEqual((await carol.request('GET', '/send/sent/')).body, { sends: [] });
      assert.ok(!((await alice.request('GET', '/send/inbox/')).body as { sends: Array<{ id: string }> }).sends.some((s) => s.id === id), "not in the sender's inbox");

      const read = await bob.request('GET', `/send/${id}/`);
      assert.equal(read.status, 200);
      assert.equal((read.body as { recipient_id: string }).recipient_id, bob.userId);
      const body = await content(bob, id);
      assert.equal(body.statusCode, 200);
      assert.equal(body.rawPayload.length, 4321);
      assert.equal(body.headers['content-type'], 'application/octet-stream');

      for (const [who, label] of [[carol, 'third user'], [alice, 'sender']] as const) {
        const refused = await who.request('GET', `/send/${id}/`);
        assert.equal(refused.status, 403, label);
        assert.deepEqual(refused.body, { message: 'NO_PERMISSION_OR_NOT_EXIST' });
        assert.equal((await content(who, id)).statusCode, 403, label);
      }
      // Not yours and does not exist answer alike.
      assert.deepEqual((await carol.request('GET', `/send/${randomUUID()}/`)).body, { message: 'NO_PERMISSION_OR_NOT_EXIST' });
    });

    test('a logged-out caller and an API key are refused on every send route; the person is not (control)', async () => {
      const id = await send(alice, bob);
      for (const [method, url] of [['GET', '/send/inbox/'], ['GET', '/send/sent/'], ['GET', `/send/${id}/`], ['GET', `/send/${id}/content/`], ['DELETE', '/send/'], ['POST', '/send/']] as const) {
        assert.equal((await anonymous(method, url, method === 'GET' ? undefined : {})).statusCode, 401, `${method} ${url} logged out`);
      }
      const file = await upload();
      const byKey = await aliceKey.request('POST', '/send/', { file_id: file.id, owner_token: file.ownerToken, recipient_id: bob.userId, boxed_key: boxedKey() });
      assert.equal(byKey.status, 403);
      assert.equal((await aliceKey.request('GET', '/send/sent/')).status, 403);
      assert.equal((await aliceKey.request('DELETE', '/send/', { id })).status, 403);
      // Control: the same file, sent by the person.
      await send(alice, bob, file);
      assert.equal((await alice.request('GET', '/send/sent/')).status, 200);
    });

    test('only the sender revokes; a revoked send is never served again and is swept', async () => {
      const id = await send(alice, bob);
      assert.equal((await bob.request('DELETE', '/send/', { id })).status, 403, 'the recipient does not revoke');
      assert.equal((await carol.request('DELETE', '/send/', { id })).status, 403, 'a third user does not');
      assert.equal((await alice.request('DELETE', '/send/', { id })).status, 200);
      assert.equal((await bob.request('GET', `/send/${id}/`)).status, 403);
      assert.equal((await content(bob, id)).statusCode, 403);
      assert.equal((await alice.request('DELETE', '/send/', { id })).status, 403, 'twice');
      await t.files.sweep();
      assert.equal(await t.stores.blobs.get(id), undefined, 'the blob is gone');
    });

    test('a send expires with its file and is swept; until then it is served (control)', async () => {
      const id = await send(alice, bob, await upload(100, 120));
      assert.equal((await content(bob, id)).statusCode, 200);
      t.advance(121_000);
      try {
        assert.equal((await bob.request('GET', `/send/${id}/`)).status, 403);
        assert.ok(!((await bob.request('GET', '/send/inbox/')).body as { sends: Array<{ id: string }> }).sends.some((s) => s.id === id));
        await t.files.sweep();
        assert.equal(await t.stores.blobs.get(id), undefined);
      } finally {
        t.advance(-121_000);
      }
    });

    test('claiming a file: right owner token, once, v2 and finished only; the file leaves /f/ and its manage link', async () => {
      const file = await upload();
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${file.id}/encrypted` })).statusCode, 200, 'before: an ordinary file');
      const wrong = await alice.request('POST', '/send/', { file_id: file.id, owner_token: 'A'.repeat(43), recipient_id: bob.userId, boxed_key: boxedKey() });
      assert.deepEqual([wrong.status, wrong.body], [400, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] }]);
      const unknownUser = await alice.request('POST', '/send/', { file_id: file.id, owner_token: file.ownerToken, recipient_id: randomUUID(), boxed_key: boxedKey() });
      assert.deepEqual([unknownUser.status, unknownUser.body], [400, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] }]);
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${file.id}/encrypted` })).statusCode, 200, 'refusals changed nothing');
      await send(alice, bob, file);
      const again = await alice.request('POST', '/send/', { file_id: file.id, owner_token: file.ownerToken, recipient_id: carol.userId, boxed_key: boxedKey() });
      assert.equal(again.status, 400, 'a file is sent once');
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${file.id}/encrypted` })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: `/f/${file.id}/manage`, headers: { authorization: `Bearer ${file.ownerToken}` } })).statusCode >= 400, true);
      // An unfinished upload cannot be claimed.
      const created = await t.app.inject({ method: 'POST', url: '/uploads', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
      const partial = created.json() as { id: string; owner_token: string };
      assert.equal((await alice.request('POST', '/send/', { file_id: partial.id, owner_token: partial.owner_token, recipient_id: bob.userId, boxed_key: boxedKey() })).status, 400);
    });

    test('hostile bodies are 400 field errors, never a 5xx, and store nothing', async () => {
      const file = await upload();
      const good = { file_id: file.id, owner_token: file.ownerToken, recipient_id: bob.userId, boxed_key: boxedKey() };
      const bad: Array<[string, unknown]> = [
        ['not an object', [1, 2]],
        ['no boxed key', { ...good, boxed_key: undefined }],
        ['boxed key one byte short', { ...good, boxed_key: toBase64(randomBytes(SEND_KEY_BYTES - 1)) }],
        ['boxed key not base64', { ...good, boxed_key: '!'.repeat(172) }],
        ['boxed key far too long', { ...good, boxed_key: 'A'.repeat(100_000) }],
        ['file id not a UUID', { ...good, file_id: '../../etc/passwd' }],
        ['recipient as an object', { ...good, recipient_id: { $ne: null } }],
        ['owner token too long', { ...good, owner_token: 'A'.repeat(5000) }],
        ['owner token with a NUL', { ...good, owner_token: `${'A'.repeat(42)}\u0000` }],
      ];
      for (const [label, body] of bad) {
        const res = await alice.request('POST', '/send/', body);
        assert.equal(res.status, 400, `${label}: ${JSON.stringify(res.body)}`);
      }
      for (const id of ['x', "1' or '1'='1"]) assert.equal((await bob.request('GET', `/send/${encodeURIComponent(id)}/`)).status, 403, id);
      // Past the router's parameter length the path matches no route: still a 4xx.
      const long = (await bob.request('GET', `/send/${'A'.repeat(120)}/`)).status;
      assert.ok(long >= 400 && long < 500, String(long));
      assert.equal((await alice.request('DELETE', '/send/', { id: 'nope' })).status, 400);
      assert.ok(!((await bob.request('GET', '/send/inbox/')).body as { sends: Array<{ id: string }> }).sends.some((s) => s.id === file.id));
      // Control: the same body, well formed, is accepted.
      assert.equal((await alice.request('POST', '/send/', good)).status, 201);
    });
  });
}
