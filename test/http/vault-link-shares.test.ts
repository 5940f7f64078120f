import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginWithApiKey, VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { newObjectKeyHex, openJsonHex, sealJsonHex } from '../../src/client/vault/crypto-json.js';
import { toHex } from '../../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../../src/crypto/nacl.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';

// Link shares (docs/vault-protocol.md §3.16) on both backends, the test acting as the official web client: the
// request sequences are those recorded from psono-client 252e7dd1 driven in Chromium against this server (the
// entry's menu → Link Share, Active Link Shares, link-share-access.html in fresh browsers). The test makes the
// entry and the node as the client does (secretbox under the entry's key and under the link secret), and opens what
// the reader gets. Every refusal is paired with a control where the rightful caller succeeds.

const PASSWORD = 'link share account password';
const PASSPHRASE = 'open sesame 42';
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSPHRASE_ATTEMPTS = 3;
const PASSPHRASE_ATTEMPTS_PER_LINK = 5;
const HASHES_PER_USER = 40; // the owner makes fewer than this across the whole suite
const OPENS_PER_ADDRESS = 40;

interface Entry {
  secretId: string;
  secretKey: string;
  content: Record<string, string>;
}
interface AccessAnswer {
  node: string;
  node_nonce: string;
  secret_data: string;
  secret_data_nonce: string;
  secret_read_count: number;
  allow_write: boolean;
}

for (const backend of BACKENDS) {
  describe(`link shares (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let owner: VaultSession & { datastoreId: string };
    let other: VaultSession & { datastoreId: string };
    let addresses = 0;
    /** Each anonymous request from its own address unless one is named: the per-address throttle has its own test. */
    const nextAddress = () => `198.51.100.${(addresses += 1) % 250}`;

    const ok = async <T = Record<string, string>>(status: number, promise: Promise<{ status: number; body: unknown }>): Promise<T> => {
      const res = await promise;
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body as T;
    };
    const person = async (who: string) => {
      const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
      await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD);
      const session = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      const { datastore_id } = await ok(201, session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: ct(), secret_key_nonce: nonce() }));
      return Object.assign(session, { datastoreId: datastore_id as string });
    };
    /** A website password as the web client stores it: JSON sealed under the entry's own key. */
    const newEntry = async (holder: VaultSession, parent: Record<string, string>, title = 'Router admin'): Promise<Entry> => {
      const secretKey = newObjectKeyHex();
      const content = { website_password_title: title, website_password_url: 'https://router.example.com', website_password_username: 'admin', website_password_password: `pw-${randomBytes(6).toString('hex')}` };
      const sealed = sealJsonHex(secretKey, content);
      const { secret_id } = await ok(201, holder.request('PUT', '/secret/', { data: sealed.text, data_nonce: sealed.nonce, link_id: randomUUID(), ...parent }));
      return { secretId: secret_id as string, secretKey, content };
    };
    /** The body of the create dialog (recorded): the node is the entry's id, key and type sealed under a fresh link secret. */
    const createBody = (entry: Entry, linkSecret: string, extra: Record<string, unknown> = {}) => {
      const node = sealJsonHex(linkSecret, { secret_id: entry.secretId, secret_key: entry.secretKey, type: 'website_password' });
      return { secret_id: entry.secretId, node: node.text, node_nonce: node.nonce, public_title: entry.content.website_password_title, allowed_reads: 2, passphrase: PASSPHRASE, valid_till: new Date(Date.now() + 86_400_000).toISOString(), allow_write: false, ...extra };
    };
    const makeLinkShare = async (holder: VaultSession, entry: Entry, extra: Record<string, unknown> = {}) => {
      const linkSecret = newObjectKeyHex();
      const { link_share_id } = await ok(201, holder.request('PUT', '/link-share/', createBody(entry, linkSecret, extra)));
      return { id: link_share_id as string, linkSecret };
    };
    /** What link-share-access.html sends: plain JSON, no session. */
    const access = async (body: unknown, remoteAddress = nextAddress(), raw?: { payload: string; contentType?: string }) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/server/link-share-access/',
        headers: { 'content-type': raw?.contentType ?? 'application/json' },
        payload: raw?.payload ?? JSON.stringify(body),
        remoteAddress,
      });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    /** The reader's side: the node opens with the link secret, and the entry with the key inside it. */
    const readAsThePage = (answer: AccessAnswer, linkSecret: string) => {
      const node = openJsonHex(linkSecret, answer.node, answer.node_nonce, 'node') as { secret_id: string; secret_key: string; type: string };
      return { node, content: openJsonHex(node.secret_key, answer.secret_data, answer.secret_data_nonce, 'entry') };
    };
    const refused = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
    /** A session answer's status and opened body against what is expected. */
    const same = async (promise: Promise<{ status: number; body: unknown }>, expected: { status: number; body: unknown }, message?: string) => {
      const res = await promise;
      assert.deepEqual({ status: res.status, body: res.body }, expected, message);
    };

    before(async () => {
      t = await openTestApp(backend, {
        VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute', VAULT_THROTTLE_REGISTRATION: '1000/minute',
        VAULT_THROTTLE_LINK_SHARE_PASSPHRASE: `${PASSPHRASE_ATTEMPTS}/hour`, VAULT_THROTTLE_LINK_SHARE_PASSPHRASE_LINK: `${PASSPHRASE_ATTEMPTS_PER_LINK}/hour`, VAULT_THROTTLE_LINK_SHARE_PASSPHRASE_HASH: `${HASHES_PER_USER}/hour`, FAILED_AUTH_RATE: '5/hour', VAULT_THROTTLE_LINK_SHARE_SECRET: `${OPENS_PER_ADDRESS}/hour`,
      });
      client = new VaultClient(injectTransport(t.app));
      owner = await person('owner');
      other = await person('other');
    });
    after(async () => t.close());

    test('/info/ shows link shares to the web client', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/server/info/' });
      const info = JSON.parse((res.json() as { info: string }).info) as Record<string, unknown>;
      assert.equal(info.compliance_disable_link_shares, false);
      assert.equal(info.compliance_disable_file_repositories, true, 'file link shares stay hidden with the files');
    });

    test('the web client\'s sequence: made with a passphrase and two reads, listed, opened twice, then used up', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const linkSecret = newObjectKeyHex();
      const body = createBody(entry, linkSecret);
      const { link_share_id: id } = await ok(201, owner.request('PUT', '/link-share/', body));
      const listed = await ok<{ link_shares: Array<Record<string, unknown>> }>(200, owner.request('GET', '/link-share/'));
      const mine = listed.link_shares.find((l) => l.id === id);
      assert.deepEqual(Object.keys(mine ?? {}).sort(), ['allowed_reads', 'id', 'public_title', 'secret_id', 'valid_till']);
      assert.equal(mine?.secret_id, entry.secretId);
      assert.equal(mine?.allowed_reads, 2);
      assert.equal(new Date(mine?.valid_till as string).getTime(), new Date(body.valid_till).getTime());

      // First reader: the page asks with an empty passphrase, is told one is needed, then a wrong one, then the right one.
      assert.deepEqual((await access({ link_share_id: id, passphrase: '' })).body, { non_field_errors: ['PASSPHRASE_REQUIRED'] });
      assert.deepEqual(await access({ link_share_id: id, passphrase: 'wrong guess' }), { status: 400, body: refused });
      const first = await access({ link_share_id: id, passphrase: PASSPHRASE });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const answer = first.body as unknown as AccessAnswer;
      assert.deepEqual(Object.keys(answer).sort(), ['allow_write', 'node', 'node_nonce', 'secret_data', 'secret_data_nonce', 'secret_read_count']);
      assert.equal(answer.allow_write, false);
      assert.equal(answer.secret_read_count, 1);
      const seen = readAsThePage(answer, linkSecret);
      assert.deepEqual(seen.node, { secret_id: entry.secretId, secret_key: entry.secretKey, type: 'website_password' });
      assert.deepEqual(seen.content, entry.content, 'the reader sees the entry');

      // Second reader: the empty ask, then the right passphrase (the second read).
      assert.equal((await access({ link_share_id: id, passphrase: '' })).status, 400);
      const second = await access({ link_share_id: id, passphrase: PASSPHRASE });
      assert.equal(second.status, 200);
      assert.equal((second.body as unknown as AccessAnswer).secret_read_count, 2);
      // Third reader: used up, with or without the passphrase.
      assert.deepEqual(await access({ link_share_id: id, passphrase: '' }), { status: 400, body: refused });
      assert.deepEqual(await access({ link_share_id: id, passphrase: PASSPHRASE }), { status: 400, body: refused });
      const after = await ok<{ link_shares: Array<{ id: string }> }>(200, owner.request('GET', '/link-share/'));
      assert.ok(!after.link_shares.some((l) => l.id === id), 'a used-up link share is not listed');
      // The owner's own reads counted the link's reads too.
      const read = await ok<{ read_count: number }>(200, owner.request('GET', `/secret/${entry.secretId}/`));
      assert.equal(read.read_count, 3);
    });

    test('the web client\'s edit dialog and delete button (recorded): renamed, more reads, a new passphrase, then deleted', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId }, 'Mail');
      // The create dialog's defaults: one read, a day, no passphrase (an empty field).
      const link = await makeLinkShare(owner, entry, { allowed_reads: 1, passphrase: '' });
      const validTill = ((await ok(200, owner.request('GET', `/link-share/${link.id}/`))).valid_till as string);
      await ok(200, owner.request('POST', '/link-share/', { link_share_id: link.id, public_title: 'Mail (renamed)', allowed_reads: 3, passphrase: 'new phrase 7', valid_till: new Date(validTill).toISOString() }));
      const listed = await ok<{ link_shares: Array<Record<string, unknown>> }>(200, owner.request('GET', '/link-share/'));
      assert.deepEqual(listed.link_shares.find((l) => l.id === link.id), { id: link.id, secret_id: entry.secretId, public_title: 'Mail (renamed)', allowed_reads: 3, valid_till: validTill });
      assert.deepEqual((await access({ link_share_id: link.id, passphrase: '' })).body, { non_field_errors: ['PASSPHRASE_REQUIRED'] });
      const opened = await access({ link_share_id: link.id, passphrase: 'new phrase 7' });
      assert.equal(opened.status, 200);
      assert.deepEqual(readAsThePage(opened.body as unknown as AccessAnswer, link.linkSecret).content, entry.content);
      assert.equal(((await ok<{ link_shares: Array<{ id: string; allowed_reads: number }> }>(200, owner.request('GET', '/link-share/'))).link_shares.find((l) => l.id === link.id))?.allowed_reads, 2);
      await same(owner.request('DELETE', '/link-share/', { link_share_id: link.id }), { status: 200, body: {} });
      assert.ok(!(await ok<{ link_shares: Array<{ id: string }> }>(200, owner.request('GET', '/link-share/'))).link_shares.some((l) => l.id === link.id));
      assert.deepEqual(await access({ link_share_id: link.id, passphrase: '' }), { status: 400, body: refused });
    });

    test('without a passphrase, a link share opens without one; no limit means no limit', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: null, valid_till: null });
      for (let i = 1; i <= 4; i += 1) {
        const res = await access({ link_share_id: link.id, passphrase: '' });
        assert.equal(res.status, 200);
        assert.deepEqual(readAsThePage(res.body as unknown as AccessAnswer, link.linkSecret).content, entry.content);
      }
      const found = await ok(200, owner.request('GET', `/link-share/${link.id}/`));
      assert.deepEqual(found, { id: link.id, secret_id: entry.secretId, public_title: 'Router admin', allowed_reads: null, valid_till: null });
    });

    test('the passphrase is kept only as an Argon2id hash', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry);
      const stored = await t.stores.linkShares.findOwn(owner.userId, link.id);
      assert.match(stored?.passphraseHash ?? '', /^\$argon2id\$/);
      assert.ok(!(stored?.passphraseHash ?? '').includes(PASSPHRASE));
    });

    test('an expired link share opens nothing and is not listed; valid_till in the past is refused', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: 5, valid_till: new Date(Date.now() + 60_000).toISOString() });
      assert.equal((await access({ link_share_id: link.id })).status, 200, 'control: before its expiry');
      t.advance(61_000);
      assert.deepEqual(await access({ link_share_id: link.id }), { status: 400, body: refused });
      const listed = await ok<{ link_shares: Array<{ id: string }> }>(200, owner.request('GET', '/link-share/'));
      assert.ok(!listed.link_shares.some((l) => l.id === link.id));
      assert.equal((await t.stores.linkShares.findOwn(owner.userId, link.id))?.allowedReads, 4, 'the refused open used no read');

      const past = new Date(Date.now()).toISOString(); // the server's clock is a minute ahead
      await same(owner.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex(), { valid_till: past })), { status: 400, body: { non_field_errors: ['VALID_TILL_CANNOT_BE_IN_THE_PAST'] } });
      const fresh = await makeLinkShare(owner, entry);
      await same(owner.request('POST', '/link-share/', { link_share_id: fresh.id, public_title: 'x', allowed_reads: 1, passphrase: null, valid_till: past }), { status: 400, body: { non_field_errors: ['VALID_TILL_CANNOT_BE_IN_THE_PAST'] } });
      // Control: a time ahead of the server's clock is taken, and the sweeper removes the expired one.
      assert.equal((await owner.request('POST', '/link-share/', { link_share_id: fresh.id, public_title: 'x', allowed_reads: 1, passphrase: null, valid_till: new Date(Date.now() + 3_600_000).toISOString() })).status, 200);
      assert.ok((await t.stores.linkShares.sweep(new Date(Date.now() + 61_000))) >= 1);
      assert.equal(await t.stores.linkShares.findOwn(owner.userId, link.id), undefined, 'swept');
      assert.equal((await t.stores.linkShares.findOwn(owner.userId, fresh.id))?.id, fresh.id, 'a live one stays');
    });

    test('concurrent opens never get more answers than allowed_reads', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: 3 });
      const answers = await Promise.all(Array.from({ length: 12 }, () => access({ link_share_id: link.id })));
      assert.deepEqual(answers.map((a) => a.status).sort(), [...Array(3).fill(200), ...Array(9).fill(400)]);
    });

    test('passphrase attempts are bounded per link share and address in the shared store, right or wrong; another address still opens', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { allowed_reads: null });
      const guesser = '203.0.113.40';
      for (let i = 0; i < PASSPHRASE_ATTEMPTS; i += 1) assert.deepEqual(await access({ link_share_id: link.id, passphrase: `guess ${i}` }, guesser), { status: 400, body: refused });
      const over = await access({ link_share_id: link.id, passphrase: PASSPHRASE }, guesser);
      assert.equal(over.status, 429, 'over the bound, even the right passphrase waits, from that address');
      assert.match(String(over.body.detail), /^Request was throttled\. Expected available in \d+ seconds?\.$/);
      // Counted in the shared store (every instance sees it), per link share and address.
      const counted = await t.stores.rateLimits.peek('link_share_passphrase', `link:${link.id}:${guesser}`, 3600, new Date());
      assert.equal(counted.hits + counted.previousHits, PASSPHRASE_ATTEMPTS + 1);
      // Asking without a passphrase is not a guess: still told one is needed.
      assert.deepEqual((await access({ link_share_id: link.id, passphrase: '' }, guesser)).body, { non_field_errors: ['PASSPHRASE_REQUIRED'] });
      // Control: the reader, from another address, is not locked out by the guesser; nothing was used before.
      assert.equal((await t.stores.linkShares.findOwn(owner.userId, link.id))?.allowedReads, null, 'nothing used');
      const opened = await access({ link_share_id: link.id, passphrase: PASSPHRASE }, '203.0.113.41');
      assert.equal(opened.status, 200);
      assert.deepEqual(readAsThePage(opened.body as unknown as AccessAnswer, link.linkSecret).content, entry.content);
    });

    test('passphrase attempts on one link share from many addresses meet a per-link bound; another link share still opens', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { allowed_reads: null });
      for (let i = 0; i < PASSPHRASE_ATTEMPTS_PER_LINK; i += 1) assert.equal((await access({ link_share_id: link.id, passphrase: `spread guess ${i}` })).status, 400);
      assert.equal((await access({ link_share_id: link.id, passphrase: PASSPHRASE })).status, 429, 'a fresh address, over the per-link bound');
      const another = await makeLinkShare(owner, entry);
      assert.equal((await access({ link_share_id: another.id, passphrase: PASSPHRASE })).status, 200, 'control: another link share of the same entry');
    });

    test('opens are bounded per address (link_share_secret), another address still opens', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: null });
      const address = '203.0.113.77';
      for (let i = 0; i < OPENS_PER_ADDRESS; i += 1) assert.equal((await access({ link_share_id: randomUUID() }, address)).status, 400);
      assert.equal((await access({ link_share_id: link.id }, address)).status, 429);
      assert.equal((await access({ link_share_id: link.id }, '203.0.113.78')).status, 200, 'control: another address');
    });

    test('another user manages nothing of someone else\'s link share; the creator does (controls)', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry);
      // Another user: not listed, not read, not changed, not deleted; the link share is untouched.
      const theirs = await ok<{ link_shares: Array<{ id: string }> }>(200, other.request('GET', '/link-share/'));
      assert.ok(!theirs.link_shares.some((l) => l.id === link.id));
      await same(other.request('GET', `/link-share/${link.id}/`), { status: 400, body: { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: link.id } });
      await same(other.request('POST', '/link-share/', { link_share_id: link.id, public_title: 'mine now', allowed_reads: null, passphrase: '', valid_till: null }), { status: 400, body: refused });
      await same(other.request('DELETE', '/link-share/', { link_share_id: link.id }), { status: 400, body: refused });
      await same(other.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex())), { status: 400, body: refused }, 'no link share of an entry one cannot read');
      const kept = await t.stores.linkShares.findOwn(owner.userId, link.id);
      assert.equal(kept?.publicTitle, 'Router admin');
      assert.match(kept?.passphraseHash ?? '', /^\$argon2id\$/);
      assert.equal((await access({ link_share_id: link.id, passphrase: '' })).status, 400, 'still needs its passphrase');
      // An API-key session of the owner manages nothing either (BV).
      const ask = randomBytes(32);
      const { api_key_id } = await ok(201, owner.request('PUT', '/api-key/', {
        title: 'ci', public_key: ct(32), private_key: ct(), private_key_nonce: nonce(), secret_key: ct(), secret_key_nonce: nonce(),
        user_private_key: ct(), user_private_key_nonce: nonce(), user_secret_key: ct(), user_secret_key_nonce: nonce(),
        verify_key: toHex(signKeyPairFromSeed(ask).publicKey), read: true, write: true, restrict_to_secrets: false,
      }));
      const { session: keySession } = await loginWithApiKey(client, { apiKeyId: api_key_id as string, privateKeyHex: toHex(ask), secretKeyHex: toHex(randomBytes(32)) });
      assert.equal((await keySession.request('GET', '/link-share/')).status, 403);
      assert.equal((await keySession.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex()))).status, 403);
      assert.equal((await keySession.request('DELETE', '/link-share/', { link_share_id: link.id })).status, 403);

      // The creator (controls): reads it, changes it (the edit dialog's body: passphrase "" removes it), deletes it.
      assert.equal((await ok(200, owner.request('GET', `/link-share/${link.id}/`))).id, link.id);
      await ok(200, owner.request('POST', '/link-share/', { link_share_id: link.id, public_title: 'renamed', allowed_reads: 1, passphrase: null, valid_till: null }));
      assert.match((await t.stores.linkShares.findOwn(owner.userId, link.id))?.passphraseHash ?? '', /^\$argon2id\$/, 'null keeps the passphrase');
      await ok(200, owner.request('POST', '/link-share/', { link_share_id: link.id, public_title: 'renamed', allowed_reads: 1, passphrase: '', valid_till: null }));
      const opened = await access({ link_share_id: link.id, passphrase: '' });
      assert.equal(opened.status, 200, 'the passphrase was removed');
      assert.equal((await ok(200, owner.request('GET', `/link-share/${link.id}/`))).public_title, 'renamed');
      const again = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: null });
      await ok(200, owner.request('DELETE', '/link-share/', { link_share_id: again.id }));
      assert.deepEqual(await access({ link_share_id: again.id }), { status: 400, body: refused }, 'deleted: opens nothing');
      await same(owner.request('DELETE', '/link-share/', { link_share_id: again.id }), { status: 400, body: refused });
    });

    test('a link share made through a share right opens only while its creator may still read the entry', async () => {
      const shareId = (await ok(201, owner.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: owner.datastoreId }))).share_id as string;
      const entry = await newEntry(owner, { parent_share_id: shareId }, 'Shared router');
      const reader = await person('reader');
      await same(reader.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex())), { status: 400, body: refused }, 'no right yet');
      const { share_right_id } = await ok(201, owner.request('PUT', '/share/right/', {
        share_id: shareId, user_id: reader.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false,
      }));
      await ok(200, reader.request('POST', '/share/right/accept/', { share_right_id, key: ct(), key_nonce: nonce() }));
      const link = await makeLinkShare(reader, entry, { passphrase: null, allowed_reads: null });
      const opened = await access({ link_share_id: link.id });
      assert.equal(opened.status, 200, 'control: the reader may read the entry');
      assert.deepEqual(readAsThePage(opened.body as unknown as AccessAnswer, link.linkSecret).content, entry.content);
      await same(owner.request('GET', `/link-share/${link.id}/`), { status: 400, body: { message: 'NO_PERMISSION_OR_NOT_EXIST', resource_id: link.id } }, 'the share\'s owner does not manage the reader\'s link share');
      await ok(200, owner.request('DELETE', '/share/right/', { user_share_right_id: share_right_id }));
      assert.deepEqual(await access({ link_share_id: link.id }), { status: 400, body: refused }, 'the right is gone: the link opens nothing');
    });

    test('file link shares and writable link shares are refused with a clear 400', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      await same(owner.request('PUT', '/link-share/', { ...createBody(entry, newObjectKeyHex()), secret_id: undefined, file_id: randomUUID() }), { status: 400, body: { non_field_errors: ['FILE_LINK_SHARES_NOT_SUPPORTED'] } });
      await same(owner.request('PUT', '/link-share/', { ...createBody(entry, newObjectKeyHex()), file_id: randomUUID() }), { status: 400, body: { non_field_errors: ['EITHER_SECRET_OR_FILE_REQUIRED_NOT_BOTH'] } });
      await same(owner.request('PUT', '/link-share/', { ...createBody(entry, newObjectKeyHex()), secret_id: null }), { status: 400, body: { non_field_errors: ['EITHER_SECRET_OR_FILE_REQUIRED'] } });
      await same(owner.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex(), { allow_write: true })), { status: 400, body: { non_field_errors: ['LINK_SHARE_WRITE_NOT_SUPPORTED'] } });
      const link = await makeLinkShare(owner, entry);
      await same(owner.request('POST', '/link-share/', { link_share_id: link.id, public_title: 'x', allow_write: true }), { status: 400, body: { non_field_errors: ['LINK_SHARE_WRITE_NOT_SUPPORTED'] } });
      const put = await t.app.inject({ method: 'PUT', url: '/server/link-share-access/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ link_share_id: link.id, secret_data: ct(), secret_data_nonce: nonce() }) });
      assert.equal(put.statusCode, 405, 'no writing through a link');
      assert.deepEqual(put.json(), {});
      // Field errors in Psono's words; a control with the same body otherwise.
      await same(owner.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex(), { allowed_reads: -1 })), { status: 400, body: { allowed_reads: ['Ensure this value is greater than or equal to 0.'] } });
      await same(owner.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex(), { node_nonce: 'short' })), { status: 400, body: { node_nonce: ['Ensure this field has at least 48 characters.'] } });
      assert.equal((await owner.request('PUT', '/link-share/', createBody(entry, newObjectKeyHex()))).status, 201);
    });

    test('the anonymous route answers 4xx JSON to everything bad', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const link = await makeLinkShare(owner, entry, { passphrase: null, allowed_reads: null });
      const bad: Array<[string, { payload: string; contentType?: string }]> = [
        ['not JSON', { payload: '{"link_share_id":' }],
        ['an array', { payload: '[1,2]' }],
        ['a string', { payload: '"x"' }],
        ['no id', { payload: '{}' }],
        ['a malformed id', { payload: JSON.stringify({ link_share_id: 'x'.repeat(36) }) }],
        ['a passphrase of an object', { payload: JSON.stringify({ link_share_id: link.id, passphrase: { a: 1 } }) }],
        ['a passphrase too long', { payload: JSON.stringify({ link_share_id: link.id, passphrase: 'p'.repeat(1025) }) }],
        ['a NUL in the passphrase', { payload: JSON.stringify({ link_share_id: link.id, passphrase: 'a\u0000b' }) }],
        ['plain text', { payload: 'hello', contentType: 'text/plain' }],
        ['a body over 64 KiB', { payload: JSON.stringify({ link_share_id: link.id, passphrase: 'p'.repeat(70_000) }) }],
      ];
      for (const [what, raw] of bad) {
        const res = await access(undefined, nextAddress(), raw);
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
        assert.equal(typeof res.body, 'object', `${what}: a JSON answer`);
        assert.ok(!JSON.stringify(res.body).includes('at '), `${what}: no stack`);
      }
      assert.equal((await access({ link_share_id: link.id })).status, 200, 'control: a good request');
    });

    test('wrong passphrases count as failed authentications of their address (FAILED_AUTH_RATE, shared with logins)', async () => {
      const entry = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      const links = [await makeLinkShare(owner, entry, { allowed_reads: null }), await makeLinkShare(owner, entry, { allowed_reads: null })];
      const address = '203.0.113.60';
      // FAILED_AUTH_RATE is 5/hour here: three guesses on one link share, two on the other.
      for (const [i, link] of [links[0], links[0], links[0], links[1], links[1]].entries()) {
        assert.deepEqual(await access({ link_share_id: link?.id, passphrase: `guess ${i}` }, address), { status: 400, body: refused });
      }
      const third = await makeLinkShare(owner, entry);
      assert.equal((await access({ link_share_id: third.id, passphrase: PASSPHRASE }, address)).status, 429, 'the address used up its failures: refused before any hash');
      const failed = await t.stores.rateLimits.peek('failed_auth', address, 3600, new Date());
      assert.equal(failed.hits + failed.previousHits, 5, 'five failures counted in the shared store, the refused attempt not among them');
      assert.equal((await access({ link_share_id: third.id, passphrase: PASSPHRASE }, '203.0.113.61')).status, 200, 'control: another address');
    });

    test('passphrases hashed for one user are bounded, and a creation refused for want of a right costs no hash', async () => {
      const maker = await person('hasher');
      const notMine = await newEntry(owner, { parent_datastore_id: owner.datastoreId });
      for (let i = 0; i < HASHES_PER_USER + 2; i += 1) {
        await same(maker.request('PUT', '/link-share/', createBody(notMine, newObjectKeyHex())), { status: 400, body: refused }, 'no right on the entry: refused before hashing');
      }
      const mine = await newEntry(maker, { parent_datastore_id: maker.datastoreId });
      const made = [];
      for (let i = 0; i < HASHES_PER_USER; i += 1) made.push(await makeLinkShare(maker, mine));
      assert.equal((await maker.request('PUT', '/link-share/', createBody(mine, newObjectKeyHex()))).status, 429, 'one more passphrase to hash');
      assert.equal((await maker.request('POST', '/link-share/', { link_share_id: made[0]?.id, public_title: 'x', allowed_reads: 1, passphrase: 'another one', valid_till: null })).status, 429, 'a changed passphrase is hashed too');
      assert.equal((await maker.request('PUT', '/link-share/', createBody(mine, newObjectKeyHex(), { passphrase: null }))).status, 201, 'control: without a passphrase nothing is hashed');
      assert.equal((await owner.request('PUT', '/link-share/', createBody(notMine, newObjectKeyHex()))).status, 201, 'control: another user hashes');
    });
  });
}
