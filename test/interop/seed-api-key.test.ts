import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer, type ServerProcess } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';

// The seed's API-key client (api-key-sessions.txt), completed with its steps 7 and 8, run unchanged
// but for its configuration lines against a real server, with a vault that a Python client built
// the way the web client does (datastore, folders, items, a share with a nested share, API keys).
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const run = promisify(execFile);

interface Credentials {
  api_key_id: string;
  api_key_private_key: string;
  api_key_secret_key: string;
}
interface Fixture {
  server_url: string;
  server_public_key: string;
  server_signature: string;
  unrestricted: Credentials;
  restricted: Credentials & { secrets: Array<{ secret_id: string; secret_key: string }> };
  expected: { datastores: string[]; shares: string[]; secrets: Record<string, string> };
}

/** Replaces the seed's configuration lines, each of which must be there exactly once. */
function configure(source: string, fixture: Fixture, key: Credentials): string {
  const values: Record<string, string> = {
    api_key_id: key.api_key_id,
    api_key_private_key: key.api_key_private_key,
    api_key_secret_key: key.api_key_secret_key,
    server_url: fixture.server_url,
    server_public_key: fixture.server_public_key,
    server_signature: fixture.server_signature,
  };
  let out = source;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name} = .*$`, 'gm');
    assert.equal(source.match(line)?.length, 1, `the seed has one ${name} line`);
    out = out.replace(line, `${name} = '${value}'`);
  }
  return out.replace(/^SSL_VERIFY = .*$/m, 'SSL_VERIFY = False');
}

for (const backend of BACKENDS) {
  describe(`the seed's API-key client, completed (${backend})`, () => {
    let running: BackendServer;
    let server: ServerProcess;
    let work: string;
    let fixture: Fixture;
    let seed: string;
    before(async () => {
      running = await startBackendServer(backend);
      ({ server, work } = running);
      const built = await run(PYTHON, ['test/interop/vault_fixture.py', `${server.url}/server`], { timeout: 120_000 });
      fixture = JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}') as Fixture;
      seed = await readFile('test/interop/seed/api_key_sessions.py', 'utf8');
    });
    after(async () => running?.close());

    test('an unrestricted key reads every datastore, every share recursively, and a secret', async () => {
      const script = path.join(work, 'seed-unrestricted.py');
      await writeFile(script, configure(seed, fixture, fixture.unrestricted));
      const { stdout } = await run(PYTHON, [script], { timeout: 60_000 });
      assert.match(stdout, /^seed client: ok$/m, stdout);
      for (const id of fixture.expected.datastores) assert.ok(stdout.includes(`datastore ${id}`), `datastore ${id} read:\n${stdout}`);
      for (const id of fixture.expected.shares) assert.ok(stdout.includes(`share ${id}`), `share ${id} read:\n${stdout}`);
      const secretLine = /^secret ([0-9a-f-]{36}): (.+)$/m.exec(stdout);
      assert.ok(secretLine && secretLine[1] && fixture.expected.secrets[secretLine[1]], stdout);
      assert.ok(secretLine[2]?.includes(fixture.expected.secrets[secretLine[1]] ?? '?'), `decrypted title: ${secretLine[2]}`);
    });

    test('a restricted key reads exactly its secrets', async () => {
      const script = path.join(work, 'seed-restricted.py');
      await writeFile(script, configure(seed, fixture, fixture.restricted));
      const args = fixture.restricted.secrets.map((s) => `${s.secret_id}:${s.secret_key}`);
      const { stdout } = await run(PYTHON, [script, ...args], { timeout: 60_000 });
      assert.match(stdout, /api key is restricted/);
      assert.match(stdout, /^seed client: ok$/m, stdout);
      for (const s of fixture.restricted.secrets) assert.ok(stdout.includes(`secret ${s.secret_id}`), stdout);
      assert.doesNotMatch(stdout, /^datastore /m, 'no datastore is read with a restricted key');
    });
  });
}
