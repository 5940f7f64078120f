import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openPostgresDatabase } from '../../src/store/sql/postgres-database.js';
import type { SqlDatabase, SqlDatabaseOptions } from '../../src/store/sql/sql-database.js';
import { SqlVaultObjectStore } from '../../src/store/sql/sql-vault-object-store.js';
import { SqlVaultStore } from '../../src/store/sql/sql-vault-store.js';
import { openSqliteDatabase } from '../../src/store/sql/sqlite-database.js';
import type { ShareRightRecord } from '../../src/store/vault-object-store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { BACKENDS, tempDir } from '../helpers/stores.js';
import { newUser } from './vault-stores.js';

// Authorization inside the query: an authorized read is one SQL statement whatever the depth of the
// share tree it goes through (counted for real, with Kysely's log hook).
const hex = (n: number) => randomBytes(n).toString('hex');
const T0 = new Date('2026-04-01T08:00:00.000Z');

async function open(backend: 'sqlite' | 'postgres', options: SqlDatabaseOptions): Promise<{ database: SqlDatabase; close: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = await tempDir();
    const database = await openSqliteDatabase(path.join(dir, 'count.sqlite'), options);
    return { database, close: async () => { await database.close(); await rm(dir, { recursive: true, force: true }); } };
  }
  const pg = await createTestDatabase();
  const database = await openPostgresDatabase(pg.url, options);
  return { database, close: async () => { await database.close(); await pg.drop(); } };
}

for (const backend of BACKENDS) {
  describe(`statements per authorized read (${backend})`, () => {
    test('one statement for a secret read at depth 1, 8 and 32; the other checks do not grow either', async () => {
      let statements = 0;
      const { database, close } = await open(backend, { onQuery: () => void (statements += 1) });
      try {
        const vault = new SqlVaultStore(database);
        const objects = new SqlVaultObjectStore(database);
        const owner = newUser();
        const reader = newUser();
        await vault.createUser(owner);
        await vault.createUser(reader);
        const datastoreId = randomUUID();
        await objects.createDatastore({ id: datastoreId, userId: owner.id, type: 'password', description: 'D', data: '', dataNonce: '', secretKey: hex(80), secretKeyNonce: hex(24), isDefault: true, createdAt: T0, writeDate: T0 });
        const right = (shareId: string, userId: string, flags: Partial<ShareRightRecord> = {}): ShareRightRecord => ({
          id: randomUUID(), shareId, userId, creatorId: owner.id, title: '', titleNonce: '', type: '', typeNonce: '', key: hex(80), keyNonce: hex(24), keyType: 'symmetric',
          read: true, write: true, grant: true, accepted: true, expirationDate: null, createdAt: T0, writeDate: T0, ...flags,
        });
        const chain: string[] = [];
        for (let depth = 0; depth <= 32; depth += 1) {
          const id = randomUUID();
          const parent = depth === 0 ? { datastoreId } : { shareId: chain[depth - 1] as string };
          await objects.createShare({ id, userId: owner.id, data: hex(40), dataNonce: hex(24), createdAt: T0, writeDate: T0 }, right(id, owner.id), { linkId: randomUUID(), parent });
          chain.push(id);
        }
        await objects.putShareRight(right(chain[0] as string, reader.id, { write: false, grant: false }));
        const secretAt = async (depth: number) => {
          const s = { id: randomUUID(), userId: owner.id, data: hex(40), dataNonce: hex(24), type: 'password', readCount: 0, callbackUrl: '', callbackUser: '', callbackPass: '', createdAt: T0, writeDate: T0 };
          await objects.createSecret(s, { linkId: randomUUID(), parent: { shareId: chain[depth] as string } });
          return s.id;
        };
        const count = async (work: () => Promise<unknown>) => {
          statements = 0;
          await work();
          return statements;
        };
        const counts: Record<string, number[]> = { readSecretFor: [], readShareFor: [], shareRightsFor: [], secretRightsFor: [], updateSecretFor: [] };
        for (const depth of [1, 8, 32]) {
          const secretId = await secretAt(depth);
          let read: unknown;
          counts.readSecretFor?.push(await count(async () => (read = await objects.readSecretFor({ userId: reader.id }, secretId, T0))));
          assert.ok(read, `the reader reads the secret ${depth} deep`);
          assert.equal(await objects.readSecretFor({ userId: newUser().id }, secretId, T0), undefined, 'control: a stranger does not');
          counts.readShareFor?.push(await count(() => objects.readShareFor(reader.id, chain[depth] as string, T0)));
          counts.shareRightsFor?.push(await count(() => objects.shareRightsFor(reader.id, chain[depth] as string, T0)));
          counts.secretRightsFor?.push(await count(() => objects.secretRightsFor(reader.id, secretId, T0)));
          counts.updateSecretFor?.push(await count(() => objects.updateSecretFor({ userId: owner.id }, secretId, { data: hex(40) }, T0)));
        }
        assert.deepEqual(counts.readSecretFor, [1, 1, 1], 'a secret read is one statement');
        assert.deepEqual(counts.readShareFor, [1, 1, 1]);
        assert.deepEqual(counts.shareRightsFor, [1, 1, 1]);
        assert.deepEqual(counts.secretRightsFor, [1, 1, 1]);
        // A write is one transaction: begin, the owner's lock (storage cap), the checked read, the
        // history, its pruning (history cap), the update, commit.
        assert.deepEqual(counts.updateSecretFor, [7, 7, 7], 'a write does not grow with the depth either');
      } finally {
        await close();
      }
    });
  });
}
