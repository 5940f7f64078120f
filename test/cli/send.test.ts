import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqlDatabase } from '../../src/store/open-stores.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, type CliHome } from './cli-process.js';
import { flipByte, namesIn, storedBlob } from './helpers.js';

// blindvault send/inbox/receive/sent/revoke as subprocesses against a real server, one HOME per user, on both
// backends: the recipient alone lists and receives; a third user and a revoked send get a refusal; a tampered
// body or boxed key fails with a clear error and leaves no output file; a changed key is refused.

interface User {
  name: string;
  home: CliHome;
  env: Record<string, string>;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`blindvault send/receive (${backend})`, () => {
    let running: BackendServer;
    let url: string;
    let work: string;
    let alice: User;
    let bob: User;
    let carol: User;

    const cli = (user: User, args: string[]) => runCli(args, { env: user.env, cwd: work });
    const ok = async (user: User, args: string[]) => {
      const result = await cli(user, args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    };
    const person = async (name: string): Promise<User> => {
      const home = await cliHome();
      const username = `${name}-${randomBytes(3).toString('hex')}@example.com`;
      const passwordFile = path.join(home.dir, 'password.txt');
      await writeFile(passwordFile, `${name} has a long password\n`);
      const user: User = { name: username, home, env: { ...home.env } };
      await ok(user, ['register', '--username', username, '--email', `${username.split('@')[0]}@mail.example.com`, '--password-file', passwordFile, '--server', url]);
      const login = await ok(user, ['login', '--username', username, '--password-file', passwordFile, '--server', url, '--json']);
      user.env.BLINDVAULT_SESSION = (JSON.parse(login.stdout) as { session: string }).session;
      return user;
    };
    const sendJson = async (from: User, to: User, file: string, extra: string[] = []) =>
      JSON.parse((await ok(from, ['send', '--to', to.name, file, '--yes', '--json', ...extra])).stdout) as { id: string; recipient: string; recipient_fingerprint: string; expires_at: string };
    const withDatabase = async (fn: (db: Awaited<ReturnType<typeof openSqlDatabase>>) => Promise<void>) => {
      const db = await openSqlDatabase({ dataDir: path.join(running.work, 'data'), databaseUrl: running.databaseUrl });
      try {
        await fn(db);
      } finally {
        await db.close();
      }
    };

    before(async () => {
      const env = { FILE_UPLOAD_RATE: '1000/hour', VAULT_THROTTLE_REGISTRATION: '100/minute', VAULT_THROTTLE_LOGIN: '100/minute', VAULT_THROTTLE_PRELOGIN: '100/minute' };
      [running] = await Promise.all([startBackendServer(backend, env), buildCli()]);
      url = running.server.url;
      work = path.join(running.work, 'work');
      await mkdir(work);
      [alice, bob, carol] = [await person('alice'), await person('bob'), await person('carol')];
    });
    after(async () => running?.close());

    test('bob receives what alice sent, byte for byte; only bob lists it; alice lists it as sent', async () => {
      const plaintext = randomBytes(300 * 1024 + 7);
      const input = path.join(work, 'report.bin');
      await writeFile(input, plaintext);
      const sent = await sendJson(alice, bob, input, ['--expires', '7d']);
      assert.equal(sent.recipient, bob.name);
      assert.match(sent.recipient_fingerprint, /^([0-9a-f]{4} ){9}[0-9a-f]{4}$/);
      const inbox = JSON.parse((await ok(bob, ['inbox', '--json'])).stdout) as Array<{ id: string; sender: string; size_bytes: number; sender_fingerprint: string }>;
      const row = inbox.find((r) => r.id === sent.id);
      assert.ok(row, 'in the inbox');
      assert.equal(row.sender, alice.name);
      assert.equal(row.size_bytes, 57 + plaintext.length + 16 * 2);
      const whoami = JSON.parse((await ok(alice, ['whoami', '--json'])).stdout) as { fingerprint: string };
      assert.equal(row.sender_fingerprint, whoami.fingerprint, "the sender's own key");
      assert.deepEqual(JSON.parse((await ok(carol, ['inbox', '--json'])).stdout), [], "not in a third user's inbox");
      assert.ok((JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as Array<{ id: string }>).some((r) => r.id === sent.id));
      const output = path.join(work, 'report.out');
      const received = JSON.parse((await ok(bob, ['receive', sent.id, '--output', output, '--yes', '--json'])).stdout) as { sender: string; size_bytes: number };
      assert.equal(received.sender, alice.name);
      assert.equal(received.size_bytes, plaintext.length);
      assert.deepEqual(await readFile(output), plaintext);
      // The file is no ordinary upload any more: its ciphertext is not served by /f/.
      assert.equal((await fetch(`${url}/f/${sent.id}/encrypted`)).status, 404);
    });

    test('a third user gets nothing but a refusal, the sender cannot receive it either; the recipient can (control)', async () => {
      const input = path.join(work, 'secret.txt');
      await writeFile(input, 'for bob only\n');
      const { id } = await sendJson(alice, bob, input);
      for (const [who, label] of [[carol, 'third user'], [alice, 'sender']] as const) {
        const output = path.join(work, `stolen-${who.name}`);
        const refused = await cli(who, ['receive', id, '--output', output, '--yes']);
        assert.equal(refused.code, 5, `${label}: ${refused.stderr}`);
        assert.match(refused.stderr, /NO_PERMISSION_OR_NOT_EXIST/);
        assert.ok(!(await namesIn(work)).includes(path.basename(output)));
      }
      const revokeByOther = await cli(carol, ['revoke', id]);
      assert.equal(revokeByOther.code, 5, revokeByOther.stderr);
      await ok(bob, ['receive', id, '--output', path.join(work, 'secret.out'), '--yes']);
      assert.equal(await readFile(path.join(work, 'secret.out'), 'utf8'), 'for bob only\n');
    });

    test('a revoked send is gone for the recipient; before revoking it was there (control)', async () => {
      const input = path.join(work, 'oops.txt');
      await writeFile(input, 'sent by mistake');
      const { id } = await sendJson(alice, bob, input);
      assert.ok((JSON.parse((await ok(bob, ['inbox', '--json'])).stdout) as Array<{ id: string }>).some((r) => r.id === id));
      await ok(alice, ['revoke', id]);
      assert.ok(!(JSON.parse((await ok(bob, ['inbox', '--json'])).stdout) as Array<{ id: string }>).some((r) => r.id === id));
      assert.ok(!(JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as Array<{ id: string }>).some((r) => r.id === id));
      const refused = await cli(bob, ['receive', id, '--output', path.join(work, 'oops.out')]);
      assert.equal(refused.code, 5, refused.stderr);
    });

    test('a tampered body fails with a clear error and leaves no output file', async () => {
      const input = path.join(work, 'body.bin');
      await writeFile(input, randomBytes(70_000));
      const { id } = await sendJson(alice, bob, input);
      await flipByte(await storedBlob(path.join(running.work, 'data'), id), 57 + 100);
      const before = await namesIn(work);
      const failed = await cli(bob, ['receive', id, '--output', path.join(work, 'body.out'), '--yes']);
      assert.equal(failed.code, 4, failed.stderr);
      assert.match(failed.stderr, /DECRYPTION_FAILED|altered/);
      assert.deepEqual(await namesIn(work), before, 'no output, no temporary file');
    });

    test("a boxed key swapped for another send's, or altered, fails as SEND_KEY_INVALID with no output file", async () => {
      const input = path.join(work, 'key.txt');
      await writeFile(input, 'the key matters');
      const first = await sendJson(alice, bob, input);
      const second = await sendJson(alice, bob, input);
      await withDatabase(async ({ db }) => {
        const { boxed_key } = await db.selectFrom('sends').select('boxed_key').where('file_id', '=', first.id).executeTakeFirstOrThrow();
        // A genuine box of the same sender to the same recipient, but for another file.
        await db.updateTable('sends').set({ boxed_key }).where('file_id', '=', second.id).execute();
        const bytes = Buffer.from(boxed_key, 'base64');
        bytes[60] = (bytes[60] as number) ^ 1;
        await db.updateTable('sends').set({ boxed_key: bytes.toString('base64') }).where('file_id', '=', first.id).execute();
      });
      const before = await namesIn(work);
      for (const id of [first.id, second.id]) {
        const failed = await cli(bob, ['receive', id, '--output', path.join(work, 'key.out'), '--yes']);
        assert.equal(failed.code, 4, failed.stderr);
        assert.match(failed.stderr, /SEND_KEY_INVALID/);
      }
      assert.deepEqual(await namesIn(work), before);
      // Control: an untouched send of the same pair still opens.
      const third = await sendJson(alice, bob, input);
      await ok(bob, ['receive', third.id, '--output', path.join(work, 'key.out'), '--yes']);
      assert.equal(await readFile(path.join(work, 'key.out'), 'utf8'), 'the key matters');
    });

    test("a changed key of the recipient is refused before anything is uploaded; a known key passes (control)", async () => {
      const input = path.join(work, 'changed.txt');
      await writeFile(input, 'x');
      await sendJson(alice, carol, input);
      const file = path.join(alice.home.env.XDG_CONFIG_HOME as string, 'blindvault', 'trusted-users.json');
      const trusted = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, { public_key: string }>>;
      const entry = trusted[url]?.[carol.name];
      assert.ok(entry);
      entry.public_key = 'ab'.repeat(32);
      await writeFile(file, JSON.stringify(trusted));
      const sentBefore = (JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as unknown[]).length;
      const refused = await cli(alice, ['send', '--to', carol.name, input, '--yes']);
      assert.equal(refused.code, 8, refused.stderr);
      assert.match(refused.stderr, /RECIPIENT_KEY_CHANGED/);
      assert.equal((JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as unknown[]).length, sentBefore, 'nothing was sent');
      // Without --yes and without a terminal, a first use is refused too.
      const unconfirmed = await cli(carol, ['send', '--to', bob.name, input]);
      assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
      assert.match(unconfirmed.stderr, /CONFIRMATION_REQUIRED/);
    });

    test('a logged-out user is told to log in', async () => {
      const nobody: User = { name: 'nobody', home: alice.home, env: { ...(await cliHome()).env } };
      const result = await cli(nobody, ['inbox']);
      assert.equal(result.code, 7, result.stderr);
    });
  });
}
