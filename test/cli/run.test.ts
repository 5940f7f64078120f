import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../helpers/stores.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, startCli } from './cli-process.js';
import { apiKeyEnv, registerAndLogin, vaultUser, type ApiKeyValues, type VaultUser } from './vault-helpers.js';

// blindvault run: the secret reaches the child's environment only; exit codes and signals pass through.

for (const backend of BACKENDS) {
  describe(`blindvault run (${backend})`, () => {
    let running: BackendServer;
    let alice: VaultUser;
    const secret = 'run-secret-0123456789';
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend), buildCli()]);
      alice = await vaultUser(running.server.url, 'runner');
      await registerAndLogin(alice);
      const pw = path.join(alice.home.dir, 'db');
      await writeFile(pw, `${secret}\n`);
      assert.equal((await alice.cli(['set', 'Work/DB', '--username', 'dbuser', '--password-file', pw])).code, 0);
    });
    after(async () => running?.close());

    test('the child sees the secrets; the CLI process (its parent) has them neither in its environment nor its argv; the exit code passes', async () => {
      const out = path.join(alice.home.dir, 'out');
      const envFile = path.join(alice.home.dir, '.env.blindvault');
      await writeFile(envFile, '# refs only\nDB_USER=Work/DB:username\n');
      const script = `printf %s "$DB_PASSWORD|$DB_USER|\${BLINDVAULT_SESSION:-none}" > ${out}; tr '\\0' '\\n' < /proc/$PPID/environ > ${out}.penv; tr '\\0' ' ' < /proc/$PPID/cmdline > ${out}.pargv; exit 42`;
      const result = await startCli(['run', '--env', 'DB_PASSWORD=Work/DB:password', '--env-file', envFile, '--', 'sh', '-c', script], { env: alice.env }).done;
      assert.equal(result.code, 42, result.stderr);
      assert.equal(await readFile(out, 'utf8'), `${secret}|dbuser|none`);
      const parentEnv = await readFile(`${out}.penv`, 'utf8');
      const parentArgv = await readFile(`${out}.pargv`, 'utf8');
      assert.match(parentArgv, /blindvault\.js run --env DB_PASSWORD=Work\/DB:password/, 'the file read is the CLI process');
      assert.match(parentEnv, /^BLINDVAULT_SESSION=/m, 'the file read is the CLI environment');
      assert.ok(!parentEnv.includes(secret) && !parentArgv.includes(secret));
      assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
    });

    test('a signal to the CLI reaches the child; a child ended by a signal is 128+n', async () => {
      const marker = path.join(alice.home.dir, 'got-term');
      const cli = startCli(['run', '--env', 'S=Work/DB:password', '--', 'sh', '-c', `trap 'echo term > ${marker}; exit 3' TERM; echo ready; while :; do sleep 0.05; done`], { env: alice.env });
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        };
        cli.child.stdout?.on('data', onData);
      });
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      assert.equal(result.code, 3, result.stderr);
      assert.equal(await readFile(marker, 'utf8'), 'term\n');

      const killed = await startCli(['run', '--env', 'S=Work/DB:password', '--', 'sh', '-c', 'kill -KILL $$'], { env: alice.env }).done;
      assert.equal(killed.code, 137);
      const ok = await startCli(['run', '--env', 'S=Work/DB:password', '--', 'true'], { env: alice.env }).done;
      assert.equal(ok.code, 0);
    });

    test('with only the API-key variables (a machine), the child gets the secret and none of the key\'s variables', async () => {
      const made = await alice.cli(['api-key', 'create', 'runner', '--read-only', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const home = await cliHome();
      const env = apiKeyEnv(home, JSON.parse(made.stdout) as ApiKeyValues);
      const out = path.join(alice.home.dir, 'machine-out');
      const script = `printf %s "$DB_PASSWORD" > ${out}; env > ${out}.env`;
      const result = await startCli(['run', '--env', 'DB_PASSWORD=Work/DB:password', '--', 'sh', '-c', script], { env }).done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(out, 'utf8'), secret);
      const childEnv = await readFile(`${out}.env`, 'utf8');
      assert.match(childEnv, /^BLINDVAULT_SERVER=/m, 'control: the other variables pass');
      for (const name of ['BLINDVAULT_API_KEY_ID', 'BLINDVAULT_API_KEY_PRIVATE_KEY', 'BLINDVAULT_API_KEY_SECRET_KEY']) assert.doesNotMatch(childEnv, new RegExp(`^${name}=`, 'm'));
      assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
    });

    test('an unknown entry starts nothing (exit 5); a missing command is a usage error', async () => {
      const marker = path.join(alice.home.dir, 'never');
      const unknown = await startCli(['run', '--env', 'S=Work/Nope:password', '--', 'sh', '-c', `touch ${marker}`], { env: alice.env }).done;
      assert.equal(unknown.code, 5);
      await assert.rejects(readFile(marker));
      const noRefs = await startCli(['run', '--', 'true'], { env: alice.env }).done;
      assert.equal(noRefs.code, 2);
    });
  });
}
