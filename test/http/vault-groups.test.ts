import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { fromHex, toHex, utf8Bytes, utf8Text } from '../../src/crypto/encoding.js';
import { boxKeyPair, boxOpen, boxSeal, secretboxOpen, secretboxSeal } from '../../src/crypto/nacl.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';
import { bodyOf, registerPerson, type VaultPerson } from '../helpers/vault-people.js';

// Groups (docs/vault-protocol.md §3.10, docs/authorization.md "Groups"), driven through the real SDK
// the way the official web client (and an attacker holding some rights) would. Every refusal has its
// control. The group keys are real: the server stores and hands back what only members can open.
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'groups passphrase';
const REFUSED = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
const NOT_ADMIN = { group_id: ['NO_PERMISSION_OR_NOT_EXIST'] };
const NOT_SHARE_ADMIN = { non_field_errors: ["You don't have the necessary rights to share with this group."] };
const PROCESSED = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST_OR_ALREADY_PROCESSED_MEMBERSHIP'] };
type Flags = { read: boolean; write: boolean; grant: boolean };
type Person = VaultPerson;
const hex = (text: string) => fromHex(text) as Uint8Array;

/** A group as its creator's client holds it: the keys in clear (never sent), and the ids. */
interface Group {
  id: string;
  secretKey: Uint8Array;
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array };
}

for (const backend of BACKENDS) {
  describe(`vault groups (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    const body = bodyOf;
    const person = (who: string): Promise<Person> => registerPerson(client, who, PASSWORD);
    const share = async (owner: VaultSession, parent: { parent_datastore_id: string } | { parent_share_id: string }) =>
      body<{ share_id: string }>(await owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), ...parent }), 201).share_id;
    const secret = async (owner: VaultSession, parent: { parent_share_id: string }) =>
      body<{ secret_id: string }>(await owner.request('PUT', '/secret/', { data: ct(40), data_nonce: nonce(), link_id: randomUUID(), ...parent }), 201).secret_id;
    const userRight = async (granter: VaultSession, shareId: string, to: VaultSession, flags: Flags) => {
      const { share_right_id } = body<{ share_right_id: string }>(
        await granter.request('PUT', '/share/right/', { share_id: shareId, user_id: to.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), ...flags }),
        201,
      );
      body(await to.request('POST', '/share/right/accept/', { share_right_id, key: ct(), key_nonce: nonce() }), 200);
    };

    /** PUT /group/ as the web client's createGroup sends it: the keys encrypted under the creator's own secret key. */
    const createGroup = async (creator: Person, name = `team ${randomBytes(3).toString('hex')}`): Promise<Group> => {
      const secretKey = randomBytes(32);
      const keyPair = boxKeyPair();
      const userKey = randomBytes(32); // stands in for the creator's secret key: only its owner opens these two
      const sk = secretboxSeal(userKey, utf8Bytes(toHex(secretKey)));
      const pk = secretboxSeal(userKey, utf8Bytes(toHex(keyPair.secretKey)));
      const created = body<{ group_id: string }>(
        await creator.request('PUT', '/group/', {
          name,
          secret_key: toHex(sk.ciphertext),
          secret_key_nonce: toHex(sk.nonce),
          private_key: toHex(pk.ciphertext),
          private_key_nonce: toHex(pk.nonce),
          public_key: toHex(keyPair.publicKey),
        }),
        201,
      );
      return { id: created.group_id, secretKey, keyPair };
    };
    /** PUT /membership/ as createMembership sends it: both group keys boxed from the group's key pair to the user's public key. */
    const inviteBody = (group: Group, user: Person, flags: { group_admin?: boolean; share_admin?: boolean } = {}) => {
      const userPublicKey = hex(user.userPublicKey);
      const sk = boxSeal(group.keyPair.secretKey, userPublicKey, utf8Bytes(toHex(group.secretKey)));
      const pk = boxSeal(group.keyPair.secretKey, userPublicKey, utf8Bytes(toHex(group.keyPair.secretKey)));
      return {
        group_id: group.id,
        user_id: user.userId,
        secret_key: toHex(sk.ciphertext),
        secret_key_nonce: toHex(sk.nonce),
        secret_key_type: 'asymmetric',
        private_key: toHex(pk.ciphertext),
        private_key_nonce: toHex(pk.nonce),
        private_key_type: 'asymmetric',
        group_admin: flags.group_admin ?? false,
        share_admin: flags.share_admin ?? false,
      };
    };
    const invite = async (admin: Person, group: Group, user: Person, flags: { group_admin?: boolean; share_admin?: boolean } = {}) =>
      body<{ membership_id: string }>(await admin.request('PUT', '/membership/', inviteBody(group, user, flags)), 201).membership_id;
    const join = async (admin: Person, group: Group, user: Person, flags: { group_admin?: boolean; share_admin?: boolean } = {}) => {
      const membershipId = await invite(admin, group, user, flags);
      body(await user.request('POST', '/membership/accept/', { membership_id: membershipId }), 200);
      return membershipId;
    };
    /** PUT /share/right/ with a group, as the share dialog sends it: the share key under the group's secret key. */
    const groupRightBody = (group: Group, shareId: string, flags: Flags) => {
      const seal = (text: string) => secretboxSeal(group.secretKey, utf8Bytes(text));
      const [key, title, type] = [seal(toHex(randomBytes(32))), seal('Team folder'), seal('folder')];
      return {
        share_id: shareId,
        group_id: group.id,
        key: toHex(key.ciphertext),
        key_nonce: toHex(key.nonce),
        title: toHex(title.ciphertext),
        title_nonce: toHex(title.nonce),
        type: toHex(type.ciphertext),
        type_nonce: toHex(type.nonce),
        ...flags,
      };
    };
    const shareWithGroup = async (granter: Person, group: Group, shareId: string, flags: Flags) =>
      body<{ share_right_id: string }>(await granter.request('PUT', '/share/right/', groupRightBody(group, shareId, flags)), 201).share_right_id;
    const reads = async (who: VaultSession, shareId: string) => (await who.request('GET', `/share/${shareId}/`)).status;

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_REGISTRATION: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
    });
    after(async () => t.close());

    test('the web client\'s sequence: create, invite, accept, share a folder, the member reads, removal ends it', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const carol = await person('carol');
      // Groups screen → "Create group" (PUT /group/), then the list (GET /group/).
      const group = await createGroup(alice, 'Operations');
      const listed = body<{ groups: Array<Record<string, unknown>> }>(await alice.request('GET', '/group/'), 200).groups;
      assert.deepEqual(listed.map((g) => [g.group_id, g.name, g.group_admin, g.share_admin, g.accepted, g.secret_key_type]), [[group.id, 'Operations', true, true, true, 'symmetric']]);
      // Edit group → search the user (POST /user/search/), add them (PUT /membership/).
      const found = body<{ id: string; public_key: string }>(await alice.request('POST', '/user/search/', { user_username: bob.username }), 200);
      assert.equal(found.id, bob.userId);
      const membershipId = await invite(alice, group, bob, { share_admin: false });

      // Bob sees the invitation (GET /user/status/, GET /group/) with who sent it, and no keys yet.
      assert.equal(body<{ unaccepted_groups_count: number }>(await bob.request('GET', '/user/status/'), 200).unaccepted_groups_count, 1);
      const pending = body<{ groups: Array<Record<string, unknown>> }>(await bob.request('GET', '/group/'), 200).groups;
      assert.equal(pending.length, 1);
      assert.deepEqual([pending[0]?.membership_id, pending[0]?.accepted, pending[0]?.user_id, pending[0]?.user_username, pending[0]?.share_right_grant], [membershipId, null, alice.userId, alice.username, true]);
      assert.equal(pending[0]?.secret_key, undefined, 'an invitation carries no keys');
      body(await bob.request('GET', `/group/${group.id}/`), 200);
      assert.equal(((await bob.request('GET', `/group/${group.id}/`)).body as Record<string, unknown>).members, undefined, 'an invited user does not see the members');

      // Bob accepts (POST /membership/accept/): his keys, which open with his private key only.
      const accepted = body<{ shares: unknown[]; secret_key: string; secret_key_nonce: string; private_key: string; private_key_nonce: string }>(
        await bob.request('POST', '/membership/accept/', { membership_id: membershipId }),
        200,
      );
      assert.deepEqual(accepted.shares, []);
      const opened = boxOpen(group.keyPair.publicKey, bob.userPrivateKey.reveal(), hex(accepted.secret_key), hex(accepted.secret_key_nonce));
      assert.equal(opened && utf8Text(opened), toHex(group.secretKey), 'the member opens the group secret key');
      assert.equal(boxOpen(group.keyPair.publicKey, carol.userPrivateKey.reveal(), hex(accepted.secret_key), hex(accepted.secret_key_nonce)), undefined, 'no one else does');
      assert.equal(body<{ unaccepted_groups_count: number }>(await bob.request('GET', '/user/status/'), 200).unaccepted_groups_count, 0);

      // Alice shares a folder with the group (POST /share/, PUT /secret/ in it, PUT /share/right/ with group_id).
      const folder = await share(alice, { parent_datastore_id: alice.datastoreId });
      const entry = await secret(alice, { parent_share_id: folder });
      assert.equal(await reads(bob, folder), 400, 'before the group has a right, the member reads nothing');
      const rightId = await shareWithGroup(alice, group, folder, { read: true, write: false, grant: false });
      const onShare = body<{ group_share_rights: Array<Record<string, unknown>> }>(await alice.request('GET', `/share/rights/${folder}/`), 200).group_share_rights;
      assert.deepEqual(onShare.map((r) => [r.id, r.group_id, r.group_name, r.read, r.write, r.grant]), [[rightId, group.id, 'Operations', true, false, false]]);

      // Bob's client finds the new group share (GET /group/rights/, GET /group/{id}/), opens its key, links it into his datastore.
      const groupRights = body<{ group_rights: Array<Record<string, unknown>> }>(await bob.request('GET', '/group/rights/'), 200).group_rights;
      assert.deepEqual(groupRights.map((r) => [r.group_id, r.share_id, r.read]), [[group.id, folder, true]]);
      const details = body<{ group_share_rights: Array<{ share_id: string; key: string; key_nonce: string }>; members: Array<{ id: string; accepted: boolean }> }>(
        await bob.request('GET', `/group/${group.id}/`),
        200,
      );
      assert.deepEqual(details.members.map((m) => [m.id, m.accepted]), [[alice.userId, true], [bob.userId, true]]);
      const sharedKey = details.group_share_rights[0];
      assert.ok(sharedKey && secretboxOpen(group.secretKey, hex(sharedKey.key), hex(sharedKey.key_nonce)), 'the share key opens with the group secret key');
      body(await bob.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: folder, parent_datastore_id: bob.datastoreId }), 201);
      const myRights = body<{ share_rights: Array<{ share_id: string } & Flags> }>(await bob.request('GET', '/share/right/'), 200).share_rights;
      assert.deepEqual(myRights, [{ share_id: folder, read: true, write: false, grant: false }], 'GET /share/right/ merges the group\'s rights');
      // Bob reads the folder and the entry; he cannot write them (the group has read only).
      assert.deepEqual(body<{ rights: Flags }>(await bob.request('GET', `/share/${folder}/`), 200).rights, { read: true, write: false, grant: false });
      body(await bob.request('GET', `/secret/${entry}/`), 200);
      assert.deepEqual((await bob.request('POST', '/secret/', { secret_id: entry, data: ct(40), data_nonce: nonce() })).body, REFUSED);
      assert.equal(await reads(carol, folder), 400, 'control: a non-member reads nothing');

      // A member who joins later gets the group's shares with the acceptance, data included.
      const carolMembership = await invite(alice, group, carol);
      const carolAccepted = body<{ shares: Array<Record<string, unknown>> }>(await carol.request('POST', '/membership/accept/', { membership_id: carolMembership }), 200);
      assert.deepEqual(carolAccepted.shares.map((s) => [s.share_id, typeof s.share_data, typeof s.share_key]), [[folder, 'string', 'string']]);
      assert.equal(await reads(carol, folder), 200);

      // Alice removes Bob (DELETE /membership/): from the next request on, his cached ids open nothing.
      body(await alice.request('DELETE', '/membership/', { membership_id: membershipId }), 200);
      assert.equal(await reads(bob, folder), 400);
      assert.deepEqual((await bob.request('GET', `/secret/${entry}/`)).body, REFUSED);
      assert.deepEqual((await bob.request('POST', '/bulk-secret-read/', { secret_ids: [entry] })).body, { secrets: [] });
      assert.deepEqual(body<{ share_rights: unknown[] }>(await bob.request('GET', '/share/right/'), 200).share_rights, []);
      assert.deepEqual(body<{ group_rights: unknown[] }>(await bob.request('GET', '/group/rights/'), 200).group_rights, []);
      assert.deepEqual((await bob.request('GET', `/group/rights/${group.id}/`)).body, REFUSED);
      assert.deepEqual((await bob.request('GET', `/group/${group.id}/`)).body, { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: group.id });
      assert.deepEqual((await bob.request('POST', '/membership/accept/', { membership_id: membershipId })).body, PROCESSED, 'a removed membership cannot be accepted again');
      assert.equal(await reads(carol, folder), 200, 'control: the remaining member still reads');

      // Carol leaves the group herself; then she too reads nothing.
      body(await carol.request('DELETE', '/membership/', { membership_id: carolMembership }), 200);
      assert.equal(await reads(carol, folder), 400);
      assert.equal(await reads(alice, folder), 200, 'control: the owner reads');
    });

    test('/info/ shows the web client its group screens (compliance_disable_unmanaged_groups is false)', async () => {
      const { info } = await client.info();
      assert.equal(info.compliance_disable_unmanaged_groups, false);
    });

    // Recorded from the official web client (psono-client 252e7dd1) in Chromium against this server:
    // the requests of its group screens, in order, with the fields it sends (reads of the caller's
    // own datastores between them left out). Turning a folder with an entry into a share moves the
    // entry's existing link into the new share after the group's right is given.
    test('the web client\'s recorded sequence: a folder with an entry becomes a group share; the member links and reads it; removal ends it', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const ok = async (who: VaultSession, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, status: number, payload?: unknown) =>
        body(await who.request(method, path, payload), status);
      // Groups screen, "Create": PUT /group/ (name and the four key fields and the public key), the list again.
      await ok(alice, 'GET', '/group/', 200);
      await ok(alice, 'GET', '/group/rights/', 200);
      const group = await createGroup(alice, 'Operations');
      await ok(alice, 'GET', '/group/', 200);
      // Edit group: the group, the user search (with an empty e-mail), the group again, then the Member box: PUT /membership/ without admin flags.
      await ok(alice, 'GET', `/group/${group.id}/`, 200);
      assert.equal(body<{ id: string }>(await alice.request('POST', '/user/search/', { user_username: bob.username, user_email: '' }), 200).id, bob.userId);
      await ok(alice, 'GET', `/group/${group.id}/`, 200);
      const { group_admin: _g, share_admin: _s, ...invitation } = inviteBody(group, bob);
      const { membership_id } = body<{ membership_id: string }>(await alice.request('PUT', '/membership/', invitation), 201);
      // Bob's Groups screen: the list, the rights, a search for the inviter, "Accept".
      const listed = body<{ groups: Array<Record<string, unknown>> }>(await bob.request('GET', '/group/'), 200).groups;
      assert.deepEqual(listed.map((g) => [g.membership_id, g.accepted, g.group_admin, g.share_admin]), [[membership_id, null, false, false]]);
      assert.deepEqual(body<{ group_rights: unknown[] }>(await bob.request('GET', '/group/rights/'), 200).group_rights, []);
      assert.equal(body<{ id: string }>(await bob.request('POST', '/user/search/', { user_username: alice.username }), 200).id, alice.userId);
      assert.deepEqual(body<{ shares: unknown[] }>(await bob.request('POST', '/membership/accept/', { membership_id }), 200).shares, []);
      await ok(bob, 'GET', '/group/', 200);

      // Alice's folder "Team" with the entry "Router" lives in her datastore's data; the entry is a secret linked into the datastore.
      const entryLink = randomUUID();
      const { secret_id } = body<{ secret_id: string }>(
        await alice.request('PUT', '/secret/', { data: ct(60), data_nonce: nonce(), link_id: entryLink, parent_datastore_id: alice.datastoreId, callback_url: '', callback_user: '', callback_pass: '' }),
        201,
      );
      // Share → Groups → the group, Read: POST /share/, PUT /share/right/ with group_id, the datastore saved, then the entry's link moved into the share.
      await ok(alice, 'GET', '/group/', 200);
      await ok(alice, 'GET', '/share/right/', 200);
      const { share_id } = body<{ share_id: string }>(
        await alice.request('POST', '/share/', { data: ct(60), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', parent_datastore_id: alice.datastoreId, link_id: randomUUID() }),
        201,
      );
      const { share_right_id } = body<{ share_right_id: string }>(await alice.request('PUT', '/share/right/', groupRightBody(group, share_id, { read: true, write: false, grant: false })), 201);
      await ok(alice, 'POST', '/secret/link/', 200, { link_id: entryLink, new_parent_share_id: share_id });

      // Bob's Groups screen, "Accept new shares": list, rights, status, the group (the share key), PUT /share/link/ into his datastore.
      await ok(bob, 'GET', '/group/', 200);
      const rights = body<{ group_rights: Array<{ id: string; share_id: string }> }>(await bob.request('GET', '/group/rights/'), 200).group_rights;
      assert.deepEqual(rights.map((r) => [r.id, r.share_id]), [[share_right_id, share_id]]);
      await ok(bob, 'GET', '/user/status/', 200);
      const details = body<{ group_share_rights: Array<{ share_id: string; key: string; key_nonce: string }> }>(await bob.request('GET', `/group/${group.id}/`), 200);
      const given = details.group_share_rights.find((r) => r.share_id === share_id);
      assert.ok(given && secretboxOpen(group.secretKey, hex(given.key), hex(given.key_nonce)), 'the share key opens with the group secret key');
      await ok(bob, 'PUT', '/share/link/', 201, { link_id: randomUUID(), share_id, parent_datastore_id: bob.datastoreId });
      // Home: his rights, the share, the entry.
      assert.deepEqual(body<{ share_rights: unknown[] }>(await bob.request('GET', '/share/right/'), 200).share_rights, [{ share_id, read: true, write: false, grant: false }]);
      await ok(bob, 'GET', `/share/${share_id}/`, 200);
      await ok(bob, 'GET', `/secret/${secret_id}/`, 200);

      // Alice unticks Bob's Member box: the group, DELETE /membership/. Bob's next load finds no right and reads nothing.
      await ok(alice, 'GET', `/group/${group.id}/`, 200);
      await ok(alice, 'DELETE', '/membership/', 200, { membership_id });
      assert.deepEqual(body<{ share_rights: unknown[] }>(await bob.request('GET', '/share/right/'), 200).share_rights, []);
      assert.equal(await reads(bob, share_id), 400);
      assert.deepEqual((await bob.request('GET', `/secret/${secret_id}/`)).body, REFUSED);
      await ok(alice, 'GET', `/secret/${secret_id}/`, 200); // control: the owner still reads the moved entry
    });

    // Recorded likewise: the Member, Share Admin and Group Admin boxes of the edit dialog, ticked before the
    // invited user has answered; Decline on one invitation, Accept then Leave on the other.
    test('the web client\'s recorded sequence: admin flags on a pending invitation, a decline, a member leaving', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const carol = await person('carol');
      const group = await createGroup(alice, 'Support');
      const invite = async (user: Person) => {
        const { group_admin: _g, share_admin: _s, ...invitation } = inviteBody(group, user);
        return body<{ membership_id: string }>(await alice.request('PUT', '/membership/', invitation), 201).membership_id;
      };
      const bobs = await invite(bob);
      const carols = await invite(carol);
      body(await alice.request('POST', '/membership/', { membership_id: bobs, group_admin: false, share_admin: true }), 200);
      body(await alice.request('POST', '/membership/', { membership_id: bobs, group_admin: true, share_admin: true }), 200);
      const pending = body<{ groups: Array<Record<string, unknown>> }>(await bob.request('GET', '/group/'), 200).groups;
      assert.deepEqual(pending.map((g) => [g.accepted, g.group_admin, g.share_admin]), [[null, true, true]]);
      assert.deepEqual((await bob.request('POST', '/group/', { group_id: group.id, name: 'Taken over' })).body, REFUSED, 'a pending group admin is no admin yet');

      body(await carol.request('POST', '/membership/decline/', { membership_id: carols }), 200);
      assert.deepEqual(body<{ groups: unknown[] }>(await carol.request('GET', '/group/'), 200).groups, [], 'a declined group is no longer listed');

      body(await bob.request('POST', '/membership/accept/', { membership_id: bobs }), 200);
      body(await bob.request('POST', '/group/', { group_id: group.id, name: 'Support desk' }), 200);
      body(await bob.request('DELETE', '/membership/', { membership_id: bobs }), 200);
      assert.deepEqual(body<{ groups: unknown[] }>(await bob.request('GET', '/group/'), 200).groups, [], 'left');
      assert.deepEqual((await bob.request('POST', '/group/', { group_id: group.id, name: 'Again' })).body, REFUSED, 'a member who left is no admin');
      const members = body<{ members: Array<{ id: string; accepted: boolean | null }> }>(await alice.request('GET', `/group/${group.id}/`), 200).members;
      assert.deepEqual(members.map((m) => [m.id, m.accepted]), [[alice.userId, true], [carol.userId, false]]);
    });

    test('an invitation is declined once; a pending or declined membership gives nothing; no one answers for another', async () => {
      const alice = await person('alice');
      const bob = await person('bob');
      const mallory = await person('mallory');
      const group = await createGroup(alice);
      const folder = await share(alice, { parent_datastore_id: alice.datastoreId });
      await shareWithGroup(alice, group, folder, { read: true, write: true, grant: false });
      const bobInvite = await invite(alice, group, bob);
      const malloryInvite = await invite(alice, group, mallory);
      assert.equal(await reads(bob, folder), 400, 'pending: nothing');
      // Mallory answers Bob's invitation: refused, as for an unknown one; Bob's stays pending.
      assert.deepEqual((await mallory.request('POST', '/membership/accept/', { membership_id: bobInvite })).body, PROCESSED);
      assert.deepEqual((await mallory.request('POST', '/membership/decline/', { membership_id: bobInvite })).body, PROCESSED);
      assert.deepEqual((await mallory.request('POST', '/membership/accept/', { membership_id: randomUUID() })).body, PROCESSED);
      // Bob declines; the group leaves his list, and he can no longer accept.
      body(await bob.request('POST', '/membership/decline/', { membership_id: bobInvite }), 200);
      assert.deepEqual(body<{ groups: unknown[] }>(await bob.request('GET', '/group/'), 200).groups, []);
      assert.deepEqual((await bob.request('POST', '/membership/accept/', { membership_id: bobInvite })).body, PROCESSED);
      assert.equal(await reads(bob, folder), 400, 'declined: nothing');
      assert.deepEqual((await bob.request('GET', `/group/${group.id}/`)).body, { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: group.id });
      // Control: Mallory accepts her own and reads; the two answers cannot both win.
      const [a, d] = await Promise.all([
        mallory.request('POST', '/membership/accept/', { membership_id: malloryInvite }),
        mallory.request('POST', '/membership/decline/', { membership_id: malloryInvite }),
      ]);
      assert.deepEqual([a.status, d.status].sort(), [200, 400]);
      assert.equal(await reads(mallory, folder), a.status === 200 ? 200 : 400);
      // A declined user can be invited again only once the declined membership is removed.
      assert.deepEqual((await alice.request('PUT', '/membership/', inviteBody(group, bob))).body, { non_field_errors: ['USER_ALREADY_PART_OF_GROUP'] });
      body(await alice.request('DELETE', '/membership/', { membership_id: bobInvite }), 200);
      await join(alice, group, bob);
      assert.equal(await reads(bob, folder), 200);
    });

    test('only group admins manage members: a member, a share admin and an outsider cannot add, promote or remove', async () => {
      const admin = await person('admin');
      const member = await person('member');
      const sharer = await person('sharer');
      const outsider = await person('outsider');
      const newcomer = await person('newcomer');
      const group = await createGroup(admin);
      const memberId = await join(admin, group, member);
      const sharerId = await join(admin, group, sharer, { share_admin: true });
      for (const who of [member, sharer, outsider]) {
        assert.deepEqual((await who.request('PUT', '/membership/', inviteBody(group, newcomer))).body, NOT_ADMIN, 'adding a member');
        // Escalation: a member or a share admin makes itself a group admin.
        const own = who === member ? memberId : who === sharer ? sharerId : memberId;
        assert.deepEqual((await who.request('POST', '/membership/', { membership_id: own, group_admin: true, share_admin: true })).body, REFUSED, 'promoting');
        assert.deepEqual((await who.request('POST', '/group/', { group_id: group.id, name: 'taken over' })).body, REFUSED, 'renaming');
        assert.deepEqual((await who.request('DELETE', '/group/', { group_id: group.id })).body, REFUSED, 'deleting the group');
      }
      assert.deepEqual((await member.request('DELETE', '/membership/', { membership_id: sharerId })).body, REFUSED, 'a member removes another');
      assert.deepEqual((await sharer.request('DELETE', '/membership/', { membership_id: memberId })).body, REFUSED, 'a share admin removes a member');
      const mine = body<{ groups: Array<{ group_admin: boolean; share_admin: boolean }> }>(await sharer.request('GET', '/group/'), 200).groups[0];
      assert.deepEqual([mine?.group_admin, mine?.share_admin], [false, true], 'nothing changed');
      // A pending invitation of a group admin gives no admin rights until accepted.
      const pendingAdmin = await person('pending-admin');
      await invite(admin, group, pendingAdmin, { group_admin: true });
      assert.deepEqual((await pendingAdmin.request('PUT', '/membership/', inviteBody(group, newcomer))).body, NOT_ADMIN);
      // Controls: the admin adds, promotes (Psono's defaults: share_admin true), renames; the promoted member then adds.
      body(await admin.request('POST', '/membership/', { membership_id: memberId, group_admin: true }), 200);
      const promoted = body<{ group_admin: boolean; share_admin: boolean }>(await member.request('GET', `/group/${group.id}/`), 200);
      assert.deepEqual([promoted.group_admin, promoted.share_admin], [true, true]);
      await invite(member, group, newcomer);
      body(await admin.request('POST', '/group/', { group_id: group.id, name: 'Renamed' }), 200);
      assert.equal(body<{ name: string }>(await sharer.request('GET', `/group/${group.id}/`), 200).name, 'Renamed');
      body(await member.request('DELETE', '/membership/', { membership_id: sharerId }), 200);
      assert.deepEqual((await sharer.request('GET', `/group/${group.id}/`)).body, { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: group.id });
    });

    test('sharing with a group needs grant on the share and an accepted share-admin membership, and never gives more than one holds', async () => {
      const owner = await person('owner');
      const admin = await person('admin');
      const sharer = await person('sharer');
      const plain = await person('plain');
      const group = await createGroup(admin);
      await join(admin, group, sharer, { share_admin: true });
      await join(admin, group, plain);
      const folder = await share(owner, { parent_datastore_id: owner.datastoreId });
      const ro = { read: true, write: false, grant: false };
      // A share admin without grant on the share.
      assert.deepEqual((await sharer.request('PUT', '/share/right/', groupRightBody(group, folder, ro))).body, REFUSED);
      // Holders of grant who are not share admins of the group (a plain member, the share's owner who is no member).
      await userRight(owner, folder, plain, { read: true, write: true, grant: true });
      assert.deepEqual((await plain.request('PUT', '/share/right/', groupRightBody(group, folder, ro))).body, NOT_SHARE_ADMIN);
      assert.deepEqual((await owner.request('PUT', '/share/right/', groupRightBody(group, folder, ro))).body, NOT_SHARE_ADMIN);
      // A share admin with read and grant only asks for write.
      await userRight(owner, folder, sharer, { read: true, write: false, grant: true });
      assert.deepEqual((await sharer.request('PUT', '/share/right/', groupRightBody(group, folder, { read: true, write: true, grant: false }))).body, REFUSED);
      assert.deepEqual((await sharer.request('PUT', '/share/right/', { ...groupRightBody(group, folder, ro), group_id: randomUUID() })).body, { non_field_errors: ['Target group does not exist.'] });
      // Control: within its own flags.
      const rightId = await shareWithGroup(sharer, group, folder, ro);
      assert.deepEqual((await sharer.request('PUT', '/share/right/', groupRightBody(group, folder, ro))).body, { non_field_errors: ['Group Share Right already exists.'] });
      assert.equal(await reads(admin, folder), 200, 'every member reads');
      // Changing the group's right: grant and every flag, as for a user's right.
      assert.deepEqual((await sharer.request('POST', '/share/right/', { share_id: folder, group_id: group.id, read: true, write: true, grant: false })).body, REFUSED);
      assert.deepEqual((await admin.request('POST', '/share/right/', { share_id: folder, group_id: group.id, read: true, write: true, grant: true })).body, REFUSED, 'a member without grant');
      body(await owner.request('POST', '/share/right/', { share_id: folder, group_id: group.id, read: true, write: true, grant: false }), 200);
      assert.deepEqual(body<{ rights: Flags }>(await admin.request('GET', `/share/${folder}/`), 200).rights, { read: true, write: true, grant: false });
      // Removing it: not a plain member without grant; the owner (grant, not a member) may, and every member loses the share.
      const outsider = await person('outsider');
      assert.deepEqual((await outsider.request('DELETE', '/share/right/', { group_share_right_id: rightId })).body, NOT_SHARE_ADMIN);
      const stranger = await person('stranger');
      await join(admin, group, stranger);
      assert.deepEqual((await stranger.request('DELETE', '/share/right/', { group_share_right_id: rightId })).body, NOT_SHARE_ADMIN);
      body(await owner.request('DELETE', '/share/right/', { group_share_right_id: rightId }), 200);
      assert.equal(await reads(admin, folder), 400);
      assert.equal(await reads(stranger, folder), 400);
    });

    test('a link made with a group\'s right passes on no more than it, and ends when its maker leaves the group', async () => {
      const owner = await person('owner');
      const admin = await person('admin');
      const linker = await person('linker');
      const friend = await person('friend');
      const group = await createGroup(admin);
      const membership = await join(admin, group, linker);
      const folder = await share(owner, { parent_datastore_id: owner.datastoreId });
      const entry = await secret(owner, { parent_share_id: folder });
      await userRight(owner, folder, admin, { read: true, write: true, grant: true });
      await shareWithGroup(admin, group, folder, { read: true, write: false, grant: true });
      // The linker hangs the group's folder under a share of its own and gives a friend everything there.
      const own = await share(linker, { parent_datastore_id: linker.datastoreId });
      body(await linker.request('PUT', '/share/link/', { link_id: randomUUID(), share_id: folder, parent_share_id: own }), 201);
      await userRight(linker, own, friend, { read: true, write: true, grant: true });
      assert.deepEqual(body<{ rights: Flags }>(await friend.request('GET', `/share/${folder}/`), 200).rights, { read: true, write: false, grant: true }, 'no more than the group holds');
      assert.deepEqual((await friend.request('POST', '/secret/', { secret_id: entry, data: ct(40), data_nonce: nonce() })).body, REFUSED);
      body(await friend.request('GET', `/secret/${entry}/`), 200);
      // The linker is removed from the group: the path through its link ends with it.
      body(await admin.request('DELETE', '/membership/', { membership_id: membership }), 200);
      assert.equal(await reads(linker, folder), 400);
      assert.equal(await reads(friend, folder), 400);
      assert.deepEqual((await friend.request('GET', `/secret/${entry}/`)).body, REFUSED);
      assert.equal(await reads(admin, folder), 200, 'control: the admin\'s own right stays');
    });

    test('deleting a group ends every member\'s access; a group\'s all-false right overrides what a member inherits', async () => {
      const owner = await person('owner');
      const admin = await person('admin');
      const member = await person('member');
      const group = await createGroup(admin);
      await join(admin, group, member);
      const parent = await share(owner, { parent_datastore_id: owner.datastoreId });
      const child = await share(owner, { parent_share_id: parent });
      await userRight(owner, parent, admin, { read: true, write: true, grant: true });
      await shareWithGroup(admin, group, parent, { read: true, write: false, grant: false });
      assert.equal(await reads(member, child), 200, 'inherited through the parent');
      // A direct group right on the child with no flag is the member's right there (as a user's right would be).
      await shareWithGroup(admin, group, child, { read: false, write: false, grant: false });
      assert.equal(await reads(member, child), 400);
      assert.equal(await reads(member, parent), 200);
      assert.deepEqual((await member.request('DELETE', '/group/', { group_id: group.id })).body, REFUSED, 'a member does not delete the group');
      body(await admin.request('DELETE', '/group/', { group_id: group.id }), 200);
      assert.equal(await reads(member, parent), 400);
      assert.deepEqual(body<{ groups: unknown[] }>(await member.request('GET', '/group/'), 200).groups, []);
      assert.equal(await reads(admin, parent), 200, 'control: a user right stays');
    });

    test('hostile bodies get Psono\'s field errors, never a 5xx', async () => {
      const alice = await person('alice');
      const group = await createGroup(alice);
      const valid = { name: 'ok name', secret_key: ct(80), secret_key_nonce: nonce(), private_key: ct(80), private_key_nonce: nonce(), public_key: ct(32) };
      assert.deepEqual((await alice.request('PUT', '/group/', { ...valid, name: 'ab' })).body, { name: ['NAME_MAY_NOT_BE_SHORTER_THAN_3_CHARS'] });
      assert.deepEqual((await alice.request('PUT', '/group/', { ...valid, name: 'a@b.c' })).body, { name: ['NAME_MAY_NOT_CONTAIN_AT'] });
      assert.deepEqual((await alice.request('PUT', '/group/', { ...valid, name: 'x'.repeat(65) })).body, { name: ['Ensure this field has no more than 64 characters.'] });
      assert.deepEqual((await alice.request('PUT', '/group/', { ...valid, secret_key: 'zz' })).body, { secret_key: ['Ensure this field has at least 32 characters.'] });
      assert.deepEqual((await alice.request('PUT', '/group/', { ...valid, secret_key: ct(200) })).body, { secret_key: ['Ensure this field has no more than 256 characters.'] });
      assert.equal((await alice.request('PUT', '/group/', [valid])).status, 400);
      assert.deepEqual((await alice.request('POST', '/group/', { group_id: group.id, name: 'ab' })).body, { non_field_errors: ['NAME_TOO_SHORT'] });
      assert.deepEqual((await alice.request('POST', '/group/', { group_id: group.id, name: 'a@bc' })).body, { non_field_errors: ['NAME_CONTAINS_FORBIDDEN_CHARACTERS'] });
      const bob = await person('bob');
      const base = inviteBody(group, bob);
      assert.deepEqual((await alice.request('PUT', '/membership/', { ...base, secret_key_type: 'rot13' })).body, { secret_key_type: ['UNKNOWN_SECRET_KEY_TYPE'] });
      assert.deepEqual((await alice.request('PUT', '/membership/', { ...base, group_admin: 'yes' })).body, { group_admin: ['IS_NOT_A_VALID_BOOLEAN'] });
      assert.deepEqual((await alice.request('PUT', '/membership/', { ...base, user_id: randomUUID() })).body, { non_field_errors: ['USER_DOES_NOT_EXIST'] });
      assert.deepEqual((await alice.request('PUT', '/membership/', { ...base, user_id: alice.userId })).body, { non_field_errors: ['USER_ALREADY_PART_OF_GROUP'] });
      assert.deepEqual((await alice.request('GET', '/group/not-a-uuid/')).body, { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: 'not-a-uuid' });
      assert.deepEqual((await alice.request('GET', '/group/rights/not-a-uuid/')).body, REFUSED);
      assert.deepEqual((await alice.request('DELETE', '/membership/', { membership_id: 'nope' })).body, { membership_id: ['IS_NOT_A_VALID_UUID'] });
      assert.deepEqual((await alice.request('DELETE', '/share/right/', { group_share_right_id: randomUUID() })).body, REFUSED);
      // Control: the valid body.
      body(await alice.request('PUT', '/group/', valid), 201);
      body(await alice.request('PUT', '/membership/', base), 201);
    });
  });
}
