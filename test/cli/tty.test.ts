import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { vaultTransport } from '../../src/client/vault/connection.js';
import { VaultClient } from '../../src/client/vault-session.js';
import { hotp, totpStep } from '../../src/crypto/node/totp.js';
import { fromBase32 } from '../helpers/second-factors.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';
import { buildCli, CLI, runCli } from './cli-process.js';
import { vaultUser, type VaultUser } from './vault-helpers.js';

// The prompts on a real terminal: the CLI runs under util-linux's `script`, which gives it a pseudo-terminal, and
// the test types into it only once the prompt is on the screen. The transcript is everything the terminal showed.

interface TtyResult {
  code: number | null;
  transcript: string;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pty; each step waits until `prompt` has appeared (once more than before) and then types `keys`. */
function onTerminal(args: string[], env: Record<string, string>, steps: Array<{ prompt: RegExp; keys: string }>): Promise<TtyResult> {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let transcript = '';
  let step = 0;
  let seen = 0;
  const count = (re: RegExp) => transcript.match(new RegExp(re.source, 'g'))?.length ?? 0;
  const advance = () => {
    const next = steps[step];
    if (!next || count(next.prompt) <= (steps.slice(0, step).filter((s) => s.prompt.source === next.prompt.source).length)) return;
    step++;
    seen++;
    // A short pause: the prompt is drawn; the keys go in as a person's would, one write.
    setTimeout(() => child.stdin.write(next.keys), 100);
  };
  child.stdout.on('data', (d: Buffer) => {
    transcript += d.toString();
    advance();
  });
  child.stderr.on('data', (d: Buffer) => (transcript += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      assert.equal(seen, steps.length, `every prompt appeared: ${JSON.stringify(transcript.slice(-400))}`);
      resolve({ code, transcript });
    });
  });
}

for (const backend of BACKENDS) {
  describe(`prompts on a terminal (${backend})`, () => {
    let running: BackendServer;
    let alice: VaultUser;
    let password: string;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend), buildCli()]);
      alice = await vaultUser(running.server.url, 'tty');
      password = (await readFile(alice.passwordFile, 'utf8')).trim();
      const registered = await alice.cli(['register', '--username', alice.username, '--email', alice.username, '--password-file', alice.passwordFile]);
      assert.equal(registered.code, 0, registered.stderr);
    });
    after(async () => running?.close());

    test('login asks for the password on the terminal without echoing it; the session works; a wrong password is exit 7', async () => {
      const ok = await onTerminal(['login', '--username', alice.username], alice.env, [{ prompt: /Password:/, keys: `${password}\r` }]);
      assert.equal(ok.code, 0, ok.transcript);
      assert.ok(!ok.transcript.includes(password), 'the password never appears on the terminal');
      assert.ok(!ok.transcript.includes(password.slice(0, 8)), 'not even a part of it');
      assert.match(ok.transcript, /\*{8,}/, 'a mask is shown instead');
      const session = /export BLINDVAULT_SESSION="([A-Za-z0-9_-]{43})"/.exec(ok.transcript)?.[1];
      assert.ok(session, ok.transcript);
      const who = await alice.cli(['whoami'], { BLINDVAULT_SESSION: session });
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, new RegExp(alice.username.replace(/[.]/g, '\\.')));

      const wrongPassword = 'a wrong password typed';
      const wrong = await onTerminal(['login', '--username', alice.username], alice.env, [{ prompt: /Password:/, keys: `${wrongPassword}\r` }]);
      assert.equal(wrong.code, 7, wrong.transcript);
      assert.match(wrong.transcript, /USERNAME_OR_PASSWORD_WRONG/);
      assert.ok(!wrong.transcript.includes(wrongPassword), 'a wrong password is not echoed either');
      assert.doesNotMatch(wrong.transcript, /export BLINDVAULT_SESSION/);
    });

    test('login asks for the TOTP code of an account with one, masked; a wrong code is exit 7, the right one logs in', async () => {
      const tom = await vaultUser(running.server.url, 'tty-totp');
      const registered = await tom.cli(['register', '--username', tom.username, '--email', tom.username, '--password-file', tom.passwordFile]);
      assert.equal(registered.code, 0, registered.stderr);
      const sdk = await new VaultClient(vaultTransport(running.server.url)).login({ username: tom.username, password: (await readFile(tom.passwordFile, 'utf8')).replace(/\n$/, ''), sendDeviceTime: false });
      const created = (await sdk.request('PUT', '/user/ga/', { title: 'phone' })).body as { id: string; secret: string };
      const secret = fromBase32(created.secret);
      const codeAt = (steps: number) => hotp(secret, totpStep(new Date()) + steps);
      // Confirmed with the previous step's code: the current one stays unused for the login.
      assert.equal((await sdk.request('POST', '/user/ga/', { google_authenticator_id: created.id, google_authenticator_token: codeAt(-1) })).status, 200);
      const args = ['login', '--username', tom.username, '--password-file', tom.passwordFile];

      const right = codeAt(0);
      const wrongCode = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      const wrong = await onTerminal(args, tom.env, [{ prompt: /TOTP code/, keys: `${wrongCode}\r` }]);
      assert.equal(wrong.code, 7, wrong.transcript);
      assert.match(wrong.transcript, /GA_TOKEN_INCORRECT/);
      assert.ok(!wrong.transcript.includes(wrongCode), 'the code is not echoed');
      assert.doesNotMatch(wrong.transcript, /export BLINDVAULT_SESSION/);

      const ok = await onTerminal(args, tom.env, [{ prompt: /TOTP code/, keys: `${right}\r` }]);
      assert.equal(ok.code, 0, ok.transcript);
      assert.ok(!ok.transcript.includes(right), 'the code is not echoed');
      const session = /export BLINDVAULT_SESSION="([A-Za-z0-9_-]{43})"/.exec(ok.transcript)?.[1];
      assert.ok(session, ok.transcript);
      const who = await tom.cli(['whoami'], { BLINDVAULT_SESSION: session });
      assert.equal(who.code, 0, who.stderr);
    });

    test('without a terminal and without --password-file, login refuses with exit 2 instead of waiting for a prompt', async () => {
      const piped = await runCli(['login', '--username', alice.username], { env: alice.env, stdin: `${password}\n` });
      assert.equal(piped.code, 2);
      assert.match(piped.stderr, /--password-file/);
      // Control: the same login from the file works without a terminal.
      assert.equal((await runCli(['login', '--username', alice.username, '--password-file', alice.passwordFile], { env: alice.env })).code, 0);
    });

    test('upload --passphrase asks twice and download asks once, neither echoed; a wrong passphrase is exit 4 with no output file', async () => {
      const input = path.join(alice.home.dir, 'tty-input.txt');
      await writeFile(input, 'typed on a terminal\n');
      const passphrase = 'a passphrase typed by hand';
      const up = await onTerminal(['upload', input, '--passphrase', '--json'], alice.env, [
        { prompt: /Passphrase:/, keys: `${passphrase}\r` },
        { prompt: /Passphrase again:/, keys: `${passphrase}\r` },
      ]);
      assert.equal(up.code, 0, up.transcript);
      assert.ok(!up.transcript.includes(passphrase));
      const link = /"download_url":"([^"]+)"/.exec(up.transcript)?.[1];
      assert.ok(link, up.transcript);
      assert.ok(!link.includes('#'), 'a passphrase link carries no key');

      const badOutput = path.join(alice.home.dir, 'tty-bad.txt');
      const bad = await onTerminal(['download', link, '--output', badOutput], alice.env, [{ prompt: /Passphrase:/, keys: 'not the passphrase\r' }]);
      assert.equal(bad.code, 4, bad.transcript);
      await assert.rejects(readFile(badOutput), { code: 'ENOENT' });

      const output = path.join(alice.home.dir, 'tty-output.txt');
      const down = await onTerminal(['download', link, '--output', output], alice.env, [{ prompt: /Passphrase:/, keys: `${passphrase}\r` }]);
      assert.equal(down.code, 0, down.transcript);
      assert.ok(!down.transcript.includes(passphrase));
      assert.equal(await readFile(output, 'utf8'), 'typed on a terminal\n');
    });
  });
}
