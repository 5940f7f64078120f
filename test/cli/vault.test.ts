import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqlDatabase } from '../../src/store/open-stores.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';
import { buildCli, cliHome, runCli } from './cli-process.js';
import { configure, PYTHON, run } from './helpers.js';
import { apiKeyEnv, registerAndLogin, vaultUser, type ApiKeyValues, type VaultUser } from './vault-helpers.js';

// The vault commands as subprocesses of the built CLI against a real server, on both backends.

for (const backend of BACKENDS) {
  describe(`blindvault vault commands (${backend})`, () => {
    let running: BackendServer;
    let url: string;
    let alice: VaultUser;
    let bob: VaultUser;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend), buildCli()]);
      url = running.server.url;
      alice = await vaultUser(url, 'alice');
      bob = await vaultUser(url, 'bob');
      await registerAndLogin(alice);
      await registerAndLogin(bob);
    });
    after(async () => running?.close());

    test('login keeps a 0600 session file with neither the password nor a key in clear; a wrong password is exit 7', async () => {
      const file = path.join(alice.home.env.XDG_CONFIG_HOME as string, 'blindvault', 'session.json');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const text = await readFile(file, 'utf8');
      const password = (await readFile(alice.passwordFile, 'utf8')).trim();
      assert.ok(!text.includes(password));
      assert.deepEqual(Object.keys(JSON.parse(text) as object).sort(), ['ciphertext', 'format', 'nonce', 'version']);
      const who = await alice.cli(['whoami', '--json']);
      assert.equal(who.code, 0, who.stderr);
      const me = JSON.parse(who.stdout) as { username: string; public_key: string };
      assert.equal(me.username, alice.username);
      assert.ok(!text.includes(me.public_key), 'the file is sealed: not even the public key shows');

      const wrongFile = path.join(alice.home.dir, 'wrong');
      await writeFile(wrongFile, 'not the password\n');
      const wrong = await runCli(['login', '--username', alice.username, '--password-file', wrongFile], { env: alice.env });
      assert.equal(wrong.code, 7);
      assert.match(wrong.stderr, /USERNAME_OR_PASSWORD_WRONG/);
      assert.equal(wrong.stdout, '');
      // Control: the session made before still works, and a wrong BLINDVAULT_SESSION does not open it.
      assert.equal((await alice.cli(['whoami'])).code, 0);
      const badKey = await alice.cli(['whoami'], { BLINDVAULT_SESSION: 'A'.repeat(43) });
      assert.equal(badKey.code, 7);
      assert.match(badKey.stderr, /NOT_LOGGED_IN/);
      const noKey = await runCli(['whoami'], { env: { ...alice.home.env } });
      assert.equal(noKey.code, 7);
    });

    test('set, get, ls, mkdir, edit, history, mv and rm; an unknown entry is exit 5', async () => {
      const pw = path.join(alice.home.dir, 'bank-password');
      await writeFile(pw, 'bank pass 1\n');
      const set = await alice.cli(['set', 'Work/Bank', '--username', 'al', '--password-file', pw, '--url', 'https://bank.example/login']);
      assert.equal(set.code, 0, set.stderr);
      const got = await alice.cli(['get', 'Work/Bank', '--field', 'password']);
      assert.deepEqual([got.code, got.stdout], [0, 'bank pass 1']);
      const json = JSON.parse((await alice.cli(['get', 'Work/Bank', '--json'])).stdout) as { secret: Record<string, unknown>; secret_id: string };
      assert.deepEqual(json.secret, {
        website_password_title: 'Bank',
        website_password_username: 'al',
        website_password_password: 'bank pass 1',
        website_password_url: 'https://bank.example/login',
        website_password_url_filter: 'bank.example',
        website_password_auto_submit: false,
        website_password_allow_http: false,
      });
      const byId = await alice.cli(['get', json.secret_id, '--field', 'username']);
      assert.deepEqual([byId.code, byId.stdout], [0, 'al']);
      const root = JSON.parse((await alice.cli(['ls', '--json'])).stdout) as Array<{ name: string; kind: string }>;
      assert.deepEqual(root.map((n) => [n.name, n.kind]), [['Work', 'folder']]);

      const generated = JSON.parse((await alice.cli(['edit', 'Work/Bank', '--generate', '--length', '24', '--json'])).stdout) as { password: string; created: boolean };
      assert.equal(generated.created, false);
      assert.equal(generated.password.length, 24);
      assert.equal((await alice.cli(['get', 'Work/Bank', '--field', 'password'])).stdout, generated.password);
      const history = JSON.parse((await alice.cli(['history', 'Work/Bank', '--json'])).stdout) as Array<{ secret: Record<string, unknown> }>;
      assert.equal(history.length, 1);
      assert.equal(history[0]?.secret.website_password_password, 'bank pass 1');

      assert.equal((await alice.cli(['mkdir', 'Personal/Old'])).code, 0);
      const moved = await alice.cli(['mv', 'Work/Bank', 'Personal']);
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal((await alice.cli(['get', 'Personal/Bank', '--field', 'username'])).stdout, 'al');
      const gone = await alice.cli(['get', 'Work/Bank']);
      assert.equal(gone.code, 5);
      assert.match(gone.stderr, /ENTRY_NOT_FOUND/);
      const renamed = await alice.cli(['mv', 'Personal/Bank', 'Personal/Old/Bank 2']);
      assert.equal(renamed.code, 0, renamed.stderr);
      assert.equal(JSON.parse((await alice.cli(['get', 'Personal/Old/Bank 2', '--json'])).stdout).secret.website_password_title, 'Bank 2');

      assert.equal((await alice.cli(['rm', 'Personal/Old/Bank 2'])).code, 0);
      assert.deepEqual(JSON.parse((await alice.cli(['ls', 'Personal/Old', '--json'])).stdout), []);
      assert.equal((await alice.cli(['get', 'Personal/Old/Bank 2'])).code, 5);
      const editMissing = await alice.cli(['edit', 'Nowhere/Thing', '--username', 'x']);
      assert.equal(editMissing.code, 5);
    });

    test('api-key create prints the seed client\'s values; get and run log in with them; a read-only key cannot set (exit 8)', async () => {
      const pw = path.join(alice.home.dir, 'db-password');
      await writeFile(pw, 'db secret\n');
      assert.equal((await alice.cli(['set', 'Ops/DB', '--username', 'dbuser', '--password-file', pw])).code, 0);
      const made = await alice.cli(['api-key', 'create', 'ci', '--read-only', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const key = JSON.parse(made.stdout) as ApiKeyValues;
      for (const name of ['api_key_id', 'api_key_private_key', 'api_key_secret_key', 'server_url', 'server_public_key', 'server_signature'] as const) assert.ok(key[name], name);
      assert.equal(key.server_url, `${url}/server`);
      const home = await cliHome();
      const env = apiKeyEnv(home, key);
      const got = await runCli(['get', 'Ops/DB', '--field', 'password'], { env });
      assert.deepEqual([got.code, got.stdout, got.stderr], [0, 'db secret', '']);
      const refused = await runCli(['set', 'Ops/DB', '--generate'], { env });
      assert.equal(refused.code, 8);
      assert.match(refused.stderr, /VAULT_ACCESS_DENIED/);
      assert.equal((await runCli(['get', 'Ops/DB', '--field', 'password'], { env })).stdout, 'db secret', 'nothing changed');
      // Control: the owner's session may write.
      assert.equal((await alice.cli(['edit', 'Ops/DB', '--username', 'dbuser2'])).code, 0);

      const wrongPin = await runCli(['get', 'Ops/DB'], { env: { ...env, BLINDVAULT_SERVER_SIGNATURE: 'ab'.repeat(32) } });
      assert.equal(wrongPin.code, 8);
      assert.match(wrongPin.stderr, /BAD_SIGNATURE/);

      const restricted = JSON.parse((await alice.cli(['api-key', 'create', 'one', '--restrict-to', 'Ops/DB', '--json'])).stdout) as ApiKeyValues;
      const secretId = restricted.secrets[0]?.secret_id as string;
      const renv = apiKeyEnv(home, restricted);
      const one = await runCli(['get', secretId, '--field', 'username'], { env: renv });
      assert.deepEqual([one.code, one.stdout], [0, 'dbuser2']);
      const byPath = await runCli(['get', 'Ops/DB'], { env: renv });
      assert.equal(byPath.code, 8);

      const listed = JSON.parse((await alice.cli(['api-key', 'ls', '--json'])).stdout) as Array<{ id: string; write: boolean }>;
      assert.deepEqual(listed.map((k) => k.id).sort(), [key.api_key_id, restricted.api_key_id].sort());
      assert.equal(listed.find((k) => k.id === key.api_key_id)?.write, false);
      assert.equal((await alice.cli(['api-key', 'rm', 'ci'])).code, 0);
      const revoked = await runCli(['get', 'Ops/DB'], { env });
      assert.equal(revoked.code, 5, revoked.stderr);
    });

    test('share: an unknown user is exit 5, a new key needs --yes, the recipient accepts and reads, a changed key is refused', async () => {
      const pw = path.join(alice.home.dir, 'team-password');
      await writeFile(pw, 'team secret\n');
      assert.equal((await alice.cli(['set', 'Team/Build', '--username', 'ci', '--password-file', pw])).code, 0);
      const unknown = await alice.cli(['share', 'Team', '--with', 'nobody@example.com', '--yes']);
      assert.equal(unknown.code, 5);
      assert.match(unknown.stderr, /USER_NOT_FOUND/);
      const unconfirmed = await alice.cli(['share', 'Team', '--with', bob.username]);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.stderr, /CONFIRMATION_REQUIRED/);
      assert.match(unconfirmed.stderr, /fingerprint is [0-9a-f]{4}( [0-9a-f]{4}){9}/);
      const shared = await alice.cli(['share', 'Team', '--with', bob.username, '--rights', 'write', '--yes', '--json']);
      assert.equal(shared.code, 0, shared.stderr);

      const pending = JSON.parse((await bob.cli(['shares', '--json'])).stdout) as Array<{ id: string; title: string; from: string; write: boolean }>;
      assert.equal(pending.length, 1);
      assert.deepEqual([pending[0]?.title, pending[0]?.from, pending[0]?.write], ['Team', alice.username, true]);
      const accepted = await bob.cli(['accept', pending[0]?.id as string, '--yes']);
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.equal((await bob.cli(['get', 'Team/Build', '--field', 'password'])).stdout, 'team secret');
      assert.equal((await bob.cli(['edit', 'Team/Build', '--username', 'bob-ci'])).code, 0);
      assert.equal((await alice.cli(['get', 'Team/Build', '--field', 'username'])).stdout, 'bob-ci');
      assert.deepEqual(JSON.parse((await bob.cli(['shares', '--json'])).stdout), []);

      // A second share to the same user needs no confirmation (remembered) ...
      assert.equal((await alice.cli(['set', 'Solo', '--password-file', pw])).code, 0);
      assert.equal((await alice.cli(['share', 'Solo', '--with', bob.username])).code, 0);
      const declined = JSON.parse((await bob.cli(['shares', '--json'])).stdout) as Array<{ id: string }>;
      assert.equal((await bob.cli(['decline', declined[0]?.id as string])).code, 0);
      assert.deepEqual(JSON.parse((await bob.cli(['shares', '--json'])).stdout), []);
      // ... and a key that changed since is refused loudly, sharing nothing.
      const trustFile = path.join(alice.home.env.XDG_CONFIG_HOME as string, 'blindvault', 'trusted-users.json');
      const trust = JSON.parse(await readFile(trustFile, 'utf8')) as Record<string, Record<string, { public_key: string }>>;
      (trust[url] as Record<string, { public_key: string }>)[bob.username] = { public_key: 'cd'.repeat(32) };
      await writeFile(trustFile, JSON.stringify(trust));
      const changed = await alice.cli(['share', 'Ops/DB', '--with', bob.username, '--yes']);
      assert.equal(changed.code, 8);
      assert.match(changed.stderr, /RECIPIENT_KEY_CHANGED/);
      assert.deepEqual(JSON.parse((await bob.cli(['shares', '--json'])).stdout), []);
    });

    test("the server's keys are pinned at the first login: a changed pin or a wrong --server-signature is exit 8 SERVER_KEY_CHANGED, the true key logs in", async () => {
      const config = path.join(alice.home.dir, 'pin-check');
      const env = { ...alice.env, XDG_CONFIG_HOME: config };
      const login = (extra: string[] = []) => runCli(['login', '--username', alice.username, '--password-file', alice.passwordFile, '--json', ...extra], { env });
      const first = await login();
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /trusting .* on first use: server signature [0-9a-f]{64}/);
      const pinsFile = path.join(config, 'blindvault', 'servers.json');
      assert.equal((await stat(pinsFile)).mode & 0o777, 0o600);
      const pins = JSON.parse(await readFile(pinsFile, 'utf8')) as Record<string, { verify_key: string; public_key: string }>;
      const pinned = pins[url]?.verify_key as string;
      assert.match(pinned, /^[0-9a-f]{64}$/);
      const other = pinned.startsWith('ab') ? 'cd'.repeat(32) : 'ab'.repeat(32);

      const wrongGiven = await login(['--server-signature', other]);
      assert.deepEqual([wrongGiven.code, wrongGiven.stdout], [8, '']);
      assert.match(wrongGiven.stderr, /SERVER_KEY_CHANGED/);
      // As if the server's key had changed since the pin: refused loudly, and the pin stays as it was.
      (pins[url] as { verify_key: string }).verify_key = other;
      await writeFile(pinsFile, JSON.stringify(pins));
      const changed = await login();
      assert.deepEqual([changed.code, changed.stdout], [8, '']);
      assert.match(changed.stderr, /SERVER_KEY_CHANGED/);
      assert.equal((JSON.parse(await readFile(pinsFile, 'utf8')) as Record<string, { verify_key: string }>)[url]?.verify_key, other, 'never re-pinned silently');
      // Controls: with the true pin restored, a plain login and one naming the true key both work.
      (pins[url] as { verify_key: string }).verify_key = pinned;
      await writeFile(pinsFile, JSON.stringify(pins));
      assert.equal((await login()).code, 0);
      const named = await login(['--server-signature', pinned.toUpperCase()]);
      assert.equal(named.code, 0, named.stderr);
    });

    test('sessions lists and ends sessions; an ended session is exit 7; logout removes the file', async () => {
      const second = await runCli(['login', '--username', alice.username, '--password-file', alice.passwordFile, '--json'], { env: { ...alice.env, XDG_CONFIG_HOME: path.join(alice.home.dir, 'other') } });
      assert.equal(second.code, 0, second.stderr);
      const otherEnv = { ...alice.env, XDG_CONFIG_HOME: path.join(alice.home.dir, 'other'), BLINDVAULT_SESSION: (JSON.parse(second.stdout) as { session: string }).session };
      const list = JSON.parse((await alice.cli(['sessions', '--json'])).stdout) as Array<{ id: string; create_date: string; current_session: boolean }>;
      const current = list.find((s) => s.current_session);
      assert.ok(current && list.length >= 2);
      // The newest other session is the second login (earlier ones include the API keys' sessions).
      const other = list.filter((s) => !s.current_session).sort((x, y) => y.create_date.localeCompare(x.create_date))[0] as { id: string };
      assert.equal((await runCli(['whoami'], { env: otherEnv })).code, 0);
      assert.equal((await alice.cli(['sessions', '--end', other.id])).code, 0);
      const ended = await runCli(['whoami'], { env: otherEnv });
      assert.equal(ended.code, 7);
      assert.match(ended.stderr, /SESSION_EXPIRED/);
      assert.equal((await alice.cli(['whoami'])).code, 0, 'control: the session that ended the other lives');
      const out = await runCli(['logout'], { env: otherEnv });
      assert.equal(out.code, 0);
      await assert.rejects(stat(path.join(alice.home.dir, 'other', 'blindvault', 'session.json')));
    });

    test('a session that expired on the server (aged in the store) is exit 7 SESSION_EXPIRED with nothing printed; a new login works', async () => {
      const pw = path.join(alice.home.dir, 'expiry-password');
      await writeFile(pw, 'expiry secret\n');
      assert.equal((await alice.cli(['set', 'Expiry/Login', '--username', 'exp', '--password-file', pw])).code, 0);
      const config = path.join(alice.home.dir, 'expiring');
      const login = async () => {
        const result = await runCli(['login', '--username', alice.username, '--password-file', alice.passwordFile, '--json'], { env: { ...alice.env, XDG_CONFIG_HOME: config } });
        assert.equal(result.code, 0, result.stderr);
        return { ...alice.env, XDG_CONFIG_HOME: config, BLINDVAULT_SESSION: (JSON.parse(result.stdout) as { session: string }).session };
      };
      const env = await login();
      const before = await runCli(['get', 'Expiry/Login', '--field', 'password'], { env });
      assert.deepEqual([before.code, before.stdout], [0, 'expiry secret'], before.stderr);
      const listed = JSON.parse((await runCli(['sessions', '--json'], { env })).stdout) as Array<{ id: string; current_session: boolean }>;
      const mine = listed.find((s) => s.current_session)?.id;
      assert.ok(mine);
      // The server's own clock decides: the row's valid_till is put a second in the past, as time would.
      const { db, close } = await openSqlDatabase({ dataDir: path.join(running.work, 'data'), databaseUrl: running.databaseUrl });
      try {
        const aged = await db.updateTable('sessions').set({ valid_till: Date.now() - 1000 }).where('id', '=', mine).executeTakeFirst();
        assert.equal(aged.numUpdatedRows, 1n);
      } finally {
        await close();
      }
      for (const args of [['get', 'Expiry/Login', '--field', 'password'], ['ls', '--json'], ['whoami']]) {
        const expired = await runCli(args, { env });
        assert.equal(expired.code, 7, `${args.join(' ')}: ${expired.stderr}`);
        assert.match(expired.stderr, /SESSION_EXPIRED/);
        assert.match(expired.stderr, /blindvault login/);
        assert.equal(expired.stdout, '');
      }
      // Controls: alice's other session is untouched, and logging in again in the same place works.
      assert.equal((await alice.cli(['get', 'Expiry/Login', '--field', 'password'])).stdout, 'expiry secret');
      const again = await runCli(['get', 'Expiry/Login', '--field', 'password'], { env: await login() });
      assert.deepEqual([again.code, again.stdout], [0, 'expiry secret'], again.stderr);
    });

    test('interop: an entry the CLI wrote is read by the seed\'s Python API-key client as the web client\'s item JSON', async () => {
      const pw = path.join(alice.home.dir, 'interop-password');
      await writeFile(pw, 'interop pässword\n');
      const set = await alice.cli(['set', 'Interop/Site', '--username', 'ann', '--password-file', pw, '--url', 'https://site.example/a']);
      assert.equal(set.code, 0, set.stderr);
      const key = JSON.parse((await alice.cli(['api-key', 'create', 'seed', '--read-only', '--json'])).stdout) as ApiKeyValues;
      const work = running.work;
      const seed = await readFile('test/interop/seed/api_key_sessions.py', 'utf8');
      await writeFile(
        path.join(work, 'seed_configured.py'),
        configure(seed, {
          api_key_id: key.api_key_id,
          api_key_private_key: key.api_key_private_key,
          api_key_secret_key: key.api_key_secret_key,
          server_url: key.server_url,
          server_public_key: key.server_public_key,
          server_signature: key.server_signature,
        }).replace(/^SSL_VERIFY = .*$/m, 'SSL_VERIFY = False'),
      );
      const { stdout } = await run(PYTHON, ['test/cli/seed_read_item.py', work, 'Site'], { timeout: 60_000 });
      const read = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { item: Record<string, unknown>; secret: Record<string, unknown> };
      assert.deepEqual(read.secret, {
        website_password_title: 'Site',
        website_password_username: 'ann',
        website_password_password: 'interop pässword',
        website_password_url: 'https://site.example/a',
        website_password_url_filter: 'site.example',
        website_password_auto_submit: false,
        website_password_allow_http: false,
      });
      const { id, secret_id, secret_key, ...node } = read.item;
      assert.match(String(id), /^[0-9a-f-]{36}$/);
      assert.match(String(secret_id), /^[0-9a-f-]{36}$/);
      assert.match(String(secret_key), /^[0-9a-f]{64}$/);
      assert.deepEqual(node, {
        type: 'website_password',
        name: 'Site',
        description: 'ann',
        urlfilter: 'site.example',
        autosubmit: false,
        allow_http: false,
        password_hash: createHash('sha1').update('interop pässword').digest('hex').slice(0, 5),
      });
    });

    test('interop: entries the web client way (the fixture) are read by blindvault get with the fixture\'s API keys', async () => {
      const built = await run(PYTHON, ['test/interop/vault_fixture.py', `${url}/server`], { timeout: 120_000 });
      const fixture = JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}') as {
        username: string;
        server_signature: string;
        unrestricted: ApiKeyValues;
        restricted: ApiKeyValues & { secrets: Array<{ secret_id: string }> };
      };
      const tag = /^fixture-([0-9a-f]+)@/.exec(fixture.username)?.[1] as string;
      const home = await cliHome();
      const env = apiKeyEnv(home, { ...fixture.unrestricted, server_url: `${url}/server`, server_signature: fixture.server_signature });
      const root = await runCli(['get', 'example.com', '--field', 'password'], { env });
      assert.deepEqual([root.code, root.stdout], [0, `hunter2 ${tag}`], root.stderr);
      const inShare = await runCli(['get', 'Work/Team/Build server', '--field', 'username'], { env });
      assert.deepEqual([inShare.code, inShare.stdout], [0, 'ci'], inShare.stderr);
      const nested = await runCli(['get', 'Work/Team/Inner/Deploy key', '--field', 'notes'], { env });
      assert.deepEqual([nested.code, nested.stdout], [0, `deploy ${tag}`], nested.stderr);
      const listed = JSON.parse((await runCli(['ls', 'Work/Team', '--json'], { env })).stdout) as Array<{ name: string }>;
      assert.deepEqual(listed.map((n) => n.name).sort(), ['Build server', 'Inner']);
      const renv = apiKeyEnv(home, { ...fixture.restricted, server_url: `${url}/server`, server_signature: fixture.server_signature });
      const restricted = await runCli(['get', fixture.restricted.secrets[0]?.secret_id as string, '--field', 'notes'], { env: renv });
      assert.deepEqual([restricted.code, restricted.stdout], [0, `deploy ${tag}`], restricted.stderr);
    });
  });
}
