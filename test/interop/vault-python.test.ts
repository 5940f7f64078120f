import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer, type ServerProcess } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';

// A vault client written in Python from the spec alone (Debian's python3-nacl and python3-requests),
// against a real server process: registration, login, sessions, validator, password change, deletion.
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const run = promisify(execFile);

for (const backend of BACKENDS) {
  describe(`the Python vault client (${backend})`, () => {
    let running: BackendServer;
    let server: ServerProcess;
    before(async () => {
      running = await startBackendServer(backend);
      ({ server } = running);
    });
    after(async () => running?.close());

    test('runs its whole scenario against the server', async () => {
      const result = await run(PYTHON, ['test/interop/vault_scenario.py', `${server.url}/server`], { timeout: 120_000 }).catch(
        (error: { stdout?: string; stderr?: string }) => assert.fail(`scenario failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}\n${server.output()}`),
      );
      assert.match(result.stdout, /^vault scenario: \d+ steps passed$/m, result.stdout);
      assert.doesNotMatch(result.stdout, /\bFAIL\b/);
    });
  });
}
