import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { VaultClient, type VaultSession } from '../../src/client/vault-session.js';
import { toHex } from '../../src/crypto/encoding.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS } from '../helpers/stores.js';
import { createUploadOk, patchUpload } from '../helpers/uploads.js';

const exec = promisify(execFile);
const PASSWORD = 'admin test passphrase';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

for (const backend of BACKENDS) {
  // The admin command as the operator runs it: its own process, on the stores of a running server.
  describe(`npm run admin (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let env: Record<string, string>;

    before(async () => {
      t = await openTestApp(backend);
      client = new VaultClient(injectTransport(t.app));
      env = { DATA_DIR: t.stores.dataDir, ...(t.stores.databaseUrl ? { DATABASE_URL: t.stores.databaseUrl } : {}) };
    });
    after(async () => t.close());

    async function admin(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
      const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...extraEnv };
      try {
        const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/server/admin/main.ts', ...args], { env: childEnv, timeout: 60_000 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      }
    }

    async function person(): Promise<{ username: string; session: VaultSession }> {
      const username = `op-${randomBytes(4).toString('hex')}@example.com`;
      assert.equal((await client.register(username, `${username.split('@')[0]}@mail.example.com`, PASSWORD)).status, 201);
      return { username, session: await client.login({ username, password: PASSWORD, sendDeviceTime: false }) };
    }

    test('--check: the configuration and the stores, without starting; a bad setting is exit 2 naming it', async () => {
      const ok = await admin(['--check']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^configuration: ok/m);
      assert.match(ok.stdout, /^metadata store: answers$/m);
      assert.match(ok.stdout, /^blob store: answers$/m);
      assert.match(ok.stdout, /^migrations: all applied$/m);
      const bad = await admin(['--check'], { BLOB_STORE: 's3://B' });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^blindvault-admin: invalid BLOB_STORE: /);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
      const unknown = await admin(['frobnicate']);
      assert.equal(unknown.code, 2);
    });

    test('users list, disable (its sessions end, its login is refused), enable (control), delete', async () => {
      const { username, session } = await person();
      const listed = await admin(['users', 'list', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const row = (JSON.parse(listed.stdout) as Array<{ username: string; isActive: boolean; sessions: number }>).find((u) => u.username === username);
      assert.ok(row && row.isActive && row.sessions >= 1, listed.stdout);
      assert.doesNotMatch(listed.stdout, /authkey|private_key|token/i);

      assert.equal((await session.request('GET', '/datastore/')).status, 200, 'control: the session works');
      assert.equal((await admin(['users', 'disable', username])).code, 0);
      assert.equal((await session.request('GET', '/datastore/')).status, 401, 'the session is ended');
      await assert.rejects(client.login({ username, password: PASSWORD, sendDeviceTime: false }));
      assert.equal((await admin(['users', 'enable', username])).code, 0);
      const again = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      assert.equal((await again.request('GET', '/datastore/')).status, 200, 'enabled: logins work again');

      const unconfirmed = await admin(['users', 'delete', username]);
      assert.equal(unconfirmed.code, 1);
      assert.match(unconfirmed.stderr, /--yes/);
      assert.equal((await admin(['users', 'delete', username, '--yes'])).code, 0);
      await assert.rejects(client.login({ username, password: PASSWORD, sendDeviceTime: false }));
      const gone = await admin(['users', 'delete', username, '--yes']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no user/);
    });

    test('sessions list and end: the ended session is refused, the user\'s other session still works', async () => {
      const { username, session } = await person();
      const other = await client.login({ username, password: PASSWORD, sendDeviceTime: false });
      const listed = await admin(['sessions', 'list', '--user', username, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const sessions = JSON.parse(listed.stdout) as Array<{ id: string; username: string }>;
      assert.equal(sessions.length, 2);
      assert.ok(sessions.every((s) => s.username === username));
      assert.ok(!listed.stdout.includes(session.token.reveal()), 'no token printed');
      const target = sessions[0];
      assert.ok(target);
      assert.equal((await admin(['sessions', 'end', target.id])).code, 0);
      // Exactly one of the two is ended; the other is the control.
      const statuses = [(await session.request('GET', '/datastore/')).status, (await other.request('GET', '/datastore/')).status].sort();
      assert.deepEqual(statuses, [200, 401]);
      assert.equal((await admin(['sessions', 'end', target.id])).code, 1, 'already ended');
    });

    test('files stats and sweep now; storage per backend', async () => {
      const upload = async (extra: Array<{ name: string; value: string }>) => {
        const { body, contentType } = multipartBody(e2eUpload(randomBytes(5000), extra));
        const res = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
        assert.equal(res.statusCode, 200);
      };
      await upload([]);
      await upload([{ name: 'expires_in', value: '1' }]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const stats = JSON.parse((await admin(['files', 'stats', '--json'])).stdout) as { byState: Record<string, number>; readyBytes: number; awaitingSweep: number };
      assert.equal(stats.byState.ready, 2);
      assert.equal(stats.awaitingSweep, 1);
      assert.equal(stats.readyBytes, 2 * (5000 + 0));
      const swept = await admin(['files', 'sweep']);
      assert.equal(swept.code, 0, swept.stderr);
      assert.match(swept.stdout, /^swept: files 1, sessions \d+, rate limits \d+, replay marks \d+$/m);
      const after = JSON.parse((await admin(['files', 'stats', '--json'])).stdout) as { byState: Record<string, number>; awaitingSweep: number };
      assert.equal(after.byState.ready, 1);
      assert.equal(after.awaitingSweep, 0);
      const storage = JSON.parse((await admin(['storage', '--json'])).stdout) as { metadata: { backend: string; bytes: number }; blobs: { backend: string; blobs: number; bytes: number } };
      assert.equal(storage.metadata.backend, backend);
      assert.ok(storage.metadata.bytes > 0);
      assert.deepEqual({ backend: storage.blobs.backend, blobs: storage.blobs.blobs, bytes: storage.blobs.bytes }, { backend: 'folder', blobs: 1, bytes: 5000 });
      assert.deepEqual((storage as unknown as { uploads: unknown }).uploads, { partials: 0, bytes: 0 });

      // An unfinished resumable upload counts where it is, and only there: 3000 of its 7000 bytes received.
      const data = randomBytes(7000);
      const created = await createUploadOk(t.app, data.length);
      assert.equal((await patchUpload(t.app, created.id, created.upload_token, 0, data.subarray(0, 3000))).statusCode, 204);
      const storageOf = async () => {
        const run = await admin(['storage', '--json']);
        assert.equal(run.code, 0, run.stderr);
        return JSON.parse(run.stdout) as { blobs: { blobs: number; bytes: number }; uploads: { partials: number; bytes: number } };
      };
      const pending = await storageOf();
      assert.deepEqual(pending.uploads, { partials: 1, bytes: 3000 });
      assert.deepEqual({ blobs: pending.blobs.blobs, bytes: pending.blobs.bytes }, { blobs: 1, bytes: 5000 });
      const text = await admin(['storage']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^unfinished uploads: 1, 3000 bytes received so far$/m);
      assert.match(text.stdout, /^blobs \(folder\): 1 blobs, 5000 bytes, /m);
      // Completed, it is a blob and no longer an unfinished upload.
      assert.equal((await patchUpload(t.app, created.id, created.upload_token, 3000, data.subarray(3000))).statusCode, 204);
      const done = await storageOf();
      assert.deepEqual(done.uploads, { partials: 0, bytes: 0 });
      assert.deepEqual({ blobs: done.blobs.blobs, bytes: done.blobs.bytes }, { blobs: 2, bytes: 12_000 });
    });

    test('keys show: the values the running server signs with', async () => {
      const shown = await admin(['keys', 'show']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`^server_public_key  ${toHex(t.serverKeys.boxPublicKey)}$`, 'm'));
      assert.match(shown.stdout, new RegExp(`^server_signature   ${toHex(t.serverKeys.verifyKey)}$`, 'm'));
      assert.equal((await admin(['keys', 'rotate'])).code, 1);
    });
  });
}
