import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

// The defects of issue 8 items 1, 2, 12 and 13 (second half), each driven through the real SDK the
// way a client (or an attacker) would. Every refusal has its control.
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'defects passphrase';
const REFUSED = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
type Flags = { read: boolean; write: boolean; grant: boolean };

for (const backend of BACKENDS) {
  describe(`vault sharing defects of issue 8 (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      const datastoreId = body<{ datastore_id: string }>(await session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }), 201).datastore_id;
      return Object.assign(session, { datastoreId, username });
    };
    const body = <T>(res: { status: number; body: unknown }, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body as T;
    };
    const share = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }, linkId: string = randomUUID()) =>
      body<{ share_id: string }>(await owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: linkId, ...parent }), 201).share_id;
    const secret = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }, linkId: string = randomUUID()) =>
      body<{ secret_id: string }>(await owner.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: linkId, ...parent }), 201).secret_id;
    const grant = async (granter: VaultSession, shareId: string, to: VaultSession, flags: Flags) =>
      body<{ share_right_id: string }>(
        await granter.request('PUT', '/share/right/', { share_id: shareId, user_id: to.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags }),
        201,
      ).share_right_id;
    const accept = async (who: VaultSession, rightId: string) => body(await who.request('POST', '/share/right/accept/', { share_right_id: rightId, key: ct(), key_nonce: nonce() }), 200);
    const rightsOf = async (who: VaultSession, shareId: string) => (await who.request('GET', `/share/${shareId}/`)) as { status: number; body: { rights?: Flags } };

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('item 1: a link under one\'s own share passes on no more than its creator holds, and ends with her right', async () => {
      const alice = await person('alice');
      const mallory = await person('mallory');
      const friend = await person('friend');
      const x = await share(alice, { parent_datastore_id: alice.datastoreId });
      const xSecret = await secret(alice, { parent_share_id: x });
      const malloryRight = await grant(alice, x, mallory, { read: true, write: false, grant: true });
      await accept(mallory, malloryRight);
      const m = await share(mallory, { parent_datastore_id: mallory.datastoreId });
      const link = randomUUID();
      body(await mallory.request('PUT', '/share/link/', { link_id: link, share_id: x, parent_share_id: m }), 201);
      await accept(friend, await grant(mallory, m, friend, { read: true, write: true, grant: true }));

      const reached = await rightsOf(friend, x);
      assert.equal(reached.status, 200, 'control: the friend reads X through the link');
      assert.deepEqual(reached.body.rights, { read: true, write: false, grant: true }, 'no more than Mallory holds');
      assert.deepEqual((await friend.request('POST', '/secret/', { secret_id: xSecret, data: ct(40), data_nonce: nonce() })).body, REFUSED, 'no write through the link');
      assert.deepEqual((await friend.request('PUT', '/share/', { share_id: x, data: ct(40), data_nonce: nonce() })).body, REFUSED);
      body(await alice.request('POST', '/secret/', { secret_id: xSecret, data: ct(40), data_nonce: nonce() }), 200);

      // The owner sees who reaches X by inheritance, and every link that hangs X somewhere.
      const listing = body<{ inherited_share_rights: Array<{ user_id: string } & Flags>; share_links: Array<{ link_id: string; parent_share_id: string | null; creator_user_id: string | null }> }>(
        await alice.request('GET', `/share/rights/${x}/`),
        200,
      );
      assert.deepEqual(listing.inherited_share_rights.map(({ user_id, read, write, grant }) => ({ user_id, read, write, grant })), [{ user_id: friend.userId, read: true, write: false, grant: true }]);
      const malloryLink = listing.share_links.find((l) => l.link_id === link);
      assert.deepEqual(malloryLink && { parent_share_id: malloryLink.parent_share_id, creator_user_id: malloryLink.creator_user_id }, { parent_share_id: m, creator_user_id: mallory.userId });
      const aliceLink = listing.share_links.find((l) => l.link_id !== link);
      assert.ok(aliceLink, 'the owner\'s own link is listed too');

      // A holder of grant who holds less than a link's creator cannot remove it (control below).
      assert.deepEqual((await mallory.request('DELETE', '/share/link/', { link_id: aliceLink.link_id })).body, REFUSED, 'Mallory removes no link of Alice');

      // Revoking the creator cuts the path.
      body(await alice.request('DELETE', '/share/right/', { user_share_right_id: malloryRight }), 200);
      assert.deepEqual((await friend.request('GET', `/share/${x}/`)).body, REFUSED, 'revoked: the friend reaches nothing');
      assert.deepEqual((await friend.request('GET', `/secret/${xSecret}/`)).body, REFUSED);
      assert.equal((await alice.request('GET', `/secret/${xSecret}/`)).status, 200, 'control: the owner reads');

      // The owner removes the link she never made, under a share she cannot write.
      body(await alice.request('DELETE', '/share/link/', { link_id: link }), 200);
      const after = body<{ share_links: Array<{ link_id: string }> }>(await alice.request('GET', `/share/rights/${x}/`), 200);
      assert.deepEqual(after.share_links.map((l) => l.link_id), [aliceLink.link_id]);
    });

    test('item 2: a right that takes inherited flags away waits for its holder, who may decline it or delete it', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const granter = await person('granter');
      const parent = await share(alice, { parent_datastore_id: alice.datastoreId });
      const [c1, c2, c3] = [await share(alice, { parent_share_id: parent }), await share(alice, { parent_share_id: parent }), await share(alice, { parent_share_id: parent })];
      await accept(bob, await grant(alice, parent, bob, { read: true, write: true, grant: false }));
      for (const c of [c1, c2]) await accept(granter, await grant(alice, c, granter, { read: true, write: false, grant: true }));
      const writeShare = (who: VaultSession, shareId: string) => who.request('PUT', '/share/', { share_id: shareId, data: ct(40), data_nonce: nonce() });

      // The lock-out: a grant-only user gives Bob a read-only right where Bob inherits read+write.
      const lockOut = await grant(granter, c1, bob, { read: true, write: false, grant: false });
      assert.equal((await t.stores.objects.getShareRight(lockOut))?.accepted, null, 'pending, not accepted for him');
      body(await writeShare(bob, c1), 200);
      body(await bob.request('POST', '/share/right/decline/', { share_right_id: lockOut }), 200);
      body(await writeShare(bob, c1), 200);
      body(await bob.request('DELETE', '/share/right/', { user_share_right_id: lockOut }), 200);
      assert.equal(await t.stores.objects.getShareRight(lockOut), undefined, 'his to delete, declined');

      // Accepted by mistake: deleting it gives back what he inherits.
      const accepted = await grant(granter, c2, bob, { read: true, write: false, grant: false });
      await accept(bob, accepted);
      assert.deepEqual((await writeShare(bob, c2)).body, REFUSED, 'the accepted right is his right on c2');
      assert.deepEqual((await granter.request('DELETE', '/share/right/', { user_share_right_id: randomUUID() })).body, REFUSED, 'an unknown right');
      body(await bob.request('DELETE', '/share/right/', { user_share_right_id: accepted }), 200);
      body(await writeShare(bob, c2), 200);

      // Controls: a right that takes nothing away is accepted at once; no one deletes another's right without grant.
      const more = await grant(alice, c3, bob, { read: true, write: true, grant: true });
      assert.equal((await t.stores.objects.getShareRight(more))?.accepted, true);
      assert.deepEqual((await granter.request('DELETE', '/share/right/', { user_share_right_id: more })).body, REFUSED, 'the granter holds nothing on c3');
      assert.equal((await alice.request('GET', `/share/${c3}/`)).status, 200);
    });

    test('item 12: sharing an entry exactly as the official web client does', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const x = randomUUID();
      const secretId = await secret(alice, { parent_datastore_id: alice.datastoreId }, x);
      const shareId = await share(alice, { parent_datastore_id: alice.datastoreId }, x);
      body(await alice.request('POST', '/secret/link/', { link_id: x, new_parent_share_id: shareId }), 200);
      assert.deepEqual((await bob.request('GET', `/secret/${secretId}/`)).body, REFUSED, 'not yet shared with Bob');
      await accept(bob, await grant(alice, shareId, bob, { read: true, write: false, grant: false }));
      const read = body<{ data: string }>(await bob.request('GET', `/secret/${secretId}/`), 200);
      assert.ok(read.data.length > 0);
      // Each link endpoint changes its own kind: the share's link goes, the secret's link stays.
      body(await alice.request('DELETE', '/share/link/', { link_id: x }), 200);
      assert.deepEqual((await t.stores.objects.getSecretLink(x))?.parent, { shareId });
      assert.equal(await t.stores.objects.getShareLink(x), undefined);
      assert.equal((await bob.request('GET', `/secret/${secretId}/`)).status, 200, 'the secret is still in the share');
    });

    test('item 13: moving or deleting a link that does not exist is a 400 NO_PERMISSION_OR_NOT_EXIST', async () => {
      const alice = await person('alice');
      const shareId = await share(alice, { parent_datastore_id: alice.datastoreId });
      const other = await share(alice, { parent_datastore_id: alice.datastoreId });
      const secretLink = randomUUID();
      await secret(alice, { parent_datastore_id: alice.datastoreId }, secretLink);
      const shareLink = randomUUID();
      body(await alice.request('PUT', '/share/link/', { link_id: shareLink, share_id: other, parent_share_id: shareId }), 201);
      const unknown = randomUUID();
      for (const [method, path, linkId] of [
        ['POST', '/secret/link/', unknown], ['DELETE', '/secret/link/', unknown], ['POST', '/share/link/', unknown], ['DELETE', '/share/link/', unknown],
        ['POST', '/secret/link/', shareLink], ['DELETE', '/secret/link/', shareLink], ['POST', '/share/link/', secretLink], ['DELETE', '/share/link/', secretLink],
      ] as const) {
        const res = await alice.request(method, path, { link_id: linkId, new_parent_datastore_id: alice.datastoreId });
        assert.equal(res.status, 400, `${method} ${path}`);
        assert.deepEqual(res.body, REFUSED, `${method} ${path}`);
      }
      // Controls: the same calls on links of their own kind.
      body(await alice.request('POST', '/secret/link/', { link_id: secretLink, new_parent_share_id: shareId }), 200);
      body(await alice.request('POST', '/share/link/', { link_id: shareLink, new_parent_datastore_id: alice.datastoreId }), 200);
      body(await alice.request('DELETE', '/secret/link/', { link_id: secretLink }), 200);
      body(await alice.request('DELETE', '/share/link/', { link_id: shareLink }), 200);

      // A link that stops existing between the check and the write: of two deletes at once, one
      // deletes it and the other is told it does not exist.
      for (const path of ['/secret/link/', '/share/link/'] as const) {
        const linkId = randomUUID();
        if (path === '/secret/link/') await secret(alice, { parent_datastore_id: alice.datastoreId }, linkId);
        else body(await alice.request('PUT', '/share/link/', { link_id: linkId, share_id: other, parent_datastore_id: alice.datastoreId }), 201);
        const answers = await Promise.all([alice.request('DELETE', path, { link_id: linkId }), alice.request('DELETE', path, { link_id: linkId })]);
        assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400], `DELETE ${path} twice at once`);
      }
    });
  });
}
