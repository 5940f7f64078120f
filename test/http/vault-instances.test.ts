import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { VaultClient } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { openTestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { tempDir } from '../helpers/stores.js';

test('two instances on one PostgreSQL share the server keys and each other\'s sessions', async () => {
  const a = await openTestApp('postgres');
  // A second instance on the same stores, as behind a load balancer.
  const logs: string[] = [];
  const b = await buildApp({
    config: parseConfig({ LOG_LEVEL: 'info' }),
    metadata: a.stores.metadata,
    blobs: a.stores.blobs,
    vault: a.stores.vault,
    objects: a.stores.objects,
    apiKeys: a.stores.apiKeys,
    replays: a.stores.replays,
    rateLimits: a.stores.rateLimits,
    uploads: a.stores.uploads,
    uploadRecords: a.stores.uploadRecords,
    sends: a.stores.sends,
    recovery: a.stores.recovery,
    secondFactors: a.stores.secondFactors,
    linkShares: a.stores.linkShares,
    logDestination: { write: (line: string) => void logs.push(line) },
  });
  try {
    assert.equal(toHex(b.serverKeys.verifyKey), toHex(a.serverKeys.verifyKey));
    assert.equal(toHex(b.serverKeys.boxPublicKey), toHex(a.serverKeys.boxPublicKey));
    const onA = new VaultClient(injectTransport(a.app));
    const username = `multi-${Date.now()}@example.com`;
    assert.equal((await onA.register(username, `m${Date.now()}@mail.example.com`, 'pw pw pw')).status, 201);
    const session = await onA.login({ username, password: 'pw pw pw', deviceFingerprint: 'device-1' });
    const token = session.token.reveal();
    const secretHex = toHex(session.sessionSecret.reveal());
    // The same session, its validator and its transport key, served by instance B.
    const res = await b.app.inject({
      method: 'GET',
      url: '/server/user/status/',
      headers: { authorization: `Token ${token}`, 'authorization-validator': session.validatorHeader() },
    });
    assert.equal(res.statusCode, 200);
    const all = [...logs, ...a.logs].join('');
    for (const secret of [token, secretHex]) assert.ok(!all.includes(secret), 'no token or session secret in the logs');
  } finally {
    await b.app.close();
    await a.close();
  }
});

test('`npm run keys` prints the keys the server publishes; a Psono PRIVATE_KEY gives Psono\'s (V10)', async () => {
  const dataDir = await tempDir();
  try {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/server/keys-command.ts'], { env: { ...process.env, DATA_DIR: dataDir, ...env }, encoding: 'utf8', timeout: 30_000 });
    const first = run({});
    assert.equal(first.status, 0, first.stderr);
    const value = (out: string, key: string) => new RegExp(`^${key}\\s+(\\S+)$`, 'm').exec(out)?.[1];
    assert.match(value(first.stdout, 'server_public_key') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(run({}).stdout, first.stdout, 'stable across runs');
    const app = await openTestAppOn(dataDir);
    try {
      const info = (await app.inject({ method: 'GET', url: '/server/info/' })).json<{ info: string; verify_key: string }>();
      assert.equal(info.verify_key, value(first.stdout, 'server_signature'));
      assert.equal((JSON.parse(info.info) as { public_key: string }).public_key, value(first.stdout, 'server_public_key'));
    } finally {
      await app.close();
    }
    const psono = run({ VAULT_PSONO_PRIVATE_KEY: '302650c3c82f7111c2e8ceb660d32173cdc8c3d7717f1d4f982aad5234648fcb' });
    assert.equal(value(psono.stdout, 'server_public_key'), '02da2ad857321d701d754a7e60d0a147cdbc400ff4465e1f57bc2d9fbfeddf0b');
    assert.equal(value(psono.stdout, 'server_signature'), '4ce9e761e1d458fe18af577c50eb8249a0de535c9bd6b7a97885c331b46dcbd1');
    assert.ok(!psono.stdout.includes('302650c3'), 'the private key is never printed');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

async function openTestAppOn(dataDir: string) {
  const { openStores } = await import('../../src/store/open-stores.js');
  const stores = await openStores({ dataDir, databaseUrl: undefined, blobStoreUrl: undefined });
  const { app } = await buildApp({ config: parseConfig({ LOG_LEVEL: 'silent' }), ...stores });
  return {
    inject: app.inject.bind(app),
    close: async () => {
      await app.close();
      await stores.close();
    },
  };
}
