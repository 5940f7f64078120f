import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, VaultClientError, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { deriveAuthkey, DEFAULT_HASHING_PARAMETERS } from '../../src/crypto/psono-kdf.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';
import { bodyOf, registerPerson, type VaultPerson } from '../helpers/vault-people.js';

// Deleting an account from the official web client's account settings (docs/vault-protocol.md §3.4), on
// both backends: what goes with the account, what stays with the people it shared with, and the
// request sequence the client was seen to send (§6, "Delete account").
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'delete-me passphrase';
type Flags = { read: boolean; write: boolean; grant: boolean };
type Person = VaultPerson & { authkey: string };

for (const backend of BACKENDS) {
  describe(`vault account deletion (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;

    const body = bodyOf;
    const person = async (who: string): Promise<Person> => {
      const someone = await registerPerson(client, who, PASSWORD);
      return Object.assign(someone, { authkey: await deriveAuthkey(someone.username, PASSWORD, DEFAULT_HASHING_PARAMETERS) });
    };
    const share = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }) =>
      body<{ share_id: string }>(await owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), ...parent }), 201).share_id;
    const secret = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }) =>
      body<{ secret_id: string }>(await owner.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: randomUUID(), ...parent }), 201).secret_id;
    const grant = async (granter: VaultSession, shareId: string, to: VaultSession, flags: Flags) =>
      body<{ share_right_id: string }>(
        await granter.request('PUT', '/share/right/', { share_id: shareId, user_id: to.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags }),
        201,
      ).share_right_id;
    const group = async (creator: VaultSession) =>
      body<{ group_id: string }>(
        await creator.request('PUT', '/group/', { name: `team ${randomBytes(3).toString('hex')}`, secret_key: ct(), secret_key_nonce: nonce(), private_key: ct(), private_key_nonce: nonce(), public_key: ct(32) }),
        201,
      ).group_id;
    const invite = async (admin: VaultSession, groupId: string, to: VaultSession) =>
      body<{ membership_id: string }>(
        await admin.request('PUT', '/membership/', { group_id: groupId, user_id: to.userId, secret_key: ct(), secret_key_nonce: nonce(), secret_key_type: 'asymmetric', private_key: ct(), private_key_nonce: nonce(), private_key_type: 'asymmetric' }),
        201,
      ).membership_id;
    const groupRight = async (admin: VaultSession, shareId: string, groupId: string) =>
      body<{ share_right_id: string }>(
        await admin.request('PUT', '/share/right/', { share_id: shareId, group_id: groupId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false }),
        201,
      ).share_right_id;

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_API_KEY_LOGIN: '1000/minute', VAULT_THROTTLE_USER_DELETE: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    // Recorded in Chromium against this server (Account → Delete account → the password → Delete): the
    // client sends the authkey of the typed password, then logs out with the session that just ended,
    // and shows its login page; a login with the old password then fails.
    test('the web client\'s recorded sequence: DELETE /user/delete/ with the authkey, logout 401, no login after', async () => {
      const alice = await person('alice');
      const other = await client.login({ username: alice.username, password: PASSWORD, sendDeviceTime: false });
      await secret(alice, { parent_datastore_id: alice.datastoreId });

      const wrong = await alice.request('DELETE', '/user/delete/', { authkey: await deriveAuthkey(alice.username, 'not the password', DEFAULT_HASHING_PARAMETERS) });
      assert.deepEqual(body(wrong, 400), { non_field_errors: ['PASSWORD_INCORRECT'] }, 'a wrong password deletes nothing');
      body(await alice.request('GET', `/datastore/${alice.datastoreId}/`), 200);

      assert.deepEqual(body(await alice.request('DELETE', '/user/delete/', { authkey: alice.authkey }), 200), {}, 'control: the right password deletes');
      assert.equal((await alice.request('POST', '/authentication/logout/', {})).status, 401, 'the session went with the account');
      assert.equal((await other.request('GET', '/datastore/')).status, 401, 'so did every other session');
      await assert.rejects(client.login({ username: alice.username, password: PASSWORD, sendDeviceTime: false }), VaultClientError);
      assert.equal(await t.stores.vault.findUserByUsername(alice.username), undefined);
      // The name is free again, as in Psono; the new account sees nothing of the old one.
      await client.register(alice.username, `${alice.username.split('@')[0]}@mail.example.com`, PASSWORD);
      const again = await client.login({ username: alice.username, password: PASSWORD, sendDeviceTime: false });
      assert.deepEqual(body<{ datastores: unknown[] }>(await again.request('GET', '/datastore/'), 200).datastores, []);
    });

    test('an API-key session may not delete the account; the person may', async () => {
      const carol = await person('carol');
      const ask = randomBytes(32);
      const apiKeyId = body<{ api_key_id: string }>(
        await carol.request('PUT', '/api-key/', {
          title: 'ci', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
          user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
          verify_key: toHex(signKeyPairFromSeed(ask).publicKey), restrict_to_secrets: false, allow_insecure_access: false, read: true, write: true,
        }),
        201,
      ).api_key_id;
      const { session: keySession } = await loginWithApiKey(client, { apiKeyId, privateKeyHex: toHex(ask), secretKeyHex: ct(32) });
      assert.equal((await keySession.request('DELETE', '/user/delete/', { authkey: carol.authkey })).status, 403);
      assert.ok(await t.stores.vault.findUserByUsername(carol.username), 'still there');
      body(await carol.request('DELETE', '/user/delete/', { authkey: carol.authkey }), 200);
      assert.equal((await keySession.request('GET', '/datastore/')).status, 401, 'the key\'s session ended with the account');
    });

    test('what only the account reached goes; what another person reaches stays with them', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const carol = await person('carol');

      const privateSecret = await secret(alice, { parent_datastore_id: alice.datastoreId });
      // Shared with Bob, accepted and hung in his datastore; Bob also wrote an entry into it.
      const toBob = await share(alice, { parent_datastore_id: alice.datastoreId });
      const inToBob = await secret(alice, { parent_share_id: toBob });
      const bobRight = await grant(alice, toBob, bob, { read: true, write: true, grant: false });
      body(await bob.request('POST', '/share/right/accept/', { share_right_id: bobRight, key: ct(), key_nonce: nonce() }), 200);
      body(await bob.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: toBob, parent_datastore_id: bob.datastoreId }), 201);
      const bobsEntry = await secret(bob, { parent_share_id: toBob });
      // Offered to Carol, who has not answered; with a folder share inside it.
      const toCarol = await share(alice, { parent_datastore_id: alice.datastoreId });
      const inToCarol = await secret(alice, { parent_share_id: toCarol });
      const nested = await share(alice, { parent_share_id: toCarol });
      const inNested = await secret(alice, { parent_share_id: nested });
      await grant(alice, toCarol, carol, { read: true, write: false, grant: false });
      const offered = async () => body<{ shares: Array<{ id: string }> }>(await carol.request('GET', '/share/'), 200).shares.map((s) => s.id);
      assert.deepEqual(await offered(), [toCarol], 'Carol sees the offer');
      // A group of her own (shared with), and one with Bob in it (shared with too).
      const lonely = await group(alice);
      const toLonely = await share(alice, { parent_datastore_id: alice.datastoreId });
      await groupRight(alice, toLonely, lonely);
      const team = await group(alice);
      const membership = await invite(alice, team, bob);
      body(await bob.request('POST', '/membership/accept/', { membership_id: membership }), 200);
      const toTeam = await share(alice, { parent_datastore_id: alice.datastoreId });
      await groupRight(alice, toTeam, team);

      body(await alice.request('DELETE', '/user/delete/', { authkey: alice.authkey }), 200);

      const objects = t.stores.objects;
      for (const [what, id] of [['her private entry', privateSecret], ['the entry of the share only Carol was offered', inToCarol], ['the entry of the folder inside it', inNested]] as const) {
        assert.equal(await objects.getSecret(id), undefined, `${what} is gone`);
      }
      for (const [what, id] of [['the share only offered', toCarol], ['the share inside it', nested], ['the share of her own group', toLonely]] as const) {
        assert.equal(await objects.getShare(id), undefined, `${what} is gone`);
      }
      assert.deepEqual(await objects.groups.groupRightsOfGroup(lonely, new Date()), [], 'her memberless group went, with its rights');
      assert.deepEqual(await offered(), [], 'the offer went with its share');
      assert.equal((await carol.request('GET', `/share/${toCarol}/`)).status, 400, 'Carol reaches nothing');

      // Controls: Bob keeps the accepted share, its entries (hers and his), and the group share.
      assert.equal(body<{ user_id: unknown }>(await bob.request('GET', `/share/${toBob}/`), 200).user_id, null, 'the creator is gone, the share is not');
      body(await bob.request('GET', `/secret/${inToBob}/`), 200);
      body(await bob.request('GET', `/secret/${bobsEntry}/`), 200);
      body(await bob.request('GET', `/share/${toTeam}/`), 200);
      assert.equal((await objects.groups.membersOf(team)).length, 1, 'the group with Bob in it stays');
      body(await bob.request('GET', `/group/${team}/`), 200);
      assert.ok(await objects.getShare(toBob));
    });
  });
}
