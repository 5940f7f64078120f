import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RateLimitStore } from '../../src/store/rate-limit-store.js';
import type { ReplayStore } from '../../src/store/replay-store.js';
import type { NewUser, SessionRecord, VaultStore } from '../../src/store/vault-store.js';

export interface VaultStoresHarness {
  vault: VaultStore;
  rateLimits: RateLimitStore;
  replays: ReplayStore;
  close(): Promise<void>;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = randomUUID();
  return {
    id,
    username: `u${hex(4)}@example.com`,
    emailHmac: hex(32),
    emailCiphertext: hex(40),
    emailNonce: hex(24),
    authkeyHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
    publicKey: hex(32),
    privateKey: hex(80),
    privateKeyNonce: hex(24),
    secretKey: hex(80),
    secretKeyNonce: hex(24),
    userSauce: hex(32),
    hashingAlgorithm: 'scrypt',
    hashingParameters: { u: 14, r: 8, p: 1, l: 64 },
    language: 'en',
    isActive: true,
    isEmailActive: true,
    registrationDate: T0,
    ...overrides,
  };
}

export function newSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    tokenHash: hex(64),
    userId,
    secretKey: hex(32),
    userValidator: hex(32),
    sessionKey: hex(32),
    deviceFingerprint: 'fp',
    deviceDescription: 'Console Client test',
    clientDate: T0,
    requiresValidator: true,
    createdAt: T0,
    validTill: at(3600_000),
    active: false,
    read: true,
    write: true,
    apiKeyId: null,
    lifetimeSeconds: 7200,
    secondFactorPending: false,
    ...overrides,
  };
}

/** Every implementation of the vault's stores passes this suite. */
export function vaultStoresSuite(name: string, open: () => Promise<VaultStoresHarness>): void {
  describe(`Vault stores conformance: ${name}`, () => {
    let h: VaultStoresHarness;
    before(async () => {
      h = await open();
    });
    after(async () => h.close());

    test('a server secret is created once; later callers get the first value', async () => {
      const name = `k${hex(4)}`;
      const values = await Promise.all(Array.from({ length: 5 }, (_, i) => h.vault.getOrCreateServerSecret(name, () => `value-${i}`)));
      assert.equal(new Set(values).size, 1);
      assert.equal(await h.vault.getOrCreateServerSecret(name, () => 'other'), values[0]);
    });

    test('users round-trip every field; usernames and e-mails are unique', async () => {
      const user = newUser();
      assert.equal(await h.vault.createUser(user), 'created');
      const found = await h.vault.findUserByUsername(user.username);
      assert.deepEqual(found, { ...user, zoneinfo: null, lastLogin: null });
      assert.deepEqual(await h.vault.findUserById(user.id), found);
      assert.deepEqual(await h.vault.findUserByEmailHmac(user.emailHmac), found);
      assert.equal(await h.vault.createUser(newUser({ username: user.username })), 'username_taken');
      assert.equal(await h.vault.createUser(newUser({ emailHmac: user.emailHmac })), 'email_taken');
      assert.equal(await h.vault.findUserByUsername('nobody@example.com'), undefined);
    });

    test('updateUser changes only the given fields and refuses a taken e-mail', async () => {
      const user = newUser();
      const other = newUser();
      await h.vault.createUser(user);
      await h.vault.createUser(other);
      const sauce = hex(32);
      assert.equal(await h.vault.updateUser(user.id, { language: 'de', zoneinfo: 'Europe/Berlin', lastLogin: at(5), userSauce: sauce }), 'updated');
      const updated = await h.vault.findUserById(user.id);
      assert.equal(updated?.language, 'de');
      assert.equal(updated?.zoneinfo, 'Europe/Berlin');
      assert.equal(updated?.userSauce, sauce);
      assert.deepEqual(updated?.lastLogin, at(5));
      assert.equal(updated?.authkeyHash, user.authkeyHash, 'untouched');
      assert.equal(await h.vault.updateUser(user.id, { emailHmac: other.emailHmac }), 'email_taken');
      assert.equal((await h.vault.findUserById(user.id))?.emailHmac, user.emailHmac);
      assert.equal(await h.vault.updateUser(randomUUID(), { language: 'fr' }), 'not_found');
    });

    test('sessions: create, find by token hash, activate once, list, delete', async () => {
      const user = newUser();
      await h.vault.createUser(user);
      const session = newSession(user.id);
      await h.vault.createSession(session, { exclusive: false });
      const found = await h.vault.findSessionByTokenHash(session.tokenHash);
      assert.deepEqual(found?.session, session);
      assert.equal(found?.user.id, user.id);
      assert.deepEqual(await h.vault.listActiveSessions(user.id, at(1)), [], 'inactive sessions are not listed');
      assert.equal(await h.vault.activateSession(session.id, at(60_000)), true);
      assert.equal(await h.vault.activateSession(session.id, at(60_000)), false, 'only once');
      const active = await h.vault.findSessionByTokenHash(session.tokenHash);
      assert.equal(active?.session.active, true);
      assert.equal(active?.session.userValidator, null, 'validator erased');
      assert.deepEqual(active?.session.validTill, at(60_000 + 7200_000), 'its lifetime starts at activation');
      assert.deepEqual((await h.vault.listActiveSessions(user.id, at(1))).map((s) => s.id), [session.id]);
      assert.deepEqual(await h.vault.listActiveSessions(user.id, at(60_000 + 7200_000)), [], 'expired');
      assert.equal(await h.vault.deleteSession(session.id, randomUUID()), false, 'not the owner');
      assert.equal(await h.vault.deleteSession(session.id, user.id), true);
      assert.equal(await h.vault.findSessionByTokenHash(session.tokenHash), undefined);
    });

    test('a session is not made for a login checked against an authkey that has changed, or a deleted user', async () => {
      const user = newUser();
      await h.vault.createUser(user);
      assert.equal(await h.vault.createSession(newSession(user.id), { exclusive: false, authkeyHash: 'stale' }), false);
      assert.equal(await h.vault.createSession(newSession(user.id), { exclusive: false, authkeyHash: user.authkeyHash }), true);
      assert.equal(await h.vault.createSession(newSession(randomUUID()), { exclusive: false, authkeyHash: user.authkeyHash }), false);
      const keep = newSession(user.id, { active: true });
      await h.vault.createSession(keep, { exclusive: false });
      assert.equal(await h.vault.updateUser(user.id, { authkeyHash: 'new' }, { endSessionsExcept: keep.id }), 'updated');
      assert.deepEqual((await h.vault.listActiveSessions(user.id, at(1))).map((s) => s.id), [keep.id], 'the others ended with the change');
    });

    test('an exclusive session ends the others; deleteOtherSessions keeps the one named', async () => {
      const user = newUser();
      await h.vault.createUser(user);
      const [a, b, c] = [newSession(user.id, { active: true }), newSession(user.id, { active: true }), newSession(user.id, { active: true })];
      await h.vault.createSession(a, { exclusive: false });
      await h.vault.createSession(b, { exclusive: false });
      await h.vault.createSession(c, { exclusive: true });
      assert.deepEqual((await h.vault.listActiveSessions(user.id, at(1))).map((s) => s.id), [c.id]);
      const d = newSession(user.id, { active: true });
      await h.vault.createSession(d, { exclusive: false });
      assert.equal(await h.vault.deleteOtherSessions(user.id, d.id), 1);
      assert.deepEqual((await h.vault.listActiveSessions(user.id, at(1))).map((s) => s.id), [d.id]);
      assert.equal(await h.vault.deleteOtherSessions(user.id, null), 1);
    });

    test('deleting a user ends the sessions of the user, and only those', async () => {
      const user = newUser();
      const bystander = newUser();
      await h.vault.createUser(user);
      await h.vault.createUser(bystander);
      const session = newSession(user.id);
      const kept = newSession(bystander.id);
      await h.vault.createSession(session, { exclusive: false });
      await h.vault.createSession(kept, { exclusive: false });
      assert.equal(await h.vault.deleteUser(user.id), true);
      assert.equal(await h.vault.findUserById(user.id), undefined);
      assert.equal(await h.vault.findSessionByTokenHash(session.tokenHash), undefined);
      assert.ok(await h.vault.findSessionByTokenHash(kept.tokenHash));
      assert.equal(await h.vault.deleteUser(user.id), false);
    });

    test('expired sessions are removed by deleteExpiredSessions', async () => {
      const user = newUser();
      await h.vault.createUser(user);
      const old = newSession(user.id, { validTill: at(10) });
      await h.vault.createSession(old, { exclusive: false });
      assert.ok((await h.vault.deleteExpiredSessions(at(11))) >= 1);
      assert.equal(await h.vault.findSessionByTokenHash(old.tokenHash), undefined);
    });

    test('rate limits count every hit in a window, concurrently, and start again in the next', async () => {
      const subject = hex(8);
      const results = await Promise.all(Array.from({ length: 25 }, () => h.rateLimits.hit('login', subject, 60, at(5_000))));
      assert.deepEqual(results.map((r) => r.hits).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i + 1));
      assert.deepEqual(results[0]?.resetsAt, new Date(Math.floor(at(5_000).getTime() / 60_000) * 60_000 + 60_000));
      assert.equal((await h.rateLimits.hit('prelogin', subject, 60, at(5_000))).hits, 1, 'scopes are separate');
      assert.equal((await h.rateLimits.hit('login', hex(8), 60, at(5_000))).hits, 1, 'subjects are separate');
      const next = results[0]?.resetsAt ?? at(0);
      assert.deepEqual(
        { ...(await h.rateLimits.hit('login', subject, 60, next)), resetsAt: undefined },
        { hits: 1, previousHits: 25, resetsAt: undefined },
        'a new window, which sees the one before',
      );
      assert.equal((await h.rateLimits.hit('login', subject, 60, new Date(next.getTime() + 60_000))).previousHits, 1);
      assert.ok((await h.rateLimits.sweep(new Date(next.getTime() + 240_000))) >= 2);
    });

    test('peek answers what hit would, and counts nothing', async () => {
      const subject = hex(8);
      assert.deepEqual({ ...(await h.rateLimits.peek('failed_auth', subject, 60, at(5_000))), resetsAt: undefined }, { hits: 0, previousHits: 0, resetsAt: undefined });
      await h.rateLimits.hit('failed_auth', subject, 60, at(5_000));
      await h.rateLimits.hit('failed_auth', subject, 60, at(5_000));
      const peeked = await h.rateLimits.peek('failed_auth', subject, 60, at(5_000));
      assert.equal(peeked.hits, 2);
      assert.equal((await h.rateLimits.peek('failed_auth', subject, 60, at(5_000))).hits, 2, 'a peek does not count');
      assert.deepEqual(peeked.resetsAt, new Date(Math.floor(at(5_000).getTime() / 60_000) * 60_000 + 60_000));
      const next = await h.rateLimits.peek('failed_auth', subject, 60, peeked.resetsAt);
      assert.deepEqual({ hits: next.hits, previousHits: next.previousHits }, { hits: 0, previousHits: 2 });
      assert.equal((await h.rateLimits.hit('failed_auth', subject, 60, at(5_000))).hits, 3);
    });

    test('a replay mark is accepted once while unexpired, concurrently, then again after it expires', async () => {
      const digest = hex(32);
      const results = await Promise.all(Array.from({ length: 10 }, () => h.replays.remember('api_key_login', digest, at(60_000), at(0))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await h.replays.remember('password_login', digest, at(60_000), at(0)), true, 'kinds are separate');
      assert.equal(await h.replays.remember('api_key_login', digest, at(120_000), at(60_000)), true, 'expired mark');
      assert.ok((await h.replays.sweep(at(10 * 60_000))) >= 1);
    });
  });
}
