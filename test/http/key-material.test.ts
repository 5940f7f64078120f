import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { toHex } from '../../src/crypto/encoding.js';
import { boxPublicKey } from '../../src/crypto/nacl.js';
import { openStores } from '../../src/store/open-stores.js';
import { buildApp } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { openTestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { BACKENDS, openTestStores, tempDir } from '../helpers/stores.js';

// Issue 8 item 10: the data folder, the database files and the key file are the owner's alone.

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

for (const backend of BACKENDS) {
  describe(`DATA_DIR and the database files are owner-only (${backend})`, () => {
    let work: string;
    let database: TestDatabase | undefined;
    const open = (dataDir: string) => openStores({ dataDir, databaseUrl: database?.url, blobStoreUrl: undefined });
    before(async () => {
      work = await tempDir();
      if (backend === 'postgres') database = await createTestDatabase();
    });
    after(async () => {
      await database?.drop();
      await rm(work, { recursive: true, force: true });
    });

    test('made 0700 and 0600 even under umask 000', async () => {
      const dataDir = path.join(work, 'fresh', 'data');
      const previous = process.umask(0);
      try {
        const stores = await open(dataDir);
        await stores.close();
      } finally {
        process.umask(previous);
      }
      assert.equal(await modeOf(dataDir), 0o700);
      for (const name of await readdir(dataDir)) {
        const file = path.join(dataDir, name);
        assert.equal(await modeOf(file), (await stat(file)).isDirectory() ? 0o700 : 0o600, name);
      }
      if (backend === 'sqlite') assert.ok((await readdir(dataDir)).includes('blindvault.sqlite'));
    });

    test('an existing DATA_DIR that others may read is refused, naming it (control: 0700 opens)', async () => {
      const dataDir = path.join(work, 'shared');
      await mkdir(dataDir);
      await chmod(dataDir, 0o755);
      await assert.rejects(open(dataDir), (error: Error) => error.message.includes('DATA_DIR') && error.message.includes(dataDir) && error.message.includes('0755'));
      await chmod(dataDir, 0o750);
      await assert.rejects(open(dataDir), /DATA_DIR/);
      await chmod(dataDir, 0o700);
      const previous = process.umask(0);
      try {
        const stores = await open(dataDir);
        await stores.close();
      } finally {
        process.umask(previous);
      }
      for (const name of await readdir(dataDir)) {
        const file = path.join(dataDir, name);
        assert.equal(await modeOf(file), (await stat(file)).isDirectory() ? 0o700 : 0o600, `${name}, in a folder that existed`);
      }
    });
  });
}

describe('SQLite files left readable by an older start are made 0600', () => {
  test('database, -wal and -shm', async () => {
    const dataDir = await tempDir();
    try {
      const file = path.join(dataDir, 'blindvault.sqlite');
      (await openStores({ dataDir, databaseUrl: undefined, blobStoreUrl: undefined })).close();
      await chmod(file, 0o644);
      const stores = await openStores({ dataDir, databaseUrl: undefined, blobStoreUrl: undefined });
      await stores.metadata.ping();
      for (const name of (await readdir(dataDir)).filter((n) => n.startsWith('blindvault.sqlite'))) {
        assert.equal(await modeOf(path.join(dataDir, name)), 0o600, name);
      }
      await stores.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the start refuses a data folder others may read', () => {
  test('one line naming DATA_DIR, exit code 1', async () => {
    const work = await tempDir();
    try {
      const dataDir = path.join(work, 'data');
      await mkdir(dataDir, { mode: 0o777 });
      await chmod(dataDir, 0o777);
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], { env: { ...process.env, DATA_DIR: dataDir, PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr.trim(), /^blindvault: cannot start: DATA_DIR .* may be read by other users \(mode 0777\); run chmod 700 on it$/);
      assert.deepEqual(await readdir(dataDir), [], 'nothing was written into it');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

for (const backend of BACKENDS) {
  describe(`VAULT_KEY_FILE keeps the private keys out of the database (${backend})`, () => {
    let work: string;
    const boxKey = toHex(randomBytes(32));
    const signingSeed = toHex(randomBytes(32));
    const keyFile = () => path.join(work, 'keys.json');
    const writeKeyFile = async (mode: number, content = JSON.stringify({ format: 'blindvault-keys', version: 1, box_private_key: boxKey, signing_seed: signingSeed })) => {
      await rm(keyFile(), { force: true });
      await writeFile(keyFile(), content, { mode });
      await chmod(keyFile(), mode);
    };
    before(async () => {
      work = await tempDir();
    });
    after(async () => rm(work, { recursive: true, force: true }));

    test('a 0600 key file gives the server its keys, and the database never holds them', async () => {
      await writeKeyFile(0o600);
      const t = await openTestApp(backend, { VAULT_KEY_FILE: keyFile() });
      try {
        const info = JSON.parse((await t.app.inject({ method: 'GET', url: '/server/info/' })).json<{ info: string }>().info) as { public_key: string };
        assert.equal(info.public_key, toHex(boxPublicKey(Buffer.from(boxKey, 'hex'))));
        let stored: string;
        if (backend === 'postgres') {
          const client = new pg.Client({ connectionString: t.stores.databaseUrl });
          await client.connect();
          stored = JSON.stringify((await client.query('SELECT name, value FROM server_secrets')).rows);
          await client.end();
        } else {
          const names = (await readdir(t.stores.dataDir)).filter((n) => n.startsWith('blindvault.sqlite'));
          stored = (await Promise.all(names.map((n) => readFile(path.join(t.stores.dataDir, n), 'latin1')))).join('');
          assert.ok(stored.length > 0);
        }
        assert.ok(!stored.includes(boxKey) && !stored.includes(signingSeed), 'no key from the file in the database');
        assert.ok(!stored.includes('vault_box_private_key'), 'no box key made in the database either');
      } finally {
        await t.close();
      }
    });

    const refusals: Array<[string, () => Promise<void>, RegExp]> = [
      ['readable by the group', () => writeKeyFile(0o640), /may be read by other users \(mode 0640\)/],
      ['readable by anyone', () => writeKeyFile(0o644), /may be read by other users \(mode 0644\)/],
      ['of an unknown version', () => writeKeyFile(0o600, JSON.stringify({ format: 'blindvault-keys', version: 2, box_private_key: boxKey, signing_seed: signingSeed })), /unknown "version"/],
      ['with a short key', () => writeKeyFile(0o600, JSON.stringify({ format: 'blindvault-keys', version: 1, box_private_key: boxKey.slice(2), signing_seed: signingSeed })), /box_private_key/],
      ['a symbolic link', async () => {
        await writeKeyFile(0o600);
        await rm(path.join(work, 'link.json'), { force: true });
        await symlink(keyFile(), path.join(work, 'link.json'));
      }, /symbolic link/],
    ];
    for (const [name, prepare, expected] of refusals) {
      test(`a key file ${name} is refused, without a byte of it in the message`, async () => {
        await prepare();
        const file = name === 'a symbolic link' ? path.join(work, 'link.json') : keyFile();
        const stores = await openTestStores(backend);
        try {
          await assert.rejects(buildApp({ ...stores, config: parseConfig({ VAULT_KEY_FILE: file, LOG_LEVEL: 'silent' }) }), (error: Error) => {
            assert.match(error.message, /^VAULT_KEY_FILE /);
            assert.match(error.message, expected);
            assert.ok(!error.message.includes(boxKey.slice(0, 16)) && !error.message.includes(signingSeed.slice(0, 16)));
            return true;
          });
        } finally {
          await stores.close();
        }
      });
    }
  });
}
