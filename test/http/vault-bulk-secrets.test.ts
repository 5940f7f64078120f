import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loginWithApiKey, VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { BULK_SECRETS_MAX } from '../../src/protocol/vault/objects.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

// The bulk endpoints the web client's Security Report, export and import use (spec §3.12), on both
// backends. Who may read and create what is the matrix's (docs/authorization.md); this file holds
// what the matrix cannot say: counts, batches, bounds, all-or-nothing, and hostile bodies.
const ct = (bytes = 60) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'bulk passphrase';
const entry = (overrides: Record<string, unknown> = {}) => ({ data: ct(), data_nonce: nonce(), link_id: randomUUID(), ...overrides });

interface BulkSecret {
  id: string;
  data: string;
  read_count: number;
}

for (const backend of BACKENDS) {
  describe(`vault bulk secrets (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let alice: VaultSession;
    let bob: VaultSession;
    let datastoreId: string;

    const body = <T>(res: { status: number; body: unknown }, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 300));
      return res.body as T;
    };
    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      return client.login({ username, password: PASSWORD, sendDeviceTime: false });
    };
    const newShare = async (parent: Record<string, string>) =>
      body<{ share_id: string }>(await alice.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(80), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), ...parent }), 201).share_id;
    const bulkRead = (session: VaultSession, ids: unknown) => session.request('POST', '/bulk-secret-read/', { secret_ids: ids });
    const idsOf = (secrets: BulkSecret[]) => secrets.map((s) => s.id).sort();

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_API_KEY_LOGIN: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
      alice = await person('alice');
      bob = await person('bob');
      datastoreId = body<{ datastore_id: string }>(await alice.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(80), secret_key_nonce: nonce() }), 201).datastore_id;
    });
    after(async () => t.close());

    test('an import creates every entry in one request, in order, each readable alone and in bulk', async () => {
      const secrets = [entry(), entry({ callback_url: 'https://cb.example.com/', callback_user: 'u', callback_pass: 'p' }), entry()];
      const { secrets: created } = body<{ secrets: Array<{ link_id: string; secret_id: string }> }>(
        await alice.request('PUT', '/bulk-secret/', { parent_datastore_id: datastoreId, secrets }),
        201,
      );
      assert.deepEqual(created.map((c) => c.link_id), secrets.map((s) => s.link_id), 'one answer per entry, in request order');
      for (const [i, c] of created.entries()) {
        const one = body<{ data: string; data_nonce: string; callback_url: string }>(await alice.request('GET', `/secret/${c.secret_id}/`), 200);
        assert.equal(one.data, secrets[i]?.data);
        assert.equal(one.data_nonce, secrets[i]?.data_nonce);
        assert.equal((await t.stores.objects.getSecretLink(c.link_id))?.secretId, c.secret_id, 'the link hangs under the datastore');
      }
      const read = body<{ secrets: Array<BulkSecret & Record<string, unknown>> }>(await bulkRead(alice, created.map((c) => c.secret_id)), 200).secrets;
      assert.deepEqual(idsOf(read), created.map((c) => c.secret_id).sort());
      const second = read.find((s) => s.id === created[1]?.secret_id);
      assert.deepEqual(Object.keys(second ?? {}).sort(), ['callback_pass', 'callback_url', 'callback_user', 'create_date', 'data', 'data_nonce', 'id', 'read_count', 'type', 'write_date']);
      assert.equal(second?.callback_user, 'u');
      assert.equal(second?.read_count, 2, 'one single read, one bulk read');
    });

    test('the Security Report read: every readable secret once, through any depth of shares; the rest left out and uncounted', async () => {
      const own = body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { ...entry(), parent_datastore_id: datastoreId }), 201).secret_id;
      // A chain of four shares; bob holds read on the top one only and inherits the rest.
      const top = await newShare({ parent_datastore_id: datastoreId });
      let parent = top;
      const deep: string[] = [];
      for (let depth = 0; depth < 3; depth++) {
        parent = await newShare({ parent_share_id: parent });
        deep.push(body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { ...entry(), parent_share_id: parent }), 201).secret_id);
      }
      const { share_right_id } = body<{ share_right_id: string }>(
        await alice.request('PUT', '/share/right/', { share_id: top, user_id: bob.userId, key: ct(80), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false }),
        201,
      );
      const unknown = randomUUID();
      const batch = [own, ...deep, unknown, own, (deep[0] as string).toUpperCase()];
      assert.deepEqual(body<{ secrets: BulkSecret[] }>(await bulkRead(bob, batch), 200).secrets, [], 'pending: nothing yet');
      body(await bob.request('POST', '/share/right/accept/', { share_right_id, key: ct(80), key_nonce: nonce() }), 200);

      const bobs = body<{ secrets: BulkSecret[] }>(await bulkRead(bob, batch), 200).secrets;
      assert.deepEqual(idsOf(bobs), [...deep].sort(), 'the shared secrets, each once; not alice\'s own one, not the unknown id');
      assert.ok(bobs.every((s) => s.read_count === 1), 'each counted once, although asked for twice');
      assert.equal((await t.stores.objects.getSecret(own))?.readCount, 0, 'a secret left out is not counted');

      const alices = body<{ secrets: BulkSecret[] }>(await bulkRead(alice, batch), 200).secrets;
      assert.deepEqual(idsOf(alices), [own, ...deep].sort(), 'control: the owner reads all of them');
      assert.deepEqual(body(await bulkRead(alice, []), 200), { secrets: [] });
    });

    test('a create is all or nothing: a nonce or link id used twice, or already stored, leaves nothing behind', async () => {
      const taken = body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { ...entry(), parent_datastore_id: datastoreId }), 201).secret_id;
      const takenNonce = (await t.stores.objects.getSecret(taken))?.dataNonce as string;
      const takenLink = (await t.stores.objects.secretLinksOf(taken))[0]?.linkId as string;
      const twice = nonce();
      const sameLink = randomUUID();
      const cases: Array<[string, Array<Record<string, unknown>>, unknown]> = [
        ['a nonce twice in the batch', [entry({ data_nonce: twice }), entry({ data_nonce: twice })], { error: 'DuplicateNonce', message: "Don't use a nonce twice" }],
        ['a stored nonce', [entry(), entry({ data_nonce: takenNonce })], { error: 'DuplicateNonce', message: "Don't use a nonce twice" }],
        ['a link id twice in the batch', [entry({ link_id: sameLink }), entry({ link_id: sameLink })], { error: 'DuplicateLinkID', message: "Don't use a link id twice" }],
        ['a stored link id', [entry(), entry({ link_id: takenLink })], { error: 'DuplicateLinkID', message: "Don't use a link id twice" }],
      ];
      for (const [what, secrets, error] of cases) {
        assert.deepEqual(body(await alice.request('PUT', '/bulk-secret/', { parent_datastore_id: datastoreId, secrets }), 400), error, what);
        const fresh = secrets.filter((s) => s.link_id !== takenLink).map((s) => s.link_id as string);
        for (const linkId of fresh) assert.equal(await t.stores.objects.getSecretLink(linkId), undefined, `${what}: no link left behind`);
      }
      const control = [entry(), entry()];
      body(await alice.request('PUT', '/bulk-secret/', { parent_datastore_id: datastoreId, secrets: control }), 201);
      for (const s of control) assert.ok(await t.stores.objects.getSecretLink(s.link_id), 'control: a clean batch goes in whole');
    });

    test('a batch larger than one INSERT goes in whole', async () => {
      const share = await newShare({ parent_datastore_id: datastoreId });
      const secrets = Array.from({ length: 1201 }, () => entry({ data: ct(16) }));
      const created = body<{ secrets: Array<{ secret_id: string }> }>(await alice.request('PUT', '/bulk-secret/', { parent_share_id: share, secrets }), 201).secrets;
      assert.equal(new Set(created.map((c) => c.secret_id)).size, 1201);
      const read = body<{ secrets: BulkSecret[] }>(await bulkRead(alice, created.map((c) => c.secret_id)), 200).secrets;
      assert.equal(read.length, 1201, 'all of them readable through the share, in one read');
    });

    test('bounds and field errors are checked before anything is read or written', async () => {
      const tooMany = Array.from({ length: BULK_SECRETS_MAX + 1 }, () => randomUUID());
      assert.deepEqual(body(await bulkRead(alice, tooMany), 400), { secret_ids: [`Ensure this field has no more than ${BULK_SECRETS_MAX} elements.`] });
      assert.deepEqual(body(await bulkRead(alice, tooMany.slice(0, BULK_SECRETS_MAX)), 200), { secrets: [] }, 'control: the bound itself is allowed');
      assert.deepEqual(body(await alice.request('POST', '/bulk-secret-read/', {}), 400), { secret_ids: ['This field is required.'] });
      assert.deepEqual(body(await bulkRead(alice, 'x'), 400), { secret_ids: ['Expected a list of items but got type "str".'] });
      assert.deepEqual(body(await bulkRead(alice, [randomUUID(), 'nope']), 400), { secret_ids: ['IS_NOT_A_VALID_UUID'] });
      assert.deepEqual(body(await bulkRead(alice, [7]), 400), { secret_ids: ['IS_NOT_A_VALID_UUID'] });

      const put = (b: unknown) => alice.request('PUT', '/bulk-secret/', b);
      assert.deepEqual(body(await put({ parent_datastore_id: datastoreId, secrets: [] }), 400), { secrets: ['This list may not be empty.'] });
      assert.deepEqual(body(await put({ parent_datastore_id: datastoreId }), 400), { secrets: ['This field is required.'] });
      assert.deepEqual(body(await put({ secrets: [entry()] }), 400), { non_field_errors: ['EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED'] });
      assert.deepEqual(body(await put({ parent_datastore_id: datastoreId, parent_share_id: randomUUID(), secrets: [entry()] }), 400), {
        non_field_errors: ['EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED_NOT_BOTH'],
      });
      assert.deepEqual(body(await put({ parent_datastore_id: randomUUID(), secrets: [entry()] }), 400), { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] });
      const good = entry();
      assert.deepEqual(body(await put({ parent_datastore_id: datastoreId, secrets: [good, { data: ct(), link_id: 'x' }, 'str'] }), 400), {
        secrets: ['1.data_nonce: This field is required.', '1.link_id: IS_NOT_A_VALID_UUID', '2: Expected a dictionary of items but got type "str".'],
      });
      assert.equal(await t.stores.objects.getSecretLink(good.link_id), undefined, 'the good entry of a refused batch is not created');
      const tooLarge = Array.from({ length: BULK_SECRETS_MAX + 1 }, () => ({}));
      assert.deepEqual(body(await put({ parent_datastore_id: datastoreId, secrets: tooLarge }), 400), { secrets: [`Ensure this field has no more than ${BULK_SECRETS_MAX} elements.`] });
    });

    test('a key restricted to its secrets reads only those in bulk and creates none; its owner does', async () => {
      const attached = body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { ...entry(), parent_datastore_id: datastoreId }), 201).secret_id;
      const other = body<{ secret_id: string }>(await alice.request('PUT', '/secret/', { ...entry(), parent_datastore_id: datastoreId }), 201).secret_id;
      const ask = randomBytes(32);
      const { api_key_id } = body<{ api_key_id: string }>(
        await alice.request('PUT', '/api-key/', {
          title: 'bulk', public_key: ct(32), private_key: ct(80), private_key_nonce: nonce(), secret_key: ct(80), secret_key_nonce: nonce(),
          user_private_key: ct(80), user_private_key_nonce: nonce(), user_secret_key: ct(80), user_secret_key_nonce: nonce(),
          verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: true, restrict_to_secrets: true,
        }),
        201,
      );
      body(await alice.request('PUT', '/api-key/secret/', { api_key_id, secret_id: attached, secret_key: ct(80), secret_key_nonce: nonce(), title: ct(40), title_nonce: nonce() }), 201);
      const { session: key } = await loginWithApiKey(client, { apiKeyId: api_key_id, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) });
      assert.deepEqual(idsOf(body<{ secrets: BulkSecret[] }>(await bulkRead(key, [attached, other]), 200).secrets), [attached]);
      const refusedEntry = entry();
      assert.equal((await key.request('PUT', '/bulk-secret/', { parent_datastore_id: datastoreId, secrets: [refusedEntry] })).status, 403);
      assert.equal(await t.stores.objects.getSecretLink(refusedEntry.link_id), undefined);
      assert.deepEqual(idsOf(body<{ secrets: BulkSecret[] }>(await bulkRead(alice, [attached, other]), 200).secrets), [attached, other].sort(), 'control: the owner');
    });

    test('hostile bodies from a signed-in caller get a 4xx JSON answer, never a 5xx', async () => {
      const value = fc.oneof(fc.jsonValue(), fc.constantFrom(randomUUID(), nonce(), ct(), '\u0000', 'x'.repeat(3000)));
      const item = fc.oneof(value, fc.record({ data: value, data_nonce: value, link_id: value, callback_url: value }, { requiredKeys: [] }));
      const bodies = fc.oneof(
        fc.jsonValue(),
        fc.record({ secret_ids: fc.oneof(value, fc.array(value, { maxLength: 8 })) }, { requiredKeys: [] }),
        fc.record({ parent_datastore_id: fc.oneof(value, fc.constant(datastoreId)), parent_share_id: value, secrets: fc.oneof(value, fc.array(item, { maxLength: 6 })) }, { requiredKeys: [] }),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(['POST', '/bulk-secret-read/'] as const, ['PUT', '/bulk-secret/'] as const), bodies, async ([method, path], b) => {
          const res = await alice.request(method, path, b);
          assert.ok(res.status < 500, `${method} ${path} ${JSON.stringify(b).slice(0, 200)} → ${res.status}`);
          assert.equal(typeof res.body, 'object');
        }),
        { numRuns: 150 },
      );
    });
  });
}
