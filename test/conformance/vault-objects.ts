import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ApiKeyRecord, ApiKeyStore } from '../../src/store/api-key-store.js';
import type { DatastoreRecord, SecretRecord, ShareRightRecord, VaultObjectStore } from '../../src/store/vault-object-store.js';
import type { GroupShareRightRecord, MembershipRecord } from '../../src/store/vault-group-store.js';
import type { VaultStore } from '../../src/store/vault-store.js';
import { newSession, newUser } from './vault-stores.js';

export interface VaultObjectsHarness {
  vault: VaultStore;
  objects: VaultObjectStore;
  apiKeys: ApiKeyStore;
  close(): Promise<void>;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const T0 = new Date('2026-04-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const datastore = (userId: string, overrides: Partial<DatastoreRecord> = {}): DatastoreRecord => ({
  id: randomUUID(),
  userId,
  type: 'password',
  description: 'Default',
  data: '',
  dataNonce: '',
  secretKey: hex(80),
  secretKeyNonce: hex(24),
  isDefault: true,
  createdAt: T0,
  writeDate: T0,
  ...overrides,
});

const secret = (userId: string | null, overrides: Partial<SecretRecord> = {}): SecretRecord => ({
  id: randomUUID(),
  userId,
  data: hex(50),
  dataNonce: hex(24),
  type: 'password',
  readCount: 0,
  callbackUrl: '',
  callbackUser: '',
  callbackPass: '',
  createdAt: T0,
  writeDate: T0,
  ...overrides,
});

const right = (shareId: string, userId: string, overrides: Partial<ShareRightRecord> = {}): ShareRightRecord => ({
  id: randomUUID(),
  shareId,
  userId,
  creatorId: userId,
  title: '',
  titleNonce: '',
  type: '',
  typeNonce: '',
  key: hex(80),
  keyNonce: hex(24),
  keyType: 'symmetric',
  read: true,
  write: true,
  grant: true,
  accepted: true,
  expirationDate: null,
  createdAt: T0,
  writeDate: T0,
  ...overrides,
});

const membership = (groupId: string, userId: string, overrides: Partial<MembershipRecord> = {}): MembershipRecord => ({
  id: randomUUID(),
  groupId,
  userId,
  creatorId: userId,
  secretKey: hex(80),
  secretKeyNonce: hex(24),
  secretKeyType: 'asymmetric',
  privateKey: hex(80),
  privateKeyNonce: hex(24),
  privateKeyType: 'asymmetric',
  groupAdmin: false,
  shareAdmin: false,
  accepted: null,
  createdAt: T0,
  writeDate: T0,
  ...overrides,
});

const groupRight = (shareId: string, groupId: string, overrides: Partial<GroupShareRightRecord> = {}): GroupShareRightRecord => ({
  id: randomUUID(),
  shareId,
  groupId,
  creatorId: null,
  title: hex(20),
  titleNonce: hex(24),
  type: hex(20),
  typeNonce: hex(24),
  key: hex(80),
  keyNonce: hex(24),
  read: true,
  write: false,
  grant: false,
  expirationDate: null,
  createdAt: T0,
  writeDate: T0,
  ...overrides,
});

const ALL = { read: true, write: true, grant: true };
const NONE = { read: false, write: false, grant: false };

const apiKey = (userId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: randomUUID(),
  userId,
  title: 'ci',
  publicKey: hex(32),
  privateKey: hex(80),
  privateKeyNonce: hex(24),
  secretKey: hex(80),
  secretKeyNonce: hex(24),
  userPrivateKey: hex(80),
  userPrivateKeyNonce: hex(24),
  userSecretKey: hex(80),
  userSecretKeyNonce: hex(24),
  verifyKey: hex(32),
  read: true,
  write: false,
  restrictToSecrets: false,
  allowInsecureAccess: false,
  active: true,
  createdAt: T0,
  ...overrides,
});

export function vaultObjectsSuite(name: string, open: () => Promise<VaultObjectsHarness>): void {
  describe(`Vault objects conformance: ${name}`, () => {
    let h: VaultObjectsHarness;
    let userId: string;
    let otherId: string;
    before(async () => {
      h = await open();
      const u = newUser();
      const o = newUser();
      await h.vault.createUser(u);
      await h.vault.createUser(o);
      userId = u.id;
      otherId = o.id;
    });
    after(async () => h.close());

    test('datastores: owner-only reads, one default per type, unique (type, description)', async () => {
      const first = datastore(userId);
      assert.deepEqual(await h.objects.createDatastore(first), { ok: true, value: first.id });
      const second = datastore(userId, { description: 'Work' });
      await h.objects.createDatastore(second);
      assert.equal((await h.objects.getDatastore(first.id, userId))?.isDefault, false, 'the newer default wins');
      assert.equal(await h.objects.getDatastore(first.id, otherId), undefined, 'not the owner');
      assert.deepEqual(await h.objects.createDatastore(datastore(userId, { description: 'Work' })), { ok: false, reason: 'duplicate' });
      assert.deepEqual((await h.objects.listDatastores(userId)).map((d) => d.id).sort(), [first.id, second.id].sort());
      assert.deepEqual(await h.objects.listDatastores(otherId), []);
    });

    test('datastore updates: only given fields, optimistic concurrency on write_date, owner only', async () => {
      const d = datastore(userId, { type: 'settings' });
      await h.objects.createDatastore(d);
      const updated = await h.objects.updateDatastore(d.id, userId, { data: 'ab', dataNonce: 'cd' }, { oldWriteDate: T0, now: at(1000) });
      assert.deepEqual(updated, { ok: true, value: at(1000) });
      const stale = await h.objects.updateDatastore(d.id, userId, { data: 'ef' }, { oldWriteDate: T0, now: at(2000) });
      assert.deepEqual(stale, { ok: false, reason: 'write_date_mismatch' });
      assert.deepEqual(await h.objects.updateDatastore(d.id, otherId, { data: 'ef' }, { now: at(2000) }), { ok: false, reason: 'not_found' });
      const current = await h.objects.getDatastore(d.id, userId);
      assert.equal(current?.data, 'ab');
      assert.equal(current?.secretKey, d.secretKey);
      assert.deepEqual(current?.writeDate, at(1000));
    });

    test('secrets: created with their link atomically; nonces and link ids never repeat; reads count', async () => {
      const d = datastore(userId, { type: 'password', description: 'Secrets' });
      await h.objects.createDatastore(d);
      const s = secret(userId);
      const linkId = randomUUID();
      assert.deepEqual(await h.objects.createSecret(s, { linkId, parent: { datastoreId: d.id } }), { ok: true, value: s.id });
      assert.deepEqual(await h.objects.createSecret(secret(userId, { dataNonce: s.dataNonce }), { linkId: randomUUID(), parent: { datastoreId: d.id } }), { ok: false, reason: 'duplicate_nonce' });
      const orphan = secret(userId);
      assert.deepEqual(await h.objects.createSecret(orphan, { linkId, parent: { datastoreId: d.id } }), { ok: false, reason: 'duplicate_link' });
      assert.equal(await h.objects.getSecret(orphan.id), undefined, 'no orphan secret after a duplicate link');
      assert.equal((await h.objects.readSecretFor({ userId }, s.id, T0))?.readCount, 1);
      assert.equal((await h.objects.readSecretFor({ userId }, s.id, T0))?.readCount, 2);
      assert.deepEqual((await h.objects.secretLinksOf(s.id)).map((l) => l.parent), [{ datastoreId: d.id }]);
    });

    test('secret updates keep the previous version in the history', async () => {
      const d = datastore(userId, { description: 'History' });
      await h.objects.createDatastore(d);
      const s = secret(userId);
      await h.objects.createSecret(s, { linkId: randomUUID(), parent: { datastoreId: d.id } });
      assert.deepEqual(await h.objects.listSecretHistoryFor({ userId }, s.id, T0), [], 'no history yet');
      assert.deepEqual(await h.objects.updateSecretFor({ userId }, s.id, { data: 'ffff', dataNonce: hex(24) }, at(5000)), { ok: true, value: at(5000) });
      const history = (await h.objects.listSecretHistoryFor({ userId }, s.id, T0)) ?? [];
      assert.equal(history.length, 1);
      const old = await h.objects.getSecretHistoryFor({ userId }, history[0]?.id ?? '', T0);
      assert.equal(old?.data, s.data);
      assert.equal(old?.secretId, s.id);
      assert.ok(old?.username?.includes('@'));
      assert.equal((await h.objects.getSecret(s.id))?.data, 'ffff');
      assert.deepEqual(await h.objects.updateSecretFor({ userId }, randomUUID(), { data: 'aa' }, at(1)), { ok: false, reason: 'not_found' });
      assert.equal(await h.objects.listSecretHistoryFor({ userId: otherId }, s.id, T0), undefined, 'not the other user\'s history');
      assert.equal(await h.objects.getSecretHistoryFor({ userId: otherId }, history[0]?.id ?? '', T0), undefined);
      assert.deepEqual(await h.objects.updateSecretFor({ userId: otherId }, s.id, { data: 'eeee' }, at(6000)), { ok: false, reason: 'not_found' });
      assert.equal((await h.objects.listSecretHistoryFor({ userId }, s.id, T0))?.length, 1, 'a refused write keeps no history');
    });

    test('shares: created with the creator\'s right and its link; links move and go; rights by user and share', async () => {
      const d = datastore(userId, { description: 'Shares' });
      await h.objects.createDatastore(d);
      const share = { id: randomUUID(), userId, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
      const linkId = randomUUID();
      assert.deepEqual(await h.objects.createShare(share, right(share.id, userId), { linkId, parent: { datastoreId: d.id } }), { ok: true, value: share.id });
      assert.deepEqual(await h.objects.shareRightsFor(userId, share.id, at(1)), ALL);
      const child = { ...share, id: randomUUID() };
      const childLink = randomUUID();
      await h.objects.createShare(child, right(child.id, userId), { linkId: childLink, parent: { shareId: share.id } });
      assert.deepEqual(await h.objects.shareLinksOf(child.id), [{ linkId: childLink, shareId: child.id, parent: { shareId: share.id }, creatorId: userId }], 'the share\'s creator made its first link');
      assert.deepEqual(await h.objects.createShareLink({ linkId: childLink, shareId: child.id, parent: { datastoreId: d.id }, creatorId: userId }), { ok: false, reason: 'duplicate_link' });
      assert.deepEqual(await h.objects.moveShareLink(childLink, { datastoreId: d.id }, otherId), { ok: true, value: childLink });
      assert.deepEqual(await h.objects.getShareLink(childLink), { linkId: childLink, shareId: child.id, parent: { datastoreId: d.id }, creatorId: otherId }, 'a moved link is the mover\'s');
      assert.equal(await h.objects.deleteShareLink(childLink), true);
      assert.equal(await h.objects.deleteShareLink(childLink), false);
      assert.deepEqual(await h.objects.shareLinksOf(child.id), []);

      const pending = right(share.id, otherId, { creatorId: userId, accepted: null, read: true, write: false, grant: false });
      await h.objects.putShareRight(pending);
      assert.deepEqual(await h.objects.shareRightsFor(otherId, share.id, at(1)), NONE, 'pending grants nothing');
      assert.equal((await h.objects.rightsOfUser(otherId, at(1))).length, 1);
      assert.equal(await h.objects.updateShareRight(pending.id, { accepted: true, type: '', typeNonce: '' }, at(2)), true);
      assert.deepEqual(await h.objects.shareRightsFor(otherId, share.id, at(3)), { read: true, write: false, grant: false });
      assert.equal((await h.objects.rightsOfShare(share.id, at(3))).length, 2);
      const expiring = right(share.id, otherId, { expirationDate: at(10) });
      assert.deepEqual(await h.objects.putShareRight(expiring), { ok: false, reason: 'duplicate' }, 'one right per user and share');
      assert.deepEqual(await h.objects.putShareRight(expiring, { replaceId: pending.id }), { ok: true, value: expiring.id });
      assert.equal((await h.objects.findShareRight(share.id, otherId))?.id, expiring.id, 'replaced');
      assert.deepEqual(await h.objects.shareRightsFor(otherId, share.id, at(10)), NONE, 'expired');
      assert.equal((await h.objects.rightsOfUser(otherId, at(10))).length, 0, 'expired rights are hidden');
      assert.equal(await h.objects.deleteShareRight(expiring.id), true);
    });

    test('links never close a loop, not even two written at the same moment', async () => {
      const d = datastore(userId, { description: 'Loops' });
      await h.objects.createDatastore(d);
      const make = async (parent: { datastoreId: string } | { shareId: string }) => {
        const share = { id: randomUUID(), userId, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
        await h.objects.createShare(share, right(share.id, userId), { linkId: randomUUID(), parent });
        return share.id;
      };
      const a = await make({ datastoreId: d.id });
      const b = await make({ shareId: a });
      assert.deepEqual(await h.objects.createShareLink({ linkId: randomUUID(), shareId: a, parent: { shareId: b }, creatorId: userId }), { ok: false, reason: 'cycle' });
      assert.deepEqual(await h.objects.createShareLink({ linkId: randomUUID(), shareId: a, parent: { shareId: a }, creatorId: userId }), { ok: false, reason: 'cycle' });
      const bLink = (await h.objects.shareLinksOf(b))[0]?.linkId ?? '';
      const c = await make({ datastoreId: d.id });
      assert.deepEqual((await h.objects.moveShareLink(bLink, { shareId: b }, userId)).ok, false, 'a share moved under itself');
      for (let i = 0; i < 5; i += 1) {
        const x = await make({ datastoreId: d.id });
        const y = await make({ datastoreId: d.id });
        const results = await Promise.all([
          h.objects.createShareLink({ linkId: randomUUID(), shareId: x, parent: { shareId: y }, creatorId: userId }),
          h.objects.createShareLink({ linkId: randomUUID(), shareId: y, parent: { shareId: x }, creatorId: userId }),
        ]);
        assert.equal(results.filter((r) => r.ok).length, 1, 'exactly one of two links that would loop together');
      }
      assert.equal((await h.objects.createShareLink({ linkId: randomUUID(), shareId: c, parent: { shareId: a }, creatorId: userId })).ok, true, 'control');
    });

    test('one default datastore per type, whatever requests race', async () => {
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => h.objects.createDatastore(datastore(userId, { type: 'race', description: `d${i}`, isDefault: true }))));
      assert.equal(results.filter((r) => r.ok).length >= 1, true);
      const defaults = (await h.objects.listDatastores(userId)).filter((d) => d.type === 'race' && d.isDefault);
      assert.equal(defaults.length, 1);
    });

    test('accept and decline: only one of two at once changes a pending right', async () => {
      const d = datastore(userId, { description: 'Pending' });
      await h.objects.createDatastore(d);
      const share = { id: randomUUID(), userId, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
      await h.objects.createShare(share, right(share.id, userId), { linkId: randomUUID(), parent: { datastoreId: d.id } });
      const pending = right(share.id, otherId, { accepted: null, creatorId: userId });
      await h.objects.putShareRight(pending);
      const [accepted, declined] = await Promise.all([
        h.objects.updateShareRight(pending.id, { accepted: true }, at(1), { onlyIfPending: true }),
        h.objects.updateShareRight(pending.id, { accepted: false }, at(1), { onlyIfPending: true }),
      ]);
      assert.equal(Number(accepted) + Number(declined), 1);
      assert.equal(await h.objects.updateShareRight(pending.id, { accepted: true }, at(2), { onlyIfPending: true }), false);
    });

    test('share updates: optimistic concurrency', async () => {
      const d = datastore(userId, { description: 'ShareUpdates' });
      await h.objects.createDatastore(d);
      const share = { id: randomUUID(), userId, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
      await h.objects.createShare(share, right(share.id, userId), { linkId: randomUUID(), parent: { datastoreId: d.id } });
      assert.deepEqual(await h.objects.updateShareFor(otherId, share.id, { data: 'aa', dataNonce: 'bb' }, { now: at(7) }), { ok: false, reason: 'not_found' }, 'no write right');
      assert.deepEqual(await h.objects.updateShareFor(userId, share.id, { data: 'aa', dataNonce: 'bb' }, { oldWriteDate: T0, now: at(7) }), { ok: true, value: at(7) });
      assert.deepEqual(await h.objects.updateShareFor(userId, share.id, { data: 'cc' }, { oldWriteDate: T0, now: at(8) }), { ok: false, reason: 'write_date_mismatch' });
      assert.equal((await h.objects.getShare(share.id))?.data, 'aa');
    });

    test('deleting a datastore removes its links, never the secrets or shares', async () => {
      const d = datastore(userId, { description: 'Doomed', isDefault: false });
      await h.objects.createDatastore(d);
      const s = secret(userId);
      await h.objects.createSecret(s, { linkId: randomUUID(), parent: { datastoreId: d.id } });
      assert.equal(await h.objects.deleteDatastore(d.id, otherId), false);
      assert.equal(await h.objects.deleteDatastore(d.id, userId), true);
      assert.deepEqual(await h.objects.secretLinksOf(s.id), []);
      assert.ok(await h.objects.getSecret(s.id));
    });

    test('API keys: nonces never repeat; flags reach the key\'s sessions; deletion ends them and the grants', async () => {
      const key = apiKey(userId);
      assert.equal(await h.apiKeys.createApiKey(key), 'created');
      assert.equal(await h.apiKeys.createApiKey(apiKey(userId, { privateKeyNonce: key.privateKeyNonce })), 'duplicate_nonce');
      assert.deepEqual(await h.apiKeys.getApiKey(key.id), key);
      assert.deepEqual((await h.apiKeys.listApiKeys(userId)).map((k) => k.id), [key.id]);
      const session = newSession(userId, { apiKeyId: key.id, active: true, read: true, write: false });
      await h.vault.createSession(session, { exclusive: false });
      assert.equal(await h.apiKeys.updateApiKey(key.id, otherId, { write: true }), false, 'owner only');
      assert.equal(await h.apiKeys.updateApiKey(key.id, userId, { write: true, title: 'renamed' }), true);
      assert.equal((await h.vault.findSessionByTokenHash(session.tokenHash))?.session.write, true, 'the live session follows');

      const d = datastore(userId, { description: 'Keyed' });
      await h.objects.createDatastore(d);
      const s = secret(userId);
      await h.objects.createSecret(s, { linkId: randomUUID(), parent: { datastoreId: d.id } });
      const grant = { id: randomUUID(), apiKeyId: key.id, secretId: s.id, secretKey: hex(80), secretKeyNonce: hex(24), title: hex(30), titleNonce: hex(24) };
      assert.equal(await h.apiKeys.createApiKeySecret(grant), 'created');
      assert.equal(await h.apiKeys.createApiKeySecret({ ...grant, id: randomUUID() }), 'exists');
      assert.deepEqual(await h.apiKeys.findApiKeySecret(key.id, s.id), grant);
      assert.deepEqual(await h.apiKeys.listApiKeySecrets(key.id), [grant]);

      assert.equal(await h.apiKeys.deleteApiKey(key.id, otherId), false);
      assert.equal(await h.apiKeys.deleteApiKey(key.id, userId), true);
      assert.equal(await h.vault.findSessionByTokenHash(session.tokenHash), undefined, 'its sessions end');
      assert.equal(await h.apiKeys.getApiKeySecret(grant.id), undefined, 'its grants go');
    });

    // --- Links of two kinds, and rights resolved inside the query (issue 8 items 1, 12) ---------

    const newShare = async (owner: string, parent: { datastoreId: string } | { shareId: string }) => {
      const share = { id: randomUUID(), userId: owner, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
      const linkId = randomUUID();
      assert.equal((await h.objects.createShare(share, right(share.id, owner), { linkId, parent })).ok, true);
      return { id: share.id, linkId };
    };
    const person = async () => {
      const u = newUser();
      await h.vault.createUser(u);
      const d = datastore(u.id, { description: `Home ${u.id}` });
      await h.objects.createDatastore(d);
      return { id: u.id, datastoreId: d.id };
    };
    const give = async (shareId: string, to: string, flags: Partial<ShareRightRecord>) => {
      const r = right(shareId, to, { creatorId: userId, ...flags });
      assert.equal((await h.objects.putShareRight(r)).ok, true);
      return r;
    };

    test('secret links and share links have separate id spaces; each method touches its own kind', async () => {
      const d = datastore(userId, { description: 'Kinds' });
      await h.objects.createDatastore(d);
      const s = secret(userId);
      const x = randomUUID();
      assert.equal((await h.objects.createSecret(s, { linkId: x, parent: { datastoreId: d.id } })).ok, true);
      const share = { id: randomUUID(), userId, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 };
      assert.deepEqual(await h.objects.createShare(share, right(share.id, userId), { linkId: x, parent: { datastoreId: d.id } }), { ok: true, value: share.id }, 'a share link may reuse a secret link\'s id');
      assert.deepEqual(await h.objects.getSecretLink(x), { linkId: x, secretId: s.id, parent: { datastoreId: d.id } });
      assert.deepEqual(await h.objects.getShareLink(x), { linkId: x, shareId: share.id, parent: { datastoreId: d.id }, creatorId: userId });
      assert.deepEqual(await h.objects.moveSecretLink(x, { shareId: share.id }), { ok: true, value: x });
      assert.deepEqual((await h.objects.getShareLink(x))?.parent, { datastoreId: d.id }, 'the share link did not move');
      assert.deepEqual((await h.objects.getSecretLink(x))?.parent, { shareId: share.id });
      assert.equal(await h.objects.deleteShareLink(x), true);
      assert.ok(await h.objects.getSecretLink(x), 'deleting the share link left the secret link');
      assert.deepEqual(await h.objects.moveSecretLink(randomUUID(), { datastoreId: d.id }), { ok: false, reason: 'not_found' });
      assert.deepEqual(await h.objects.moveShareLink(randomUUID(), { datastoreId: d.id }, userId), { ok: false, reason: 'not_found' });
      assert.deepEqual(await h.objects.moveSecretLink(x, { shareId: randomUUID() }), { ok: false, reason: 'not_found' }, 'a parent that does not exist');
      assert.deepEqual(await h.objects.createSecret(secret(userId), { linkId: x, parent: { datastoreId: d.id } }), { ok: false, reason: 'duplicate_link' }, 'secret link ids stay unique');
      assert.equal(await h.objects.deleteSecretLink(x), true);
      assert.equal(await h.objects.deleteSecretLink(x), false);
    });

    test('rights: inherited down the tree, through every chain, stopped by a direct right', async () => {
      const reader = await person();
      const top = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const chain = [top];
      for (let i = 0; i < 8; i += 1) chain.push(await newShare(userId, { shareId: (chain.at(-1) as { id: string }).id }));
      const deepest = (chain.at(-1) as { id: string }).id;
      await give(top.id, reader.id, { read: true, write: false, grant: false });
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, deepest, at(1)), { read: true, write: false, grant: false }, 'eight links down');
      assert.deepEqual(await h.objects.shareRightsFor(otherId, deepest, at(1)), NONE, 'control: no right anywhere');

      // A second chain with more rights: the flags are OR-ed over chains.
      const side = await newShare(userId, { datastoreId: (await person()).datastoreId });
      assert.equal((await h.objects.createShareLink({ linkId: randomUUID(), shareId: deepest, parent: { shareId: side.id }, creatorId: userId })).ok, true);
      await give(side.id, reader.id, { read: false, write: true, grant: false });
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, deepest, at(1)), { read: true, write: true, grant: false });

      // An accepted direct right is the right on that share, even all-false; pending or expired ones are not.
      const middle = (chain[4] as { id: string }).id;
      const pending = await give(middle, reader.id, { read: false, write: false, grant: false, accepted: null });
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, middle, at(1)), { read: true, write: false, grant: false }, 'pending: still inherited');
      await h.objects.updateShareRight(pending.id, { accepted: true }, at(1));
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, middle, at(2)), NONE, 'accepted: the direct right wins');
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, (chain[6] as { id: string }).id, at(2)), NONE, 'and the chain stops there');
      await h.objects.updateShareRight(pending.id, { expirationDate: at(3) }, at(2));
      assert.deepEqual(await h.objects.shareRightsFor(reader.id, middle, at(4)), { read: true, write: false, grant: false }, 'expired: inherited again');

      // The users who reach a share only through inheritance.
      assert.deepEqual(await h.objects.inheritedRightsOf(deepest, at(4)), [{ userId: reader.id, read: true, write: true, grant: false }]);
      assert.deepEqual(await h.objects.inheritedRightsOf(top.id, at(4)), [], 'the top share has direct rights only');
    });

    test('rights along a link never exceed what its creator holds directly on the child, and end with it', async () => {
      const mallory = await person();
      const friend = await person();
      const x = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const xSecret = secret(userId);
      assert.equal((await h.objects.createSecret(xSecret, { linkId: randomUUID(), parent: { shareId: x.id } })).ok, true);
      const malloryRight = await give(x.id, mallory.id, { read: true, write: false, grant: true });
      const m = await newShare(mallory.id, { datastoreId: mallory.datastoreId });
      const link = randomUUID();
      assert.equal((await h.objects.createShareLink({ linkId: link, shareId: x.id, parent: { shareId: m.id }, creatorId: mallory.id })).ok, true);
      await give(m.id, friend.id, { read: true, write: true, grant: true });
      assert.deepEqual(await h.objects.shareRightsFor(friend.id, x.id, at(1)), { read: true, write: false, grant: true }, 'capped by the creator');
      assert.deepEqual(await h.objects.secretRightsFor(friend.id, xSecret.id, at(1)), { read: true, write: false });
      assert.deepEqual(await h.objects.updateSecretFor({ userId: friend.id }, xSecret.id, { data: 'abab' }, at(1)), { ok: false, reason: 'not_found' }, 'no write through the link');
      assert.deepEqual(await h.objects.updateSecretFor({ userId }, xSecret.id, { data: 'abab' }, at(1)), { ok: true, value: at(1) }, 'control: the owner writes');
      assert.deepEqual(await h.objects.inheritedRightsOf(x.id, at(1)), [{ userId: friend.id, read: true, write: false, grant: true }]);

      assert.equal(await h.objects.deleteShareRight(malloryRight.id), true);
      assert.deepEqual(await h.objects.shareRightsFor(friend.id, x.id, at(2)), NONE, 'revoking the creator cuts the path');
      assert.deepEqual(await h.objects.shareRightsFor(mallory.id, x.id, at(2)), NONE);
      assert.equal(await h.objects.readSecretFor({ userId: friend.id }, xSecret.id, at(2)), undefined);
      assert.deepEqual(await h.objects.inheritedRightsOf(x.id, at(2)), []);
      assert.deepEqual(await h.objects.shareLinksOf(x.id).then((links) => links.map((l) => l.linkId).includes(link)), true, 'the link itself stays until removed');

      // Moving a link makes it the mover's: the owner moving it passes the owner's rights.
      assert.equal((await h.objects.moveShareLink(link, { shareId: m.id }, userId)).ok, true);
      assert.deepEqual(await h.objects.shareRightsFor(friend.id, x.id, at(3)), ALL);
    });

    // --- Groups (migration 0011): memberships decided in the statement that writes, rights in the walk ---

    /** A group made by `admin`, who is its accepted group and share admin. */
    const newGroup = async (admin: string) => {
      const id = randomUUID();
      await h.objects.groups.createGroup({ id, name: `g ${hex(3)}`, publicKey: hex(32), createdAt: T0, writeDate: T0 }, membership(id, admin, { groupAdmin: true, shareAdmin: true, accepted: true }));
      return id;
    };
    /** `user` invited by `admin` and, unless told otherwise, accepted. */
    const enrol = async (admin: string, groupId: string, user: string, options: { accept?: boolean; flags?: Partial<MembershipRecord> } = {}) => {
      const m = membership(groupId, user, { creatorId: admin, createdAt: at(1), writeDate: at(1), ...options.flags });
      assert.equal(await h.objects.groups.createMembershipFor(admin, m), 'created');
      if (options.accept !== false) assert.ok(await h.objects.groups.answerMembership(user, m.id, true, at(1)));
      return m;
    };
    const groupGive = async (shareId: string, groupId: string, flags: Partial<GroupShareRightRecord>) => {
      const r = groupRight(shareId, groupId, { creatorId: userId, ...flags });
      assert.equal(await h.objects.groups.putGroupShareRight(r), 'created');
      return r;
    };

    test('groups: created with the creator as accepted admin; only an accepted group admin renames, invites, promotes and deletes', async () => {
      const admin = await person();
      const member = await person();
      const outsider = await person();
      const g = await newGroup(admin.id);
      const mine = await h.objects.groups.membershipOf(g, admin.id);
      assert.deepEqual([mine?.accepted, mine?.groupAdmin, mine?.shareAdmin, mine?.group.id, mine?.publicKey], [true, true, true, g, (await h.vault.findUserById(admin.id))?.publicKey]);

      assert.equal(await h.objects.groups.renameGroupFor(outsider.id, g, 'taken', at(1)), false, 'an outsider renames nothing');
      assert.equal(await h.objects.groups.createMembershipFor(outsider.id, membership(g, outsider.id)), 'not_admin', 'nor invites (not even themself)');
      const m = await enrol(admin.id, g, member.id, { accept: false, flags: { groupAdmin: true } });
      assert.equal(await h.objects.groups.countPendingMemberships(member.id), 1);
      assert.equal(await h.objects.groups.renameGroupFor(member.id, g, 'taken', at(1)), false, 'a pending group admin is no admin yet');
      assert.equal(await h.objects.groups.createMembershipFor(member.id, membership(g, outsider.id)), 'not_admin');
      assert.equal(await h.objects.groups.renameGroupFor(admin.id, g, 'Renamed', at(1)), true, 'control: the admin renames');
      assert.equal((await h.objects.groups.membershipOf(g, admin.id))?.group.name, 'Renamed');

      assert.equal(await h.objects.groups.createMembershipFor(admin.id, membership(g, member.id)), 'duplicate', 'one membership per user and group');
      assert.equal(await h.objects.groups.createMembershipFor(admin.id, membership(g, randomUUID())), 'no_user');
      assert.equal(await h.objects.groups.createMembershipFor(admin.id, membership(randomUUID(), outsider.id)), 'not_admin', 'a group that does not exist');

      assert.equal(await h.objects.groups.updateMembershipFor(outsider.id, m.id, { groupAdmin: false, shareAdmin: true }, at(2)), false);
      assert.equal(await h.objects.groups.updateMembershipFor(admin.id, m.id, { groupAdmin: false, shareAdmin: true }, at(2)), true);
      assert.deepEqual(await h.objects.groups.getMembership(m.id).then((x) => [x?.groupAdmin, x?.shareAdmin, x?.accepted]), [false, true, null], 'flags change, the answer stays the user\'s');
      assert.deepEqual((await h.objects.groups.membersOf(g)).map((x) => x.userId), [admin.id, member.id]);
      assert.deepEqual((await h.objects.groups.membershipsOfUser(member.id)).map((x) => x.id), [m.id], 'the invitation is listed');

      assert.equal(await h.objects.groups.deleteGroupFor(member.id, g), false, 'a member deletes nothing');
      assert.equal(await h.objects.groups.deleteGroupFor(admin.id, g), true);
      assert.equal(await h.objects.groups.getMembership(m.id), undefined, 'its memberships go with it');
      assert.equal(await h.objects.groups.countPendingMemberships(member.id), 0);
    });

    test('memberships: answered once, by their user only; accept and decline racing, one wins; left by the member or removed by an admin', async () => {
      const admin = await person();
      const a = await person();
      const b = await person();
      const g = await newGroup(admin.id);
      const ma = await enrol(admin.id, g, a.id, { accept: false });
      assert.equal(await h.objects.groups.answerMembership(b.id, ma.id, true, at(1)), undefined, 'no one answers for another');
      const [accepted, declined] = await Promise.all([h.objects.groups.answerMembership(a.id, ma.id, true, at(1)), h.objects.groups.answerMembership(a.id, ma.id, false, at(1))]);
      assert.equal(Number(accepted !== undefined) + Number(declined !== undefined), 1);
      assert.equal(await h.objects.groups.answerMembership(a.id, ma.id, true, at(2)), undefined, 'answered already');

      const mb = await enrol(admin.id, g, b.id, { accept: false });
      assert.equal((await h.objects.groups.answerMembership(b.id, mb.id, false, at(2)))?.accepted, false);
      assert.deepEqual((await h.objects.groups.membershipsOfUser(b.id)).map((x) => x.id), [], 'a declined membership is not listed');
      assert.equal((await h.objects.groups.membershipOf(g, b.id))?.accepted, false, 'but it is kept (no second invitation)');

      assert.equal(await h.objects.groups.deleteMembershipFor(b.id, ma.id), false, 'a member removes no one else');
      assert.equal(await h.objects.groups.deleteMembershipFor(b.id, mb.id), true, 'control: one\'s own membership is left');
      const again = await enrol(admin.id, g, b.id);
      assert.equal(await h.objects.groups.deleteMembershipFor(admin.id, again.id), true, 'an admin removes a member');
      assert.equal(await h.objects.groups.getMembership(again.id), undefined);
    });

    test('group rights: an accepted member holds them directly, OR-ed with their own; pending, expired and removed give nothing', async () => {
      const admin = await person();
      const member = await person();
      const g = await newGroup(admin.id);
      const top = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const inner = await newShare(userId, { shareId: top.id });
      const s = secret(userId);
      assert.equal((await h.objects.createSecret(s, { linkId: randomUUID(), parent: { shareId: inner.id } })).ok, true);
      const r = await groupGive(top.id, g, { read: true, write: false, grant: false });
      assert.deepEqual(await h.objects.groups.groupRightsOfShare(top.id, at(1)).then((x) => x.map((y) => [y.id, y.groupId])), [[r.id, g]]);
      assert.equal(await h.objects.groups.putGroupShareRight(groupRight(top.id, g)), 'duplicate', 'one right per group and share');
      assert.equal(await h.objects.groups.putGroupShareRight(groupRight(randomUUID(), g)), 'not_found', 'a share that does not exist');

      const m = await enrol(admin.id, g, member.id, { accept: false });
      assert.deepEqual(await h.objects.shareRightsFor(member.id, top.id, at(1)), NONE, 'a pending membership gives nothing');
      assert.equal(await h.objects.readSecretFor({ userId: member.id }, s.id, at(1)), undefined);
      assert.deepEqual(await h.objects.groups.groupRightsOfUser(member.id, at(1)), []);
      await h.objects.groups.answerMembership(member.id, m.id, true, at(1));
      assert.deepEqual(await h.objects.shareRightsFor(member.id, top.id, at(2)), { read: true, write: false, grant: false }, 'accepted: the group\'s right');
      assert.deepEqual(await h.objects.shareRightsFor(member.id, inner.id, at(2)), { read: true, write: false, grant: false }, 'and inherited below it');
      assert.deepEqual(await h.objects.secretRightsFor(member.id, s.id, at(2)), { read: true, write: false });
      assert.equal((await h.objects.readSecretFor({ userId: member.id }, s.id, at(2)))?.id, s.id);
      assert.deepEqual((await h.objects.readShareFor(member.id, inner.id, at(2)))?.rights, { read: true, write: false, grant: false });
      assert.deepEqual(await h.objects.groups.groupRightsOfUser(member.id, at(2)).then((x) => x.map((y) => y.id)), [r.id]);
      assert.deepEqual(await h.objects.shareRightsFor(otherId, top.id, at(2)), NONE, 'control: a non-member');

      // A user right on the same share is OR-ed with the group's.
      await give(top.id, member.id, { read: false, write: true, grant: false });
      assert.deepEqual(await h.objects.shareRightsFor(member.id, inner.id, at(3)), { read: true, write: true, grant: false });

      assert.equal(await h.objects.groups.updateGroupShareRight(r.id, { expirationDate: at(5) }, at(3)), true);
      assert.deepEqual(await h.objects.shareRightsFor(member.id, top.id, at(6)), { read: false, write: true, grant: false }, 'an expired group right gives nothing');
      assert.deepEqual(await h.objects.groups.groupRightsOfGroup(g, at(6)), [], 'and is hidden');
      const renewed = groupRight(top.id, g, { read: true, grant: true });
      assert.equal(await h.objects.groups.putGroupShareRight(renewed, { replaceId: r.id }), 'created', 'an expired right is replaced in one transaction');
      assert.deepEqual(await h.objects.shareRightsFor(member.id, top.id, at(6)), { read: true, write: true, grant: true });

      assert.equal(await h.objects.groups.deleteMembershipFor(member.id, m.id), true);
      assert.deepEqual(await h.objects.shareRightsFor(member.id, inner.id, at(7)), { read: false, write: true, grant: false }, 'leaving ends what the group gave, at once');
      assert.equal(await h.objects.groups.deleteGroupShareRight(renewed.id), true);
      assert.equal(await h.objects.groups.getGroupShareRight(renewed.id), undefined);
    });

    test('group rights in the walk: the nearest share with any direct right decides; an all-false group right overrides; links cap at their creator\'s group right', async () => {
      const admin = await person();
      const member = await person();
      const g = await newGroup(admin.id);
      await enrol(admin.id, g, member.id);
      const top = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const middle = await newShare(userId, { shareId: top.id });
      const bottom = await newShare(userId, { shareId: middle.id });
      // A user right on top, a group right nearer: the group's is the right below it (BV: one nearest right, user or group).
      await give(top.id, member.id, { read: true, write: true, grant: false });
      const r = await groupGive(middle.id, g, { read: true, write: false, grant: false });
      assert.deepEqual(await h.objects.shareRightsFor(member.id, bottom.id, at(1)), { read: true, write: false, grant: false }, 'the nearer group right decides');
      assert.deepEqual(await h.objects.shareRightsFor(member.id, top.id, at(1)), { read: true, write: true, grant: false }, 'control: the user right above it');
      assert.equal(await h.objects.groups.updateGroupShareRight(r.id, { read: false }, at(1)), true);
      assert.deepEqual(await h.objects.shareRightsFor(member.id, bottom.id, at(2)), NONE, 'an all-false group right takes away what the member inherits');
      assert.equal(await h.objects.groups.deleteGroupShareRight(r.id), true);
      assert.deepEqual(await h.objects.shareRightsFor(member.id, bottom.id, at(3)), { read: true, write: true, grant: false }, 'removed: inherited from the top again');
      assert.deepEqual(await h.objects.inheritedRightsOf(bottom.id, at(3)).then((x) => x.filter((y) => y.userId === member.id)), [{ userId: member.id, read: true, write: true, grant: false }]);

      // A link made by a member who holds the share only through the group passes on no more than the group's right.
      const x = await newShare(userId, { datastoreId: (await person()).datastoreId });
      await groupGive(x.id, g, { read: true, write: false, grant: true });
      const friend = await person();
      const mine = await newShare(member.id, { datastoreId: member.datastoreId });
      assert.equal((await h.objects.createShareLink({ linkId: randomUUID(), shareId: x.id, parent: { shareId: mine.id }, creatorId: member.id })).ok, true);
      await give(mine.id, friend.id, ALL);
      assert.deepEqual(await h.objects.shareRightsFor(friend.id, x.id, at(4)), { read: true, write: false, grant: true }, 'capped by the group\'s right');
      const left = await h.objects.groups.membershipOf(g, member.id);
      assert.equal(await h.objects.groups.deleteMembershipFor(admin.id, left?.id ?? ''), true);
      assert.deepEqual(await h.objects.shareRightsFor(friend.id, x.id, at(5)), NONE, 'the link passes nothing once its creator is out of the group');
    });

    test('authorized reads: the secret and the share only for who may see them, counted only then', async () => {
      const reader = await person();
      const top = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const inner = await newShare(userId, { shareId: top.id });
      const s = secret(userId);
      assert.equal((await h.objects.createSecret(s, { linkId: randomUUID(), parent: { shareId: inner.id } })).ok, true);
      assert.equal(await h.objects.readSecretFor({ userId: reader.id }, s.id, at(1)), undefined, 'no right yet');
      assert.equal(await h.objects.readShareFor(reader.id, inner.id, at(1)), undefined);
      await give(top.id, reader.id, { read: true, write: false, grant: false });
      assert.equal((await h.objects.readSecretFor({ userId: reader.id }, s.id, at(1)))?.readCount, 1, 'the first counted read');
      assert.deepEqual((await h.objects.readShareFor(reader.id, inner.id, at(1)))?.rights, { read: true, write: false, grant: false });
      assert.equal((await h.objects.readShareFor(reader.id, inner.id, at(1)))?.share.id, inner.id);
      assert.equal(await h.objects.readSecretFor({ userId: otherId }, s.id, at(1)), undefined);
      assert.equal((await h.objects.getSecret(s.id))?.readCount, 1, 'a refused read is not counted');

      const key = apiKey(reader.id);
      await h.apiKeys.createApiKey(key);
      assert.equal(await h.objects.readSecretFor({ userId: reader.id, apiKeyId: key.id }, s.id, at(1)), undefined, 'a key without the secret');
      await h.apiKeys.createApiKeySecret({ id: randomUUID(), apiKeyId: key.id, secretId: s.id, secretKey: hex(80), secretKeyNonce: hex(24), title: '', titleNonce: '' });
      assert.equal((await h.objects.readSecretFor({ userId: reader.id, apiKeyId: key.id }, s.id, at(1)))?.readCount, 2, 'the key with it');
      assert.deepEqual(await h.objects.secretRightsFor(userId, s.id, at(1)), { read: true, write: true });
      assert.deepEqual(await h.objects.secretRightsFor(otherId, s.id, at(1)), { read: false, write: false });
    });

    test('readable secret dates: only what the caller may read now, left out otherwise, no read counted', async () => {
      const reader = await person();
      const top = await newShare(userId, { datastoreId: (await person()).datastoreId });
      const shared = secret(userId);
      assert.equal((await h.objects.createSecret(shared, { linkId: randomUUID(), parent: { shareId: top.id } })).ok, true);
      const own = secret(reader.id);
      assert.equal((await h.objects.createSecret(own, { linkId: randomUUID(), parent: { datastoreId: reader.datastoreId } })).ok, true);
      const key = apiKey(reader.id);
      await h.apiKeys.createApiKey(key);
      for (const id of [shared.id, own.id]) {
        await h.apiKeys.createApiKeySecret({ id: randomUUID(), apiKeyId: key.id, secretId: id, secretKey: hex(80), secretKeyNonce: hex(24), title: '', titleNonce: '' });
      }
      const caller = { userId: reader.id, apiKeyId: key.id };
      const listed = async () => (await h.objects.readableSecretDatesFor(caller, [shared.id, own.id, randomUUID()], at(1))).map((r) => r.id).sort();
      assert.deepEqual(await listed(), [own.id], 'no right on the share yet: only the own secret');
      const r = await give(top.id, reader.id, { read: true, write: false, grant: false });
      assert.deepEqual(await listed(), [shared.id, own.id].sort(), 'the right given: both');
      const dates = await h.objects.readableSecretDatesFor(caller, [own.id], at(1));
      assert.equal(dates[0]?.writeDate.getTime(), own.writeDate.getTime(), 'the write date as stored');
      assert.equal(await h.objects.deleteShareRight(r.id), true);
      assert.deepEqual(await listed(), [own.id], 'the right taken back: the shared secret is left out again');
      assert.deepEqual(await h.objects.readableSecretDatesFor({ userId: otherId }, [own.id], at(1)), [], 'another user sees none');
      assert.equal((await h.objects.getSecret(own.id))?.readCount, 0, 'listing counts no read');
    });
  });
}
