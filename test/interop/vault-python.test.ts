import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { BACKENDS, tempDir } from '../helpers/stores.js';

// A vault client written in Python from the spec alone (Debian's python3-nacl and python3-requests),
// against a real server process: registration, login, sessions, validator, password change, deletion.
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const run = promisify(execFile);

for (const backend of BACKENDS) {
  describe(`the Python vault client (${backend})`, () => {
    let server: ServerProcess;
    let work: string;
    let database: TestDatabase | undefined;
    before(async () => {
      work = await tempDir('blindvault-vault-interop-');
      database = backend === 'postgres' ? await createTestDatabase() : undefined;
      server = await startServerProcess({ DATA_DIR: path.join(work, 'data'), ...(database ? { DATABASE_URL: database.url } : {}) });
    });
    after(async () => {
      await server?.stop();
      await database?.drop();
      await rm(work, { recursive: true, force: true });
    });

    test('runs its whole scenario against the server', async () => {
      const result = await run(PYTHON, ['test/interop/vault_scenario.py', `${server.url}/server`], { timeout: 120_000 }).catch(
        (error: { stdout?: string; stderr?: string }) => assert.fail(`scenario failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}\n${server.output()}`),
      );
      assert.match(result.stdout, /^vault scenario: \d+ steps passed$/m, result.stdout);
      assert.doesNotMatch(result.stdout, /\bFAIL\b/);
    });
  });
}
