import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loginWithApiKey, VaultClient, VaultClientError, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signDetached, signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';

const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'objects passphrase';

describe('vault objects: rules beyond who may do what', () => {
  let t: TestApp;
  let client: VaultClient;
  let alice: VaultSession;
  let bob: VaultSession;
  let datastoreId: string;
  const person = async (who: string) => {
    const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
    await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
    return client.login({ username, password: PASSWORD, sendDeviceTime: false });
  };
  const body = <T>(res: { status: number; body: unknown }, status: number): T => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    return res.body as T;
  };
  const share = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }) =>
    body<{ share_id: string }>(await owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), ...parent }), 201).share_id;
  const grant = async (owner: VaultSession, shareId: string, to: VaultSession, flags: { read: boolean; write: boolean; grant: boolean }) => {
    const { share_right_id } = body<{ share_right_id: string }>(
      await owner.request('PUT', '/share/right/', { share_id: shareId, user_id: to.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags }),
      201,
    );
    return share_right_id;
  };

  before(async () => {
    t = await openTestApp('sqlite', { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_API_KEY_LOGIN: '1000/minute' });
    client = new VaultClient(injectTransport(t.app));
    alice = await person('alice');
    bob = await person('bob');
    datastoreId = body<{ datastore_id: string }>(await alice.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }), 201).datastore_id;
  });
  after(async () => t.close());

  test('rights are inherited from the nearest share above, and a direct right overrides them', async () => {
    const outer = await share(alice, { parent_datastore_id: datastoreId });
    const inner = await share(alice, { parent_share_id: outer });
    const rightId = await grant(alice, outer, bob, { read: true, write: false, grant: false });
    assert.equal((await bob.request('GET', `/share/${inner}/`)).status, 400, 'pending: nothing yet');
    body(await bob.request('POST', '/share/right/accept/', { share_right_id: rightId }), 200);
    const inherited = body<{ rights: unknown }>(await bob.request('GET', `/share/${inner}/`), 200);
    assert.deepEqual(inherited.rights, { read: true, write: false, grant: false }, 'inherited from the outer share');
    // An all-false direct right on the inner share removes the inherited access ("overwrite"), once
    // bob accepts it: it takes flags away from what he inherits, so it waits for him (issue 8 item 2).
    const direct = await grant(alice, inner, bob, { read: false, write: false, grant: false });
    assert.equal((await t.stores.objects.getShareRight(direct))?.accepted, null, 'pending: it takes flags away');
    assert.equal((await bob.request('GET', `/share/${inner}/`)).status, 200, 'still inherited while pending');
    body(await bob.request('POST', '/share/right/accept/', { share_right_id: direct }), 200);
    assert.equal((await bob.request('GET', `/share/${inner}/`)).status, 400);
    assert.equal((await bob.request('GET', `/share/${outer}/`)).status, 200, 'control: the outer share is still readable');
  });

  test('a granter gives no more than it holds, never to itself, and cannot demote the creator or a stronger peer', async () => {
    const carol = await person('carol');
    const dan = await person('dan');
    const outer = await share(alice, { parent_datastore_id: datastoreId });
    const inner = await share(alice, { parent_share_id: outer });
    const bobRight = await grant(alice, outer, bob, { read: true, write: false, grant: true });
    body(await bob.request('POST', '/share/right/accept/', { share_right_id: bobRight }), 200);
    const carolRight = await grant(alice, outer, carol, { read: true, write: true, grant: true });
    body(await carol.request('POST', '/share/right/accept/', { share_right_id: carolRight }), 200);
    const refused = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
    const grantBody = (shareId: string, userId: string, flags: { read: boolean; write: boolean; grant: boolean }) => ({
      share_id: shareId, user_id: userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags,
    });
    assert.deepEqual((await bob.request('PUT', '/share/right/', grantBody(inner, bob.userId, { read: true, write: true, grant: true }))).body, refused, 'to itself');
    assert.deepEqual((await bob.request('POST', '/share/right/', { share_id: outer, user_id: bob.userId, read: true, write: true, grant: true })).body, refused, 'raising its own right');
    assert.deepEqual((await bob.request('PUT', '/share/right/', grantBody(outer, dan.userId, { read: true, write: true, grant: false }))).body, refused, 'more than it holds');
    assert.deepEqual((await bob.request('POST', '/share/right/', { share_id: outer, user_id: alice.userId, read: false, write: false, grant: false })).body, refused, 'the creator');
    assert.deepEqual((await bob.request('POST', '/share/right/', { share_id: outer, user_id: carol.userId, read: true, write: false, grant: false })).body, refused, 'a stronger peer');
    assert.deepEqual((await bob.request('DELETE', '/share/right/', { user_share_right_id: carolRight })).body, refused, 'deleting a stronger peer');
    assert.equal((await bob.request('PUT', '/share/', { share_id: outer, data: ct(40), data_nonce: nonce() })).status, 400, 'still no write');
    assert.equal((await alice.request('GET', `/share/${outer}/`)).status, 200, 'the creator keeps her share');
    // Controls: within its own rights, a granter grants and manages weaker rights.
    const danRight = await grant(bob, outer, dan, { read: true, write: false, grant: false });
    body(await bob.request('POST', '/share/right/', { share_id: outer, user_id: dan.userId, read: true, write: false, grant: true }), 200);
    body(await bob.request('DELETE', '/share/right/', { user_share_right_id: danRight }), 200);
  });

  test('a share link that would make a share its own ancestor is refused', async () => {
    const a = await share(alice, { parent_datastore_id: datastoreId });
    const b = await share(alice, { parent_share_id: a });
    const c = await share(alice, { parent_share_id: b });
    for (const [shareId, parent] of [[a, c], [a, a], [b, c]] as const) {
      const res = await alice.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: shareId, parent_share_id: parent });
      assert.deepEqual(res.body, { non_field_errors: ['SHARE_LINK_WOULD_CREATE_CYCLE'] });
    }
    const control = await alice.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: c, parent_datastore_id: datastoreId });
    assert.equal(control.status, 201, JSON.stringify(control.body));
  });

  test('optimistic concurrency: a stale old_write_date changes nothing; the current one works', async () => {
    const first = body<{ write_date: string }>(await alice.request('POST', '/datastore/', { datastore_id: datastoreId, data: ct(30), data_nonce: nonce() }), 200);
    const stale = await alice.request('POST', '/datastore/', { datastore_id: datastoreId, data: 'aa'.repeat(20), data_nonce: nonce(), old_write_date: '2020-01-01T00:00:00Z' });
    assert.deepEqual(stale.body, { non_field_errors: ['WRITE_DATE_MISMATCH'] });
    // The client may round-trip the value through a JS Date: millisecond precision still matches.
    const roundTripped = new Date(first.write_date).toISOString();
    body(await alice.request('POST', '/datastore/', { datastore_id: datastoreId, data: 'bb'.repeat(20), data_nonce: nonce(), old_write_date: roundTripped }), 200);
    assert.equal(body<{ data: string }>(await alice.request('GET', `/datastore/${datastoreId}/`), 200).data, 'bb'.repeat(20));
  });

  test('path ids: a malformed datastore id answers without resource_id, an API key id with it', async () => {
    assert.deepEqual((await alice.request('GET', '/datastore/xyz/')).body, { message: 'NO_PERMISSION_OR_NOT_EXIST' });
    assert.deepEqual((await alice.request('GET', '/api-key/xyz/')).body, { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: 'xyz' });
    assert.deepEqual((await alice.request('GET', '/secret/xyz/')).body, { non_field_errors: ['SECRET_ID_MALFORMED'] });
    assert.deepEqual((await alice.request('GET', '/share/xyz/')).body, { non_field_errors: ['SHARE_ID_MALFORMED'] });
    assert.deepEqual((await alice.request('GET', '/secret/')).body, { non_field_errors: ['SECRET_ID_NOT_PROVIDED'] });
  });

  test('duplicates: a datastore type+description, a secret nonce, a link id', async () => {
    assert.deepEqual((await alice.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() })).body, {
      error: 'DuplicateTypeDescription',
      message: 'The combination of type and description must be unique',
    });
    const dataNonce = nonce();
    const linkId = randomUUID();
    body(await alice.request('PUT', '/secret/', { data: ct(40), data_nonce: dataNonce, link_id: linkId, parent_datastore_id: datastoreId }), 201);
    assert.deepEqual((await alice.request('PUT', '/secret/', { data: ct(40), data_nonce: dataNonce, link_id: randomUUID(), parent_datastore_id: datastoreId })).body, { error: 'DuplicateNonce', message: "Don't use a nonce twice" });
    assert.deepEqual((await alice.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: linkId, parent_datastore_id: datastoreId })).body, { error: 'DuplicateLinkID', message: "Don't use a link id twice" });
  });

  test('GET /user/status/ counts the share rights that wait for the user\'s answer', async () => {
    const carol = await person('carol');
    const pending = async (who: VaultSession) => body<{ unaccepted_shares_count: number }>(await who.request('GET', '/user/status/'), 200).unaccepted_shares_count;
    assert.equal(await pending(carol), 0, 'nothing offered yet');
    const first = await grant(alice, await share(alice, { parent_datastore_id: datastoreId }), carol, { read: true, write: false, grant: false });
    const second = await grant(alice, await share(alice, { parent_datastore_id: datastoreId }), carol, { read: true, write: true, grant: false });
    assert.equal(await pending(carol), 2, 'two offers wait');
    assert.equal(await pending(alice), 0, 'control: the giver has none waiting');
    body(await carol.request('POST', '/share/right/accept/', { share_right_id: first }), 200);
    assert.equal(await pending(carol), 1, 'an accepted one no longer waits');
    body(await carol.request('POST', '/share/right/decline/', { share_right_id: second }), 200);
    assert.equal(await pending(carol), 0, 'nor a declined one');
  });

  test('API-key inspect lists only the attached secrets its owner can still read', async () => {
    const bobStore = body<{ datastore_id: string }>(await bob.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }), 201).datastore_id;
    const outer = await share(alice, { parent_datastore_id: datastoreId });
    const shared = body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: randomUUID(), parent_share_id: outer }), 201).secret_id;
    const own = body<{ secret_id: string }>(await bob.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: bobStore }), 201).secret_id;
    const rightId = await grant(alice, outer, bob, { read: true, write: false, grant: false });
    body(await bob.request('POST', '/share/right/accept/', { share_right_id: rightId }), 200);
    const { api_key_id } = body<{ api_key_id: string }>(
      await bob.request('PUT', '/api-key/', {
        title: 'inspect', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(randomBytes(32)).publicKey), restrict_to_secrets: true,
      }),
      201,
    );
    for (const secret_id of [shared, own]) {
      body(await bob.request('PUT', '/api-key/secret/', { api_key_id, secret_id, secret_key: ct(), secret_key_nonce: nonce(), title: ct(40), title_nonce: nonce() }), 201);
    }
    const listed = async () => {
      const answer = body<{ api_key_secrets: Array<{ secret_id: string }> }>(await client.call('POST', '/api-key-access/inspect/', { api_key_id }), 200);
      return answer.api_key_secrets.map((s) => s.secret_id).sort();
    };
    assert.deepEqual(await listed(), [shared, own].sort(), 'control: both, while bob reads both');
    body(await alice.request('DELETE', '/share/right/', { user_share_right_id: rightId }), 200);
    assert.equal((await client.call('POST', '/api-key-access/secret/', { api_key_id, secret_id: shared })).status, 400, 'the key reads the shared secret no more');
    assert.deepEqual(await listed(), [own], 'nor does inspect list it');
    assert.equal((await client.call('POST', '/api-key-access/secret/', { api_key_id, secret_id: own })).status, 200, 'control: the own secret still reads');
  });

  test('API keys: a replayed signed login, a bad signature and an unknown key get one answer; deleting a key ends its sessions; flags follow', async () => {
    const ask = randomBytes(32);
    const { api_key_id } = body<{ api_key_id: string }>(
      await alice.request('PUT', '/api-key/', {
        title: 'ci', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: false,
      }),
      201,
    );
    const credentials = { apiKeyId: api_key_id, privateKeyHex: toHex(ask), secretKeyHex: ct(32) };
    const { session, key } = await loginWithApiKey(client, credentials);
    assert.deepEqual(key, { restrictToSecrets: false, read: true, write: false });
    assert.equal((await session.request('POST', '/datastore/', { datastore_id: datastoreId, data: ct(30), data_nonce: nonce() })).status, 403, 'read-only');
    body(await alice.request('POST', '/api-key/', { api_key_id, write: true }), 200);
    assert.equal((await session.request('POST', '/datastore/', { datastore_id: datastoreId, data: ct(30), data_nonce: nonce() })).status, 200, 'the live session follows the key');

    const info = JSON.stringify({ api_key_id, session_public_key: ct(32), device_description: 'replay test' });
    const signature = toHex(signDetached(signKeyPairFromSeed(ask).secretKey, new TextEncoder().encode(info)));
    assert.equal((await client.call('POST', '/api-key/login/', { info, signature })).status, 200);
    const generic = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
    assert.deepEqual((await client.call('POST', '/api-key/login/', { info, signature })).body, generic, 'replayed');
    assert.deepEqual((await client.call('POST', '/api-key/login/', { info, signature: signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) })).body, generic, 'bad signature');
    const unknown = JSON.stringify({ api_key_id: randomUUID(), session_public_key: ct(32) });
    assert.deepEqual((await client.call('POST', '/api-key/login/', { info: unknown, signature })).body, generic, 'unknown key');
    assert.deepEqual((await client.call('POST', '/api-key/login/', { info: 'not json', signature })).body, generic, 'not JSON');

    // A session that carries write while its key no longer has it (made during a flag change) gets
    // the key's flags as they are now.
    body(await alice.request('POST', '/api-key/', { api_key_id, write: false }), 200);
    const { createSessionToken, hashSessionToken } = await import('../../src/crypto/token.js');
    const token = createSessionToken();
    const found = await t.stores.vault.findSessionByTokenHash(hashSessionToken(session.token));
    assert.ok(found);
    await t.stores.vault.createSession({ ...found.session, id: randomUUID(), tokenHash: hashSessionToken(token), write: true }, { exclusive: false });
    const stale = await t.app.inject({
      method: 'POST',
      url: '/server/datastore/',
      headers: { 'content-type': 'application/json', authorization: `Token ${token.reveal()}` },
      payload: JSON.stringify({}),
    });
    assert.equal(stale.statusCode, 403);

    body(await alice.request('DELETE', '/api-key/', { api_key_id }), 200);
    assert.equal((await session.request('GET', '/datastore/')).status, 401, 'its sessions ended');
    await assert.rejects(loginWithApiKey(client, credentials), VaultClientError);
  });

  test('garbage in every field of every object route, from a logged-in owner: a 4xx, never a 5xx', async () => {
    const routes: Array<['POST' | 'PUT' | 'DELETE', string]> = [
      ['PUT', '/datastore/'], ['POST', '/datastore/'], ['DELETE', '/datastore/'], ['PUT', '/secret/'], ['POST', '/secret/'],
      ['POST', '/secret/link/'], ['DELETE', '/secret/link/'], ['POST', '/share/'], ['PUT', '/share/'], ['PUT', '/share/link/'],
      ['POST', '/share/link/'], ['DELETE', '/share/link/'], ['PUT', '/share/right/'], ['POST', '/share/right/'], ['DELETE', '/share/right/'],
      ['POST', '/share/right/accept/'], ['POST', '/share/right/decline/'], ['PUT', '/api-key/'], ['POST', '/api-key/'], ['DELETE', '/api-key/'],
      ['PUT', '/api-key/secret/'], ['DELETE', '/api-key/secret/'], ['POST', '/user/search/'], ['PUT', '/user/update/'],
    ];
    const fields = [
      'datastore_id', 'share_id', 'secret_id', 'link_id', 'user_id', 'api_key_id', 'api_key_secret_id', 'share_right_id', 'user_share_right_id',
      'parent_datastore_id', 'parent_share_id', 'new_parent_share_id', 'new_parent_datastore_id', 'data', 'data_nonce', 'key', 'key_nonce', 'key_type',
      'type', 'description', 'secret_key', 'secret_key_nonce', 'title', 'read', 'write', 'grant', 'is_default', 'old_write_date', 'expiration_date', 'authkey',
    ];
    const value = fc.oneof(
      fc.constantFrom(datastoreId, alice.userId, bob.userId, randomUUID(), '', 'x', null, true, 0, -1, 1e300, [], {}, 'zz'.repeat(24), 'ab'.repeat(24), 'ab'.repeat(80), '2020-01-01T00:00:00Z', 'a\u0000b'),
      fc.string({ maxLength: 40 }),
      fc.integer(),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 6 }), async ([method, path], payload) => {
        const res = await alice.request(method, path, payload);
        assert.ok(res.status < 500, `${method} ${path} ${JSON.stringify(payload)} → ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.encrypted, true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('vault objects: deletion leaves nothing readable that belonged only to what was deleted', () => {
  test('deleting a datastore, then the user: links, keys, grants and sessions go; what was shared stays with its recipient', async () => {
    const t = await openTestApp('postgres', { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
    try {
      const client = new VaultClient(injectTransport(t.app));
      const register = async (who: string) => {
        const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
        await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
        return { username, session: await client.login({ username, password: PASSWORD, sendDeviceTime: false }) };
      };
      const carol = await register('carol');
      const dave = await register('dave');
      const created = async (res: Promise<{ status: number; body: unknown }>, key: string) => {
        const r = await res;
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return (r.body as Record<string, string>)[key] as string;
      };
      const main = await created(carol.session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }), 'datastore_id');
      const spare = await created(carol.session.request('PUT', '/datastore/', { type: 'password', description: 'Spare', secret_key: ct(), secret_key_nonce: nonce(), is_default: false }), 'datastore_id');
      const inSpare = await created(carol.session.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: spare }), 'secret_id');
      const shared = await created(carol.session.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: main }), 'share_id');
      const right = await created(carol.session.request('PUT', '/share/right/', { share_id: shared, user_id: dave.session.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false }), 'share_right_id');
      assert.equal((await dave.session.request('POST', '/share/right/accept/', { share_right_id: right })).status, 200);

      // An API key with the secret of the spare datastore attached.
      const ask = randomBytes(32);
      const apiKeyId = await created(carol.session.request('PUT', '/api-key/', {
        title: 'x', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), restrict_to_secrets: true,
      }), 'api_key_id');
      await created(carol.session.request('PUT', '/api-key/secret/', { api_key_id: apiKeyId, secret_id: inSpare, secret_key: ct(), secret_key_nonce: nonce(), title: ct(40), title_nonce: nonce() }), 'api_key_secret_id');
      const access = () => client.call('POST', '/api-key-access/secret/', { api_key_id: apiKeyId, secret_id: inSpare });
      assert.equal((await access()).status, 200, 'control: the key reads its secret');

      const { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } = await import('../../src/crypto/psono-kdf.js');
      const authkey = await deriveAuthkey(carol.username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
      assert.equal((await carol.session.request('DELETE', '/datastore/', { datastore_id: spare, authkey })).status, 200);
      assert.equal((await carol.session.request('GET', `/secret/${inSpare}/`)).status, 400, 'its secret is reachable through nothing');
      assert.equal((await access()).status, 400, 'nor through the API key');

      const { session: keySession } = await loginWithApiKey(client, { apiKeyId, privateKeyHex: toHex(ask), secretKeyHex: ct(32) });
      assert.equal((await carol.session.request('DELETE', '/user/delete/', { authkey })).status, 200);
      assert.equal((await keySession.request('GET', `/secret/${inSpare}/`)).status, 401, 'the key\'s sessions ended with the user');
      await assert.rejects(loginWithApiKey(client, { apiKeyId, privateKeyHex: toHex(ask), secretKeyHex: ct(32) }), VaultClientError);
      assert.equal((await access()).status, 400);
      assert.equal(await t.stores.objects.getDatastore(main, carol.session.userId), undefined, 'the user\'s datastores are gone');
      // What was shared stays with its recipient (spec §3.4): the creator is gone, the share is not.
      const kept = await dave.session.request('GET', `/share/${shared}/`);
      assert.equal(kept.status, 200);
      assert.equal((kept.body as { user_id: unknown }).user_id, null);
    } finally {
      await t.close();
    }
  });
});

describe('vault: session-less API-key access is throttled per key too', () => {
  test('one key used from many addresses still meets its limit', async () => {
    const t = await openTestApp('sqlite', { VAULT_THROTTLE_API_KEY_ACCESS: '2/minute', TRUST_PROXY: '1' });
    try {
      const apiKeyId = randomUUID();
      const call = (ip: string) =>
        t.app.inject({ method: 'POST', url: '/server/api-key-access/inspect/', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, payload: JSON.stringify({ api_key_id: apiKeyId }) });
      assert.equal((await call('203.0.113.1')).statusCode, 400, 'unknown key: the generic refusal');
      assert.equal((await call('203.0.113.2')).statusCode, 400);
      const third = await call('203.0.113.3');
      assert.equal(third.statusCode, 429, 'a third address, the same key');
      const other = await t.app.inject({ method: 'POST', url: '/server/api-key-access/inspect/', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.4' }, payload: JSON.stringify({ api_key_id: randomUUID() }) });
      assert.equal(other.statusCode, 400, 'control: another key is not throttled');
    } finally {
      await t.close();
    }
  });
});
