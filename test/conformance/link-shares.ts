import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AdminStore } from '../../src/store/admin-store.js';
import type { LinkShareRecord, LinkShareStore } from '../../src/store/link-share-store.js';
import type { VaultObjectStore } from '../../src/store/vault-object-store.js';
import type { VaultStore } from '../../src/store/vault-store.js';
import { newUser } from './vault-stores.js';

export interface LinkSharesHarness {
  vault: VaultStore;
  objects: VaultObjectStore;
  linkShares: LinkShareStore;
  admin: AdminStore;
  close(): Promise<void>;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const T0 = new Date('2026-05-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** The LinkShareStore's contract (docs/vault-protocol.md §3.16), for every backend. */
export function linkSharesSuite(name: string, open: () => Promise<LinkSharesHarness>): void {
  describe(`Link share store conformance: ${name}`, () => {
    let h: LinkSharesHarness;
    before(async () => {
      h = await open();
    });
    after(async () => h.close());

    /** A user with a default datastore holding one secret. */
    async function owner() {
      const user = newUser();
      await h.vault.createUser(user);
      const datastoreId = randomUUID();
      await h.objects.createDatastore({
        id: datastoreId, userId: user.id, type: 'password', description: 'Default', data: '', dataNonce: '', secretKey: hex(80), secretKeyNonce: hex(24), isDefault: true, createdAt: T0, writeDate: T0,
      });
      const secretId = randomUUID();
      const data = hex(50);
      const made = await h.objects.createSecret(
        { id: secretId, userId: user.id, data, dataNonce: hex(24), type: 'password', readCount: 0, callbackUrl: '', callbackUser: '', callbackPass: '', createdAt: T0, writeDate: T0 },
        { linkId: randomUUID(), parent: { datastoreId } },
      );
      assert.equal(made.ok, true);
      return { userId: user.id, username: user.username, secretId, data };
    }
    const link = (userId: string, secretId: string, overrides: Partial<LinkShareRecord> = {}): LinkShareRecord => ({
      id: randomUUID(), userId, secretId, publicTitle: 'for a friend', node: hex(100), nodeNonce: hex(24), allowedReads: null, passphraseHash: null, validTill: null, createdAt: T0, ...overrides,
    });

    test('a link share is made only by a user who may read the entry, and at most `limit` per user', async () => {
      const a = await owner();
      const b = await owner();
      assert.equal(await h.linkShares.mayCreate(b.userId, a.secretId, 10, T0), 'not_found', 'the look before: b has no right');
      assert.equal(await h.linkShares.mayCreate(a.userId, a.secretId, 10, T0), 'yes', 'control: a may');
      assert.equal(await h.linkShares.mayCreate(a.userId, a.secretId, 0, T0), 'limit');
      assert.equal(await h.linkShares.create(link(b.userId, a.secretId), 10, T0), 'not_found', 'b has no right on a\'s entry');
      assert.equal(await h.linkShares.create(link(a.userId, randomUUID()), 10, T0), 'not_found', 'no such entry');
      assert.equal(await h.linkShares.create(link(randomUUID(), a.secretId), 10, T0), 'not_found', 'no such user');
      assert.deepEqual(await h.linkShares.listOwn(b.userId, T0), []);
      const first = link(a.userId, a.secretId);
      assert.equal(await h.linkShares.create(first, 2, T0), 'created');
      assert.equal(await h.linkShares.create(link(a.userId, a.secretId, { createdAt: at(1) }), 2, T0), 'created');
      assert.equal(await h.linkShares.create(link(a.userId, a.secretId), 2, T0), 'limit');
      assert.deepEqual((await h.linkShares.findOwn(a.userId, first.id))?.node, first.node);
      assert.equal((await h.linkShares.listOwn(a.userId, T0)).length, 2);
    });

    test('only the creator finds, changes and deletes a link share; a passphrase stays unless changed', async () => {
      const a = await owner();
      const b = await owner();
      const made = link(a.userId, a.secretId, { passphraseHash: '$argon2id$one', allowedReads: 3 });
      assert.equal(await h.linkShares.create(made, 10, T0), 'created');
      assert.equal(await h.linkShares.findOwn(b.userId, made.id), undefined);
      assert.equal(await h.linkShares.updateOwn(b.userId, made.id, { publicTitle: 'x', allowedReads: null, validTill: null, passphraseHash: null }), false);
      assert.equal(await h.linkShares.deleteOwn(b.userId, made.id), false);
      assert.equal((await h.linkShares.findOwn(a.userId, made.id))?.passphraseHash, '$argon2id$one', 'untouched by b');

      assert.equal(await h.linkShares.updateOwn(a.userId, made.id, { publicTitle: 'renamed', allowedReads: 5, validTill: at(60_000) }), true);
      let found = await h.linkShares.findOwn(a.userId, made.id);
      assert.deepEqual([found?.publicTitle, found?.allowedReads, found?.validTill?.getTime(), found?.passphraseHash], ['renamed', 5, at(60_000).getTime(), '$argon2id$one']);
      assert.equal(await h.linkShares.updateOwn(a.userId, made.id, { publicTitle: 'renamed', allowedReads: null, validTill: null, passphraseHash: null }), true);
      found = await h.linkShares.findOwn(a.userId, made.id);
      assert.deepEqual([found?.allowedReads, found?.validTill, found?.passphraseHash], [null, null, null]);

      assert.equal(await h.linkShares.deleteOwn(a.userId, made.id), true);
      assert.equal(await h.linkShares.findOwn(a.userId, made.id), undefined);
      assert.equal(await h.linkShares.deleteOwn(a.userId, made.id), false);
    });

    test('an open uses one read and counts one read of the entry; concurrent opens never exceed the reads allowed', async () => {
      const a = await owner();
      const made = link(a.userId, a.secretId, { allowedReads: 3 });
      assert.equal(await h.linkShares.create(made, 10, T0), 'created');
      assert.deepEqual(await h.linkShares.findOpenable(made.id, T0), { id: made.id, passphraseHash: null });
      const answers = await Promise.all(Array.from({ length: 12 }, () => h.linkShares.open(made.id, null, T0)));
      const opened = answers.filter((x) => x !== undefined);
      assert.equal(opened.length, 3, 'exactly the reads allowed');
      assert.ok(opened.every((x) => x.secretData === a.data && x.node === made.node && x.nodeNonce === made.nodeNonce));
      assert.deepEqual(opened.map((x) => x.secretReadCount).sort(), [1, 2, 3]);
      assert.equal(await h.linkShares.findOpenable(made.id, T0), undefined, 'used up');
      assert.equal(await h.linkShares.open(made.id, null, T0), undefined);
      assert.deepEqual(await h.linkShares.listOwn(a.userId, T0), [], 'a used-up link share is not listed');
      assert.equal((await h.linkShares.findOwn(a.userId, made.id))?.allowedReads, 0, 'kept at 0 for the sweeper');

      const unlimited = link(a.userId, a.secretId);
      assert.equal(await h.linkShares.create(unlimited, 10, T0), 'created');
      for (let i = 0; i < 3; i += 1) assert.ok(await h.linkShares.open(unlimited.id, null, T0));
      assert.equal((await h.linkShares.findOwn(a.userId, unlimited.id))?.allowedReads, null);
    });

    test('an expired link share, or one whose creator is disabled or gone, opens nothing', async () => {
      const a = await owner();
      const made = link(a.userId, a.secretId, { validTill: at(1000), allowedReads: 5 });
      assert.equal(await h.linkShares.create(made, 10, T0), 'created');
      assert.ok(await h.linkShares.open(made.id, null, at(999)), 'control: before its expiry');
      assert.equal(await h.linkShares.findOpenable(made.id, at(1000)), undefined);
      assert.equal(await h.linkShares.open(made.id, null, at(1000)), undefined);
      assert.equal((await h.linkShares.findOwn(a.userId, made.id))?.allowedReads, 4, 'a refused open uses no read');

      const b = await owner();
      const other = link(b.userId, b.secretId);
      assert.equal(await h.linkShares.create(other, 10, T0), 'created');
      assert.ok(await h.linkShares.open(other.id, null, T0), 'control: an active creator');
      assert.equal(await h.admin.setUserActive(b.username, false), true);
      assert.equal(await h.linkShares.open(other.id, null, T0), undefined, 'a disabled creator');
      assert.equal(await h.admin.setUserActive(b.username, true), true);
      assert.ok(await h.linkShares.open(other.id, null, T0));
      assert.equal(await h.vault.deleteUser(b.userId), true);
      assert.equal(await h.linkShares.open(other.id, null, T0), undefined, 'the creator is gone, and the link share with it');
      assert.equal(await h.linkShares.open(randomUUID(), null, T0), undefined);
    });

    test('an open counts only against the passphrase hash it was verified with: a passphrase changed or added meanwhile refuses it', async () => {
      const a = await owner();
      const made = link(a.userId, a.secretId, { passphraseHash: '$argon2id$old', allowedReads: 5 });
      assert.equal(await h.linkShares.create(made, 10, T0), 'created');
      assert.equal(await h.linkShares.open(made.id, null, T0), undefined, 'no passphrase verified: refused');
      assert.ok(await h.linkShares.open(made.id, '$argon2id$old', T0), 'control: verified against the hash it has');
      assert.equal(await h.linkShares.updateOwn(a.userId, made.id, { publicTitle: 'x', allowedReads: 5, validTill: null, passphraseHash: '$argon2id$new' }), true);
      assert.equal(await h.linkShares.open(made.id, '$argon2id$old', T0), undefined, 'verified against the old passphrase');
      assert.equal((await h.linkShares.findOwn(a.userId, made.id))?.allowedReads, 5, 'a refused open uses no read');
      assert.ok(await h.linkShares.open(made.id, '$argon2id$new', T0), 'control: the new one');

      const open = link(a.userId, a.secretId);
      assert.equal(await h.linkShares.create(open, 10, T0), 'created');
      assert.equal(await h.linkShares.updateOwn(a.userId, open.id, { publicTitle: 'x', allowedReads: null, validTill: null, passphraseHash: '$argon2id$added' }), true);
      assert.equal(await h.linkShares.open(open.id, null, T0), undefined, 'a passphrase added after the reader looked');
    });

    test('the sweep removes expired and used-up link shares, and only those', async () => {
      const a = await owner();
      const expired = link(a.userId, a.secretId, { validTill: at(10) });
      const usedUp = link(a.userId, a.secretId, { allowedReads: 0 });
      const live = link(a.userId, a.secretId, { validTill: at(1_000_000), allowedReads: 1 });
      for (const l of [expired, usedUp, live]) assert.equal(await h.linkShares.create(l, 10, T0), 'created');
      assert.ok((await h.linkShares.sweep(at(10))) >= 2);
      assert.equal(await h.linkShares.findOwn(a.userId, expired.id), undefined);
      assert.equal(await h.linkShares.findOwn(a.userId, usedUp.id), undefined);
      assert.equal((await h.linkShares.findOwn(a.userId, live.id))?.id, live.id);
      assert.deepEqual((await h.linkShares.listOwn(a.userId, at(10))).map((l) => l.id), [live.id]);
    });
  });
}
