import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../helpers/stores.js';
import { freePort, startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, startCli, type CliRun } from './cli-process.js';
import { PYTHON, run } from './helpers.js';
import { registerAndLogin, vaultUser, type VaultUser } from './vault-helpers.js';

// blindvault serve: the article seed's /encrypt and /decrypt with a Fernet key from the vault, checked against
// Python's cryptography.fernet both ways; a token on every call; read-only /entries/PATH.

for (const backend of BACKENDS) {
  describe(`blindvault serve (${backend})`, () => {
    let running: BackendServer;
    let alice: VaultUser;
    let agent: CliRun;
    let base: string;
    let token: string;
    let fernetKey: string;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend), buildCli()]);
      alice = await vaultUser(running.server.url, 'agent');
      await registerAndLogin(alice);
      fernetKey = (await run(PYTHON, ['-c', 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'])).stdout.trim();
      const keyFile = path.join(alice.home.dir, 'fernet');
      await writeFile(keyFile, `${fernetKey}\n`);
      assert.equal((await alice.cli(['set', 'Keys/Fernet', '--password-file', keyFile, '--username', 'app'])).code, 0);
      const port = await freePort();
      agent = startCli(['serve', '--port', String(port), '--key-entry', 'Keys/Fernet'], { env: alice.env });
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        agent.child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        agent.child.once('exit', () => reject(new Error('serve exited early')));
      });
      ({ url: base, token } = JSON.parse(first) as { url: string; token: string });
      assert.equal(base, `http://127.0.0.1:${port}`);
    });
    after(async () => {
      agent?.child.kill('SIGINT');
      await agent?.done;
      await running?.close();
    });

    const call = (method: string, route: string, body?: unknown, bearer: string | null = token) =>
      fetch(`${base}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });

    test('encrypt gives tokens Python opens; decrypt opens tokens Python made', async () => {
      const enc = await call('POST', '/encrypt', { data: 'This is a secret message ✓' });
      assert.equal(enc.status, 200);
      const { encrypted_data } = (await enc.json()) as { encrypted_data: string };
      const py = await run(PYTHON, ['-c', 'import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).decode())', fernetKey, encrypted_data]);
      assert.equal(py.stdout.trim(), 'This is a secret message ✓');
      const made = (await run(PYTHON, ['-c', 'import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).encrypt(b"from python").decode())', fernetKey])).stdout.trim();
      const dec = await call('POST', '/decrypt', { encrypted_data: made });
      assert.equal(dec.status, 200);
      assert.deepEqual(await dec.json(), { decrypted_data: 'from python' });
      const tampered = await call('POST', '/decrypt', { encrypted_data: `${made.slice(0, -4)}AAAA` });
      assert.equal(tampered.status, 400);
      assert.equal(((await tampered.json()) as { error: string }).error, 'FERNET_INVALID_TOKEN');
    });

    test('every call needs the token (a wrong or missing one is 401, paired with the right one)', async () => {
      assert.equal((await call('POST', '/encrypt', { data: 'x' }, null)).status, 401);
      assert.equal((await call('POST', '/encrypt', { data: 'x' }, `${token}x`)).status, 401);
      assert.equal((await call('GET', '/entries/Keys/Fernet', undefined, 'wrong')).status, 401);
      assert.equal((await call('POST', '/encrypt', { data: 'x' })).status, 200);
    });

    test('GET /entries/PATH reads an entry; bad bodies and unknown entries are 4xx', async () => {
      const entry = await call('GET', '/entries/Keys/Fernet?field=username');
      assert.deepEqual([entry.status, await entry.json()], [200, { value: 'app' }]);
      assert.equal((await call('GET', '/entries/Keys/Nope')).status, 404);
      assert.equal((await call('POST', '/encrypt', { nodata: 1 })).status, 400);
      const huge = await call('POST', '/encrypt', { data: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(huge.status, 400);
      assert.equal((await call('POST', '/entries/Keys/Fernet', {})).status, 404, 'entries are read-only');
    });
  });
}
