// The share-tree part of the vault bench: a tree of shares nested DEPTH deep with a secret one and
// DEPTH links below the top share, the readers' rights on the top share, and the SQL statements an
// authorized read costs at each depth, counted for real with the store's query hook (Kysely's log)
// in a server built in this process.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Transport } from '../src/client/transport.js';
import { VaultClient, type VaultSession } from '../src/client/vault-session.js';
import { buildApp } from '../src/server/app.js';
import { parseConfig } from '../src/server/config.js';
import { openBlobStore, sqlStores } from '../src/store/open-stores.js';
import { openSqliteDatabase } from '../src/store/sql/sqlite-database.js';

export const DEEP = 8;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export interface ShareTree {
  /** depth → the secret one and DEEP links below the top share, with its data. */
  secrets: Map<number, { secretId: string; data: string }>;
}

async function ok(what: string, status: number, work: Promise<{ status: number; body: unknown }>): Promise<Record<string, unknown>> {
  const answer = await work;
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body as Record<string, unknown>;
}

/** The owner's tree under its datastore; every reader gets read on the top share and accepts it. */
export async function buildShareTree(owner: VaultSession, datastoreId: string, readers: VaultSession[]): Promise<ShareTree> {
  const newShare = async (parent: Record<string, string>) =>
    (await ok('POST /server/share/', 201, owner.request('POST', '/share/', { data: hex(40), data_nonce: hex(24), key: hex(80), key_nonce: hex(24), key_type: 'symmetric', link_id: randomUUID(), ...parent }))).share_id as string;
  const chain = [await newShare({ parent_datastore_id: datastoreId })];
  for (let depth = 1; depth <= DEEP; depth += 1) chain.push(await newShare({ parent_share_id: chain[depth - 1] as string }));
  const secrets = new Map<number, { secretId: string; data: string }>();
  for (const depth of [1, DEEP]) {
    const data = hex(60);
    const { secret_id } = await ok('PUT /server/secret/', 201, owner.request('PUT', '/secret/', { data, data_nonce: hex(24), link_id: randomUUID(), parent_share_id: chain[depth] as string }));
    secrets.set(depth, { secretId: secret_id as string, data });
  }
  for (const reader of readers) {
    const { share_right_id } = await ok('PUT /server/share/right/', 201, owner.request('PUT', '/share/right/', {
      share_id: chain[0], user_id: reader.userId, key: hex(80), key_nonce: hex(24), title: hex(40), title_nonce: hex(24), type: hex(40), type_nonce: hex(24), read: true, write: false, grant: false,
    }));
    await ok('POST /server/share/right/accept/', 200, reader.request('POST', '/share/right/accept/', { share_right_id, key: hex(80), key_nonce: hex(24) }));
  }
  return { secrets };
}

/**
 * A second tree for the group bench: a top share with a child share holding one secret; the owner
 * makes a group, invites every reader (each accepts) and gives the group read on the top share. A
 * reader then reaches the secret only through the group, one link below the group's right.
 */
export async function buildGroupShareTree(owner: VaultSession, datastoreId: string, readers: VaultSession[]): Promise<{ secretId: string; data: string }> {
  const newShare = async (parent: Record<string, string>) =>
    (await ok('POST /server/share/', 201, owner.request('POST', '/share/', { data: hex(40), data_nonce: hex(24), key: hex(80), key_nonce: hex(24), key_type: 'symmetric', link_id: randomUUID(), ...parent }))).share_id as string;
  const top = await newShare({ parent_datastore_id: datastoreId });
  const child = await newShare({ parent_share_id: top });
  const data = hex(60);
  const { secret_id } = await ok('PUT /server/secret/', 201, owner.request('PUT', '/secret/', { data, data_nonce: hex(24), link_id: randomUUID(), parent_share_id: child }));
  const { group_id } = await ok('PUT /server/group/', 201, owner.request('PUT', '/group/', {
    name: `bench-${hex(4)}`, public_key: hex(32), secret_key: hex(72), secret_key_nonce: hex(24), private_key: hex(72), private_key_nonce: hex(24),
  }));
  for (const reader of readers) {
    const { membership_id } = await ok('PUT /server/membership/', 201, owner.request('PUT', '/membership/', {
      user_id: reader.userId, group_id, secret_key: hex(72), secret_key_nonce: hex(24), secret_key_type: 'asymmetric', private_key: hex(72), private_key_nonce: hex(24), private_key_type: 'asymmetric',
    }));
    await ok('POST /server/membership/accept/', 200, reader.request('POST', '/membership/accept/', { membership_id }));
  }
  await ok('PUT /server/share/right/', 201, owner.request('PUT', '/share/right/', {
    share_id: top, group_id, key: hex(80), key_nonce: hex(24), title: hex(40), title_nonce: hex(24), type: hex(40), type_nonce: hex(24), read: true, write: false, grant: false,
  }));
  return { secretId: secret_id as string, data };
}

function injectTransport(app: FastifyInstance): Transport {
  return async ({ method, path: url, headers, body }) => {
    const res = await app.inject({ method, url, headers, ...(body !== undefined ? { payload: body } : {}) });
    return { status: res.statusCode, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])), body: res.body };
  };
}

/**
 * SQL statements of one reader's whole encrypted GET /secret/<id>/ through the tree (authentication,
 * throttle and the authorized read), at depth 1 and DEEP.
 */
export async function countStatementsPerRead(dataDir: string, password: string): Promise<Array<{ depth: number; statements: number }>> {
  let statements = 0;
  const database = await openSqliteDatabase(path.join(dataDir, 'count.sqlite'), { onQuery: () => void (statements += 1) });
  try {
    const { blobs, uploads } = await openBlobStore({ dataDir, blobStoreUrl: undefined });
    const throttles = Object.fromEntries(['LOGIN', 'PRELOGIN', 'USER'].map((s) => [`VAULT_THROTTLE_${s}`, '999999/second']));
    const config = parseConfig({ LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...throttles });
    const { app } = await buildApp({ config, blobs, uploads, ...sqlStores(database) });
    await app.ready();
    try {
      const client = new VaultClient(injectTransport(app));
      const person = async (who: string) => {
        const username = `${who}-${hex(4)}@example.com`;
        await client.register(username, `${who}-${hex(4)}@mail.example.com`, password);
        return client.login({ username, password, sendDeviceTime: false });
      };
      const owner = await person('owner');
      const reader = await person('reader');
      const { datastore_id } = await ok('PUT /server/datastore/', 201, owner.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: hex(80), secret_key_nonce: hex(24) }));
      const tree = await buildShareTree(owner, datastore_id as string, [reader]);
      const counts = [];
      for (const [depth, { secretId, data }] of tree.secrets) {
        statements = 0;
        const answer = await reader.request('GET', `/secret/${secretId}/`);
        if (answer.status !== 200 || (answer.body as { data?: unknown }).data !== data) throw new Error(`GET /secret/<id>/ ${depth} deep: HTTP ${answer.status}`);
        counts.push({ depth, statements });
      }
      return counts;
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}
