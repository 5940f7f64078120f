import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey } from '../../src/crypto/psono-kdf.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

// The server never opens these ciphertexts, so random bytes stand in for them: what is tested here
// is who may read and write what (spec §3.5–3.9, §1.5).
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'matrix passphrase';

type Subject = 'owner' | 'other' | 'reader' | 'writer' | 'granter' | 'restrictedKey' | 'readOnlyKey' | 'anonymous';
const SUBJECTS: Subject[] = ['owner', 'other', 'reader', 'writer', 'granter', 'restrictedKey', 'readOnlyKey', 'anonymous'];
type Call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; body: unknown; raw: string }>;

for (const backend of BACKENDS) {
  describe(`vault authorization matrix (${backend})`, () => {
    let t: TestApp;
    const calls = {} as Record<Subject, Call>;
    const ids = {} as Record<'datastore' | 'otherDatastore' | 'secret' | 'sharedSecret' | 'share' | 'restrictedKey' | 'readOnlyKey', string>;
    const secrets: string[] = []; // ciphertexts that must never reach a refused caller
    const users = {} as Record<Subject, { session: VaultSession; username: string } | undefined>;
    const grantTargets: string[] = []; // user ids: one for the owner's control, one for everyone else

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
      const client = new VaultClient(injectTransport(t.app));
      const person = async (who: string) => {
        const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
        await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
        return { session: await client.login({ username, password: PASSWORD, sendDeviceTime: false }), username };
      };
      for (const who of ['owner', 'other', 'reader', 'writer', 'granter'] as const) users[who] = await person(who);
      for (let i = 0; i < 2; i += 1) grantTargets.push((await person(`target${i}`)).session.userId);
      const owner = users.owner?.session as VaultSession;
      const ok = async (status: number, promise: Promise<{ status: number; body: unknown }>) => {
        const res = await promise;
        assert.equal(res.status, status, JSON.stringify(res.body));
        return res.body as Record<string, string>;
      };

      ids.datastore = (await ok(201, owner.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }))).datastore_id as string;
      ids.otherDatastore = (await ok(201, owner.request('PUT', '/datastore/', { type: 'notes', description: 'Other', secret_key: ct(), secret_key_nonce: nonce(), is_default: false }))).datastore_id as string;
      const secretData = ct(60);
      secrets.push(secretData);
      ids.secret = (await ok(201, owner.request('PUT', '/secret/', { data: secretData, data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: ids.datastore }))).secret_id as string;
      const shareData = ct(60);
      secrets.push(shareData);
      ids.share = (await ok(201, owner.request('POST', '/share/', { data: shareData, data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: ids.datastore }))).share_id as string;
      const sharedData = ct(60);
      secrets.push(sharedData);
      ids.sharedSecret = (await ok(201, owner.request('PUT', '/secret/', { data: sharedData, data_nonce: nonce(), link_id: randomUUID(), parent_share_id: ids.share }))).secret_id as string;

      const rights: Array<[Subject, boolean, boolean, boolean]> = [['reader', true, false, false], ['writer', true, true, false], ['granter', true, true, true]];
      for (const [who, read, write, grant] of rights) {
        const target = users[who] as { session: VaultSession };
        const { share_right_id } = await ok(201, owner.request('PUT', '/share/right/', {
          share_id: ids.share, user_id: target.session.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read, write, grant,
        }));
        await ok(200, target.session.request('POST', '/share/right/accept/', { share_right_id, key: ct(), key_nonce: nonce() }));
      }

      const apiKey = async (restrict: boolean, write: boolean) => {
        const ask = randomBytes(32);
        const aks = randomBytes(32);
        const { api_key_id } = await ok(201, owner.request('PUT', '/api-key/', {
          title: 'matrix', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
          user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
          verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write, restrict_to_secrets: restrict,
        }));
        return { apiKeyId: api_key_id as string, privateKeyHex: toHex(ask), secretKeyHex: toHex(aks) };
      };
      const restricted = await apiKey(true, true);
      const readOnly = await apiKey(false, false);
      ids.restrictedKey = restricted.apiKeyId;
      ids.readOnlyKey = readOnly.apiKeyId;
      await ok(201, owner.request('PUT', '/api-key/secret/', { api_key_id: restricted.apiKeyId, secret_id: ids.secret, secret_key: ct(), secret_key_nonce: nonce(), title: ct(40), title_nonce: nonce() }));
      users.restrictedKey = { session: (await loginWithApiKey(client, restricted)).session, username: '' };
      users.readOnlyKey = { session: (await loginWithApiKey(client, readOnly)).session, username: '' };

      for (const subject of SUBJECTS) {
        calls[subject] = async (method, path, body) => {
          const session = users[subject]?.session;
          if (!session) {
            const res = await t.app.inject({ method, url: `/server${path}`, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
            return { status: res.statusCode, body: res.json() as unknown, raw: res.body };
          }
          const res = await session.request(method, path, body);
          return { status: res.status, body: res.body, raw: JSON.stringify(res.body) };
        };
      }
    });
    after(async () => t.close());

    // Each row: an action and the status every subject must get. 2xx rows of the owner are the
    // controls that show each refusal is about the caller, not a broken request.
    const rows: Array<{ name: string; call: (subject: Subject) => [method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown]; expect: Record<Subject, number> }> = [
      {
        name: 'read the datastore',
        call: () => ['GET', `/datastore/${ids.datastore}/`],
        expect: { owner: 200, other: 403, reader: 403, writer: 403, granter: 403, restrictedKey: 403, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'list datastores',
        call: () => ['GET', '/datastore/'],
        expect: { owner: 200, other: 200, reader: 200, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'write the datastore',
        call: () => ['POST', '/datastore/', { datastore_id: ids.datastore, data: ct(30), data_nonce: nonce() }],
        expect: { owner: 200, other: 400, reader: 400, writer: 400, granter: 400, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'read a secret of the datastore',
        call: () => ['GET', `/secret/${ids.secret}/`],
        expect: { owner: 200, other: 400, reader: 400, writer: 400, granter: 400, restrictedKey: 200, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'read the secret in the share',
        call: () => ['GET', `/secret/${ids.sharedSecret}/`],
        expect: { owner: 200, other: 400, reader: 200, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'write the secret in the share',
        call: () => ['POST', '/secret/', { secret_id: ids.sharedSecret, data: ct(60), data_nonce: nonce() }],
        expect: { owner: 200, other: 400, reader: 400, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'add a secret to the share',
        call: () => ['PUT', '/secret/', { data: ct(60), data_nonce: nonce(), link_id: randomUUID(), parent_share_id: ids.share }],
        expect: { owner: 201, other: 400, reader: 400, writer: 201, granter: 201, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'read the share',
        call: () => ['GET', `/share/${ids.share}/`],
        expect: { owner: 200, other: 400, reader: 200, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'write the share',
        call: () => ['PUT', '/share/', { share_id: ids.share, data: ct(60), data_nonce: nonce() }],
        expect: { owner: 200, other: 400, reader: 400, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'list the rights of the share',
        call: () => ['GET', `/share/rights/${ids.share}/`],
        expect: { owner: 200, other: 400, reader: 200, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 200, anonymous: 401 },
      },
      {
        name: 'grant a right on the share',
        call: (subject) => ['PUT', '/share/right/', {
          share_id: ids.share, user_id: grantTargets[subject === 'owner' ? 0 : 1], key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false,
        }],
        expect: { owner: 201, other: 400, reader: 400, writer: 400, granter: 201, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'read the API keys',
        call: () => ['GET', `/api-key/${ids.readOnlyKey}/`],
        expect: { owner: 200, other: 400, reader: 400, writer: 400, granter: 400, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'list the sessions',
        call: () => ['GET', '/authentication/sessions/'],
        expect: { owner: 200, other: 200, reader: 200, writer: 200, granter: 200, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
      {
        name: 'delete the other datastore',
        call: () => ['DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey: 'f'.repeat(128) }],
        expect: { owner: 403, other: 400, reader: 400, writer: 400, granter: 400, restrictedKey: 403, readOnlyKey: 403, anonymous: 401 },
      },
    ];

    for (const row of rows) {
      test(row.name, async () => {
        // Refusals first: the owner's (state-changing) control runs last.
        const order = [...SUBJECTS.filter((s) => s !== 'owner'), 'owner' as const];
        const got: Partial<Record<Subject, number>> = {};
        for (const subject of order) {
          const res = await calls[subject](...row.call(subject));
          got[subject] = res.status;
          if (res.status >= 400) {
            for (const secret of secrets) assert.ok(!res.raw.includes(secret), `${subject} saw a ciphertext in a refusal`);
          }
        }
        assert.deepEqual(got, Object.fromEntries(order.map((s) => [s, row.expect[s]])));
      });
    }

    test('control: the owner deletes a non-default datastore with the right authkey, and only then it is gone', async () => {
      const owner = users.owner as { session: VaultSession; username: string };
      const authkey = await deriveAuthkey(owner.username, PASSWORD, DEFAULT_HASHING_PARAMETERS);
      assert.equal((await calls.readOnlyKey('DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey })).status, 403);
      assert.equal((await calls.other('DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey })).status, 400);
      assert.equal((await owner.session.request('DELETE', '/datastore/', { datastore_id: ids.otherDatastore, authkey })).status, 200);
      assert.equal((await owner.session.request('GET', `/datastore/${ids.otherDatastore}/`)).status, 403);
    });

    test('a refused secret read leaks nothing and counts nothing', async () => {
      const before = (await calls.owner('GET', `/secret/${ids.sharedSecret}/`)).body as { read_count: number };
      const refused = await calls.other('GET', `/secret/${ids.sharedSecret}/`);
      assert.deepEqual(refused.body, { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] });
      const after = (await calls.owner('GET', `/secret/${ids.sharedSecret}/`)).body as { read_count: number };
      assert.equal(after.read_count, before.read_count + 1, 'only the owner\'s reads were counted');
    });
  });
}
