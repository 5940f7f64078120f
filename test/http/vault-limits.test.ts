import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

const nonce = () => randomBytes(24).toString('hex');
/** Ciphertext of exactly `chars` hex characters (the bytes the store counts). */
const ct = (chars: number) => randomBytes(chars / 2).toString('hex');
const PASSWORD = 'limits passphrase';
const CAP = 6000;

for (const backend of BACKENDS) {
  describe(`vault storage bounds (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      return client.login({ username, password: PASSWORD, sendDeviceTime: false });
    };
    const body = <T>(res: { status: number; body: unknown }, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body as T;
    };
    const refused = (res: { status: number; body: unknown }) => {
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.deepEqual(res.body, { non_field_errors: ['VAULT_STORAGE_QUOTA_EXCEEDED'] });
    };
    const datastoreOf = async (user: VaultSession) =>
      body<{ datastore_id: string }>(
        await user.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(160), secret_key_nonce: nonce() }),
        201,
      ).datastore_id;
    const newSecret = (user: VaultSession, datastoreId: string, chars: number) =>
      user.request('PUT', '/secret/', { data: ct(chars), data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: datastoreId });

    before(async () => {
      t = await openTestApp(backend, {
        VAULT_MAX_STORAGE_BYTES_PER_USER: String(CAP),
        VAULT_MAX_HISTORY_PER_SECRET: '3',
        VAULT_THROTTLE_LOGIN: '1000/minute',
        VAULT_THROTTLE_PRELOGIN: '1000/minute',
        VAULT_THROTTLE_REGISTRATION: '1000/minute',
      });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('a user\'s secrets, datastores and shares together stay within VAULT_MAX_STORAGE_BYTES_PER_USER', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const store = await datastoreOf(alice);
      const first = body<{ secret_id: string }>(await newSecret(alice, store, 2000), 201).secret_id;
      body(await newSecret(alice, store, 2000), 201);
      refused(await newSecret(alice, store, 2002));
      refused(await alice.request('POST', '/share/', { data: ct(2002), data_nonce: nonce(), key: ct(160), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: store }));
      refused(await alice.request('POST', '/secret/', { secret_id: first, data: ct(4002), data_nonce: nonce() }));
      // controls: what still fits is written, to the byte; another user has their own room
      body(await newSecret(alice, store, 2000), 201);
      body(await newSecret(bob, await datastoreOf(bob), 2000), 201);
      // a smaller version of a secret frees room for others
      body(await alice.request('POST', '/secret/', { secret_id: first, data: ct(1000), data_nonce: nonce() }), 200);
      body(await newSecret(alice, store, 1000), 201);
      refused(await newSecret(alice, store, 32));
    });

    test('writes racing one owner\'s cap: only what fits is stored', async () => {
      const carol = await person('carol');
      const store = await datastoreOf(carol);
      body(await newSecret(carol, store, 3000), 201);
      const race = await Promise.all([newSecret(carol, store, 2000), newSecret(carol, store, 2000), newSecret(carol, store, 2000)]);
      assert.deepEqual(race.map((r) => r.status).sort(), [201, 413, 413], JSON.stringify(race.map((r) => r.body)));
    });

    test('an update by a share member counts against the secret\'s owner, whose cap holds', async () => {
      const owner = await person('owner');
      const member = await person('member');
      const store = await datastoreOf(owner);
      const shareId = body<{ share_id: string }>(
        await owner.request('POST', '/share/', { data: ct(100), data_nonce: nonce(), key: ct(160), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: store }),
        201,
      ).share_id;
      const secretId = body<{ secret_id: string }>(
        await owner.request('PUT', '/secret/', { data: ct(1000), data_nonce: nonce(), link_id: randomUUID(), parent_share_id: shareId }),
        201,
      ).secret_id;
      const { share_right_id } = body<{ share_right_id: string }>(
        await owner.request('PUT', '/share/right/', { share_id: shareId, user_id: member.userId, key: ct(160), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: true, grant: false }),
        201,
      );
      body(await member.request('POST', '/share/right/accept/', { share_right_id, key: ct(160), key_nonce: nonce(), key_type: 'symmetric' }), 200);
      refused(await member.request('POST', '/secret/', { secret_id: secretId, data: ct(CAP), data_nonce: nonce() }));
      body(await member.request('POST', '/secret/', { secret_id: secretId, data: ct(2000), data_nonce: nonce() }), 200);
    });

    test('history keeps the newest VAULT_MAX_HISTORY_PER_SECRET versions of a secret; older ones are pruned', async () => {
      const alice = await person('history');
      const store = await datastoreOf(alice);
      const versions = Array.from({ length: 6 }, () => ct(40));
      const secretId = body<{ secret_id: string }>(
        await alice.request('PUT', '/secret/', { data: versions[0], data_nonce: nonce(), link_id: randomUUID(), parent_datastore_id: store }),
        201,
      ).secret_id;
      for (const data of versions.slice(1)) {
        t.advance(1000); // one version per second: the history's order is the order of the updates
        body(await alice.request('POST', '/secret/', { secret_id: secretId, data, data_nonce: nonce() }), 200);
      }
      const { history } = body<{ history: Array<{ id: string }> }>(await alice.request('GET', `/secret/history/${secretId}/`), 200);
      assert.equal(history.length, 3);
      const kept = await Promise.all(history.map(async (h) => body<{ data: string }>(await alice.request('GET', `/history/${h.id}/`), 200).data));
      assert.deepEqual(kept.sort(), versions.slice(2, 5).sort(), 'the three versions before the current one');
      const current = body<{ data: string }>(await alice.request('GET', `/secret/${secretId}/`), 200);
      assert.equal(current.data, versions[5], 'the secret itself is never pruned');
    });
  });
}
