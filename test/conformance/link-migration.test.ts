import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../src/store/sql/migrations/index.js';
import type { Database } from '../../src/store/sql/schema.js';
import { migrate } from '../../src/store/sql/sql-database.js';
import { SqlVaultObjectStore } from '../../src/store/sql/sql-vault-object-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { BACKENDS, tempDir } from '../helpers/stores.js';

// Migration 0006 on a database that already holds a share tree in the one `links` table of 0003:
// every link keeps its place, each kind moves to its own table, and each share link gets the
// creator documented in the migration (docs/authorization.md, "Links made before 0006").
const hex = (n: number) => randomBytes(n).toString('hex');
const NOW = Date.now();
// Booleans as both drivers bind them: SQLite has no boolean type.
const truth = (backend: 'sqlite' | 'postgres', value: boolean) => (backend === 'sqlite' ? Number(value) : value);

async function openAt0005(backend: 'sqlite' | 'postgres') {
  if (backend === 'sqlite') {
    const dir = await tempDir();
    const sqlite = new SQLite(path.join(dir, 'old.sqlite'));
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, close: async () => { await db.destroy(); await rm(dir, { recursive: true, force: true }); } };
  }
  const database = await createTestDatabase();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
  return { db, close: async () => { await db.destroy(); await database.drop(); } };
}

for (const backend of BACKENDS) {
  describe(`migration 0006: secret links and share links apart (${backend})`, () => {
    test('existing links keep their places; share links get a creator that never widens a right', async () => {
      const { db, close } = await openAt0005(backend);
      try {
        const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0005-one-default-datastore');
        assert.equal(error, undefined);
        const id = () => randomUUID();
        const [alice, bob, mallory, friend] = [id(), id(), id(), id()];
        for (const user of [alice, bob, mallory, friend]) {
          await sql`insert into users (id, username, email_hmac, email_ciphertext, email_nonce, authkey_hash, public_key, private_key, private_key_nonce,
            secret_key, secret_key_nonce, user_sauce, hashing_algorithm, hashing_parameters, language, zoneinfo, is_active, is_email_active, registration_date, last_login)
            values (${user}, ${`${user}@example.com`}, ${hex(32)}, ${hex(40)}, ${hex(24)}, ${'x'}, ${hex(32)}, ${hex(80)}, ${hex(24)}, ${hex(80)}, ${hex(24)},
            ${hex(32)}, ${'scrypt'}, ${'{}'}, ${'en'}, ${null}, ${truth(backend, true)}, ${truth(backend, true)}, ${NOW}, ${null})`.execute(db);
        }
        const [dA, dM] = [id(), id()];
        for (const [d, owner] of [[dA, alice], [dM, mallory]] as const) {
          await sql`insert into datastores (id, user_id, type, description, data, data_nonce, secret_key, secret_key_nonce, is_default, created_at, write_date)
            values (${d}, ${owner}, ${'password'}, ${'Default'}, ${''}, ${''}, ${hex(80)}, ${hex(24)}, ${truth(backend, true)}, ${NOW}, ${NOW})`.execute(db);
        }
        const [P, Q, X, M] = [id(), id(), id(), id()];
        for (const [share, owner] of [[P, alice], [Q, bob], [X, alice], [M, mallory]] as const) {
          await sql`insert into shares (id, user_id, data, data_nonce, created_at, write_date) values (${share}, ${owner}, ${hex(40)}, ${hex(24)}, ${NOW}, ${NOW})`.execute(db);
        }
        const grant = async (share: string, user: string, read: boolean, write: boolean, grantFlag: boolean) => {
          await sql`insert into user_share_rights (id, share_id, user_id, creator_id, title, title_nonce, type, type_nonce, key, key_nonce, key_type,
            "read", "write", "grant", accepted, expiration_date, created_at, write_date)
            values (${id()}, ${share}, ${user}, ${alice}, ${''}, ${''}, ${''}, ${''}, ${hex(80)}, ${hex(24)}, ${'symmetric'},
            ${truth(backend, read)}, ${truth(backend, write)}, ${truth(backend, grantFlag)}, ${truth(backend, true)}, ${null}, ${NOW}, ${NOW})`.execute(db);
        };
        await grant(P, alice, true, true, true);
        await grant(X, alice, true, true, true);
        await grant(Q, bob, true, true, true);
        await grant(M, mallory, true, true, true);
        await grant(P, bob, true, true, false); // bob may write P: he made Q inside it
        await grant(P, friend, true, false, false);
        await grant(X, mallory, true, false, true); // read + grant, no write
        await grant(M, friend, true, true, true);
        const s1 = id();
        await sql`insert into secrets (id, user_id, data, data_nonce, type, read_count, callback_url, callback_user, callback_pass, created_at, write_date)
          values (${s1}, ${alice}, ${hex(40)}, ${hex(24)}, ${'password'}, ${0}, ${''}, ${''}, ${''}, ${NOW}, ${NOW})`.execute(db);
        const [L1, L2, L3, L4, S1] = [id(), id(), id(), id(), id()];
        const link = async (linkId: string, secretId: string | null, shareId: string | null, datastoreId: string | null, parentShareId: string | null) => {
          await sql`insert into links (link_id, secret_id, share_id, parent_datastore_id, parent_share_id)
            values (${linkId}, ${secretId}, ${shareId}, ${datastoreId}, ${parentShareId})`.execute(db);
        };
        await link(L1, null, P, dA, null);
        await link(L2, null, Q, null, P);
        await link(L3, null, X, dA, null);
        await link(L4, null, X, null, M); // the escalation of issue 8 item 1, made before the fix
        await link(S1, s1, null, null, X);

        await migrate(db);
        const store = new SqlVaultObjectStore({ backend, db, close: async () => {} });
        assert.deepEqual(await store.getSecretLink(S1), { linkId: S1, secretId: s1, parent: { shareId: X } });
        assert.equal(await store.getShareLink(S1), undefined);
        assert.deepEqual(await store.getShareLink(L1), { linkId: L1, shareId: P, parent: { datastoreId: dA }, creatorId: alice });
        assert.deepEqual(await store.getShareLink(L2), { linkId: L2, shareId: Q, parent: { shareId: P }, creatorId: bob }, 'the child\'s owner, who may write the parent');
        assert.deepEqual(await store.getShareLink(L3), { linkId: L3, shareId: X, parent: { datastoreId: dA }, creatorId: alice });
        assert.deepEqual(await store.getShareLink(L4), { linkId: L4, shareId: X, parent: { shareId: M }, creatorId: mallory }, 'the parent\'s owner');

        const now = new Date(NOW + 1000);
        assert.deepEqual(await store.shareRightsFor(friend, Q, now), { read: true, write: false, grant: false }, 'a share made inside a parent keeps its recipients');
        assert.deepEqual(await store.shareRightsFor(friend, X, now), { read: true, write: false, grant: true }, 'the old escalation is capped');
        assert.deepEqual(await store.secretRightsFor(friend, s1, now), { read: true, write: false });
        assert.deepEqual(await store.secretRightsFor(alice, s1, now), { read: true, write: true }, 'control: the owner');
      } finally {
        await close();
      }
    });
  });
}
