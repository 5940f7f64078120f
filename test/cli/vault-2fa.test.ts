import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { vaultTransport } from '../../src/client/vault/connection.js';
import { VaultClient } from '../../src/client/vault-session.js';
import { hotp, totpStep } from '../../src/crypto/node/totp.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';
import { buildCli, runCli } from './cli-process.js';
import { vaultUser, type VaultUser } from './vault-helpers.js';

// `blindvault login` for an account with TOTP (spec §3.15), as subprocesses of the built CLI against a real server.

/** RFC 4648 base32 (no padding) to bytes: the secret as PUT /user/ga/ hands it out. */
function base32Bytes(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let value = 0;
  let bits = 0;
  for (const ch of text) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

const codeAt = (secret: Uint8Array, stepsFromNow = 0) => hotp(secret, totpStep(new Date()) + stepsFromNow);

for (const backend of BACKENDS) {
  describe(`blindvault login with a TOTP second factor (${backend})`, () => {
    let running: BackendServer;
    let url: string;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend, { VAULT_THROTTLE_SECOND_FACTOR: '1000/minute' }), buildCli()]);
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
      const bytes = base32Bytes(secret);
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
