import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { vaultTransport } from '../../src/client/vault/connection.js';
import { VaultClient } from '../../src/client/vault-session.js';
import { hotp, totpStep } from '../../src/crypto/node/totp.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { fromBase32, softwareAuthenticator } from '../helpers/second-factors.js';
import { BACKENDS } from '../helpers/stores.js';
import { buildCli, runCli } from './cli-process.js';
import { vaultUser, type VaultUser } from './vault-helpers.js';

// `blindvault login` for an account with TOTP (spec §3.15), as subprocesses of the built CLI against a real server.

const ORIGIN = 'https://vault.example.test';
const codeAt = (secret: Uint8Array, stepsFromNow = 0) => hotp(secret, totpStep(new Date()) + stepsFromNow);

for (const backend of BACKENDS) {
  describe(`blindvault login with a TOTP second factor (${backend})`, () => {
    let running: BackendServer;
    let url: string;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend, { VAULT_THROTTLE_SECOND_FACTOR: '1000/minute', VAULT_CORS_ORIGINS: ORIGIN }), buildCli()]);
      url = running.server.url;
    });
    after(async () => running?.close());

    const sessionFile = (user: VaultUser) => path.join(user.home.env.XDG_CONFIG_HOME as string, 'blindvault', 'session.json');
    const noSession = async (user: VaultUser) => assert.rejects(access(sessionFile(user)), { code: 'ENOENT' }, 'no session file is written');
    const login = (user: VaultUser, extraArgs: string[] = [], env: Record<string, string> = {}, stdin?: string) =>
      runCli(['login', '--username', user.username, '--password-file', user.passwordFile, '--json', ...extraArgs], { env: { ...user.env, ...env }, ...(stdin !== undefined ? { stdin } : {}) });
    const whoami = async (user: VaultUser, session: string) => {
      const who = await runCli(['whoami', '--json'], { env: { ...user.env, BLINDVAULT_SESSION: session } });
      assert.equal(who.code, 0, who.stderr);
      assert.equal((JSON.parse(who.stdout) as { username: string }).username, user.username);
    };
    const sessionOf = (stdout: string) => (JSON.parse(stdout) as { session: string }).session;

    /** A registered user whose TOTP factor is enrolled and active (through the SDK over HTTP); answers its secret. */
    const userWithTotp = async (name: string) => {
      const user = await vaultUser(url, name);
      const registered = await user.cli(['register', '--username', user.username, '--email', user.username, '--password-file', user.passwordFile]);
      assert.equal(registered.code, 0, registered.stderr);
      const password = (await readFile(user.passwordFile, 'utf8')).replace(/\n$/, '');
      const sdk = await new VaultClient(vaultTransport(url)).login({ username: user.username, password, sendDeviceTime: false });
      const created = await sdk.request('PUT', '/user/ga/', { title: 'phone' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id, secret } = created.body as { id: string; secret: string };
      const bytes = fromBase32(secret);
      // The previous step's code confirms it, so the current and next steps' codes stay unused for the test.
      const confirmed = await sdk.request('POST', '/user/ga/', { google_authenticator_id: id, google_authenticator_token: codeAt(bytes, -1) });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      return { user, secret: bytes };
    };

    test('a TOTP account: no code without a terminal, a wrong code refused (exit 7, no session); the right code from --totp-file logs in', async () => {
      const { user, secret } = await userWithTotp('tina');
      const none = await login(user);
      assert.equal(none.code, 2, none.stderr);
      assert.match(none.stderr, /^blindvault: error: this account needs a TOTP code: give --totp-file F .*BLINDVAULT_TOTP/);
      assert.equal(none.stderr.trim().split('\n').length, 1, 'one line');
      await noSession(user);

      const wrongFile = path.join(user.home.dir, 'totp-wrong');
      const right = codeAt(secret);
      await writeFile(wrongFile, `${String((Number(right) + 1) % 1_000_000).padStart(6, '0')}\n`, { mode: 0o600 });
      const wrong = await login(user, ['--totp-file', wrongFile]);
      assert.equal(wrong.code, 7, wrong.stderr);
      assert.match(wrong.stderr, /GA_TOKEN_INCORRECT/);
      assert.equal(wrong.stderr.trim().split('\n').length, 1, 'one line');
      await noSession(user);

      const emptyStdin = await login(user, ['--totp-file', '-'], {}, '');
      assert.equal(emptyStdin.code, 2, emptyStdin.stderr);
      assert.match(emptyStdin.stderr, /stdin is empty/);
      await noSession(user);

      const letters = path.join(user.home.dir, 'totp-letters');
      await writeFile(letters, '12a456\n');
      const notDigits = await login(user, ['--totp-file', letters]);
      assert.equal(notDigits.code, 7, notDigits.stderr);
      assert.match(notDigits.stderr, /GA_TOKENS_ONLY_CONTAIN_DIGITS/);
      await noSession(user);

      const rightFile = path.join(user.home.dir, 'totp');
      await writeFile(rightFile, `${right}\n`, { mode: 0o600 });
      const ok = await login(user, ['--totp-file', rightFile]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(!ok.stderr.includes(right) && !ok.stdout.includes(right), 'the code is not echoed');
      await whoami(user, sessionOf(ok.stdout));
    });

    test('the code from BLINDVAULT_TOTP or stdin; a replayed code is refused and the next code logs in', async () => {
      const { user, secret } = await userWithTotp('theo');
      const code = codeAt(secret);
      const byEnv = await login(user, [], { BLINDVAULT_TOTP: code });
      assert.equal(byEnv.code, 0, byEnv.stderr);
      await whoami(user, sessionOf(byEnv.stdout));

      // The same code again, by stdin this time: the server's replay guard refuses it; the old session stays good.
      const replayed = await login(user, ['--totp-file', '-'], {}, `${code}\n`);
      assert.equal(replayed.code, 7, replayed.stderr);
      assert.match(replayed.stderr, /GA_TOKEN_INCORRECT/);
      await whoami(user, sessionOf(byEnv.stdout));

      const next = await login(user, ['--totp-file', '-'], {}, `${codeAt(secret, 1)}\n`);
      assert.equal(next.code, 0, next.stderr);
      await whoami(user, sessionOf(next.stdout));
    });

    test('a security-key-only account: the CLI refuses clearly (exit 8, no session); control: the web-client way logs in, and the CLI by TOTP once it is enrolled too', async () => {
      const user = await vaultUser(url, 'kim');
      const registered = await user.cli(['register', '--username', user.username, '--email', user.username, '--password-file', user.passwordFile]);
      assert.equal(registered.code, 0, registered.stderr);
      const password = (await readFile(user.passwordFile, 'utf8')).replace(/\n$/, '');
      const client = new VaultClient(vaultTransport(url));
      const sdk = await client.login({ username: user.username, password, sendDeviceTime: false });
      const key = softwareAuthenticator(ORIGIN, new URL(ORIGIN).hostname);
      const started = await sdk.request('PUT', '/user/webauthn/', { title: 'key', origin: ORIGIN });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const { id, options } = started.body as { id: string; options: { challenge: string } };
      const enrolled = await sdk.request('POST', '/user/webauthn/', { webauthn_id: id, credential: key.register(options.challenge) });
      assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));

      const refused = await login(user, [], { BLINDVAULT_TOTP: '123456' });
      assert.equal(refused.code, 8, refused.stderr);
      assert.match(refused.stderr, /^blindvault: error: this account logs in with a security key \(WebAuthn\), which the CLI does not support; use an API key .* or the web client\n$/);
      await noSession(user);

      let required: string[] = [];
      const viaKey = await client.login({
        username: user.username, password, sendDeviceTime: false,
        secondFactor: async (pending, names) => {
          required = names;
          const challenge = await pending.request('PUT', '/authentication/webauthn-verify/', { origin: ORIGIN });
          assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
          const verified = await pending.request('POST', '/authentication/webauthn-verify/', { credential: key.assert((challenge.body as { options: { challenge: string } }).options.challenge, 1) });
          assert.equal(verified.status, 200, JSON.stringify(verified.body));
        },
      });
      assert.deepEqual(required, ['webauthn_2fa']);
      assert.equal((await viaKey.request('GET', '/user/webauthn/')).status, 200, 'control: the session with the key is active');

      // With TOTP enrolled as well, the CLI logs in by the code.
      const ga = (await viaKey.request('PUT', '/user/ga/', { title: 'phone' })).body as { id: string; secret: string };
      const secret = fromBase32(ga.secret);
      assert.equal((await viaKey.request('POST', '/user/ga/', { google_authenticator_id: ga.id, google_authenticator_token: codeAt(secret, -1) })).status, 200);
      const both = await login(user, [], { BLINDVAULT_TOTP: codeAt(secret) });
      assert.equal(both.code, 0, both.stderr);
      await whoami(user, sessionOf(both.stdout));
    });

    test('control: an account without a second factor logs in as before, a TOTP source given or not', async () => {
      const user = await vaultUser(url, 'pat');
      const registered = await user.cli(['register', '--username', user.username, '--email', user.username, '--password-file', user.passwordFile]);
      assert.equal(registered.code, 0, registered.stderr);
      const plain = await login(user);
      assert.equal(plain.code, 0, plain.stderr);
      await whoami(user, sessionOf(plain.stdout));
      const withEnv = await login(user, [], { BLINDVAULT_TOTP: '123456' });
      assert.equal(withEnv.code, 0, withEnv.stderr);
    });
  });
}
