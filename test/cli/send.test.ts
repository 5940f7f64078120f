import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeLinkKey } from '../../src/client/file-v2.js';
import { openSessionState, parseSessionKey } from '../../src/client/vault/session-state.js';
import { fromHex } from '../../src/crypto/encoding.js';
import { openSqlDatabase } from '../../src/store/open-stores.js';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, type CliHome } from './cli-process.js';
import { flipByte, namesIn, PYTHON, storedBlob } from './helpers.js';

const SEND_KEY_PY = path.resolve('test/vectors/generate_send_key_vectors.py');
const FILE_V2_PY = path.resolve('test/interop/file_v2_decrypt.py');

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

    test('PyNaCl opens the boxed key a CLI send stored and, with it alone, Python decrypts the stored body; a box PyNaCl seals is received by the CLI', async () => {
      const plaintext = randomBytes(90_000);
      const input = path.join(work, 'python.bin');
      await writeFile(input, plaintext);
      const { id } = await sendJson(alice, bob, input);
      const stateOf = async (user: User) =>
        openSessionState(parseSessionKey(user.env.BLINDVAULT_SESSION as string), await readFile(path.join(user.home.env.XDG_CONFIG_HOME as string, 'blindvault', 'session.json'), 'utf8'));
      const [a, b, c] = [await stateOf(alice), await stateOf(bob), await stateOf(carol)];
      let boxed = '';
      await withDatabase(async ({ db }) => {
        boxed = (await db.selectFrom('sends').select('boxed_key').where('file_id', '=', id).executeTakeFirstOrThrow()).boxed_key;
      });
      const pyOpen = (recipientSecret: string) =>
        spawnSync(PYTHON, [SEND_KEY_PY, '--open', JSON.stringify({ boxed, sender_public: a.user_public_key, recipient_secret: recipientSecret })], { encoding: 'utf8' });
      const opened = pyOpen(b.user_private_key);
      assert.equal(opened.status, 0, opened.stderr);
      const fields = JSON.parse(opened.stdout) as { file_id: string; sender_id: string; recipient_id: string; file_key_hex: string };
      assert.deepEqual([fields.file_id, fields.sender_id, fields.recipient_id], [id, a.user_id, b.user_id]);
      assert.equal(pyOpen(c.user_private_key).status, 1, "a third user's key does not open it in Python either");
      const blob = await readFile(await storedBlob(path.join(running.work, 'data'), id));
      const decrypted = spawnSync(PYTHON, [FILE_V2_PY, `--key-b64url=${encodeLinkKey(fromHex(fields.file_key_hex) as Uint8Array)}`], { input: blob, maxBuffer: 1 << 24 });
      assert.equal(decrypted.status, 0, decrypted.stderr.toString());
      assert.ok(Buffer.compare(decrypted.stdout, plaintext) === 0, 'Python decrypts the stored body with the key from the box');

      const sealed = spawnSync(PYTHON, [SEND_KEY_PY, '--seal'], {
        input: JSON.stringify({ sender_secret: a.user_private_key, recipient_public: b.user_public_key, file_id: id, sender_id: a.user_id, recipient_id: b.user_id, file_key: fields.file_key_hex }),
        encoding: 'utf8',
      });
      assert.equal(sealed.status, 0, sealed.stderr);
      const wire = sealed.stdout.trim();
      assert.notEqual(wire, boxed, 'a fresh nonce');
      await withDatabase(async ({ db }) => void (await db.updateTable('sends').set({ boxed_key: wire }).where('file_id', '=', id).execute()));
      const output = path.join(work, 'python.out');
      await ok(bob, ['receive', id, '--output', output, '--yes']);
      assert.deepEqual(await readFile(output), plaintext);
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

    test('a send to an unknown user is exit 5 USER_NOT_FOUND and uploads nothing; a known user works (control)', async () => {
      const input = path.join(work, 'nobody.txt');
      await writeFile(input, 'for nobody');
      // Files made since this test began: the sweeper may remove used-up files of earlier tests meanwhile.
      const since = Date.now();
      const count = async () => {
        let n = 0;
        await withDatabase(async ({ db }) => {
          n = Number((await db.selectFrom('files').select(db.fn.countAll().as('n')).where('created_at', '>=', since).executeTakeFirstOrThrow()).n);
        });
        return n;
      };
      const refused = await cli(alice, ['send', '--to', `nobody-${randomBytes(3).toString('hex')}@example.com`, input, '--yes']);
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, /USER_NOT_FOUND/);
      assert.equal(refused.stdout, '');
      assert.equal(await count(), 0, 'no file was uploaded');
      await sendJson(alice, bob, input);
      assert.equal(await count(), 1, 'control: a send to a known user uploads one file');
    });

    test('keys the server swaps are refused (RECIPIENT_KEY_CHANGED, no output, nothing sent); the true keys work again (control)', async () => {
      const input = path.join(work, 'swap.txt');
      await writeFile(input, 'keys are checked');
      const first = await sendJson(alice, bob, input);
      await ok(bob, ['receive', first.id, '--output', path.join(work, 'swap.out'), '--yes']);
      const second = await sendJson(alice, bob, input);
      const keyOf = async (username: string) => {
        let key = '';
        await withDatabase(async ({ db }) => {
          key = (await db.selectFrom('users').select('public_key').where('username', '=', username).executeTakeFirstOrThrow()).public_key;
        });
        return key;
      };
      const setKey = (username: string, key: string) => withDatabase(async ({ db }) => void (await db.updateTable('users').set({ public_key: key }).where('username', '=', username).execute()));
      const [aliceKey, bobKey] = [await keyOf(alice.name), await keyOf(bob.name)];
      // The server names another key for the sender bob already trusts: bob opens nothing.
      await setKey(alice.name, bobKey);
      try {
        const before = await namesIn(work);
        const refused = await cli(bob, ['receive', second.id, '--output', path.join(work, 'swap2.out'), '--yes']);
        assert.equal(refused.code, 8, refused.stderr);
        assert.match(refused.stderr, /RECIPIENT_KEY_CHANGED/);
        assert.deepEqual(await namesIn(work), before, 'no output file');
      } finally {
        await setKey(alice.name, aliceKey);
      }
      // The server hands the sender another key for the recipient alice already trusts: nothing is uploaded.
      await setKey(bob.name, aliceKey);
      try {
        const sentBefore = (JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as unknown[]).length;
        const refused = await cli(alice, ['send', '--to', bob.name, input, '--yes']);
        assert.equal(refused.code, 8, refused.stderr);
        assert.match(refused.stderr, /RECIPIENT_KEY_CHANGED/);
        assert.equal((JSON.parse((await ok(alice, ['sent', '--json'])).stdout) as unknown[]).length, sentBefore);
      } finally {
        await setKey(bob.name, bobKey);
      }
      await ok(bob, ['receive', second.id, '--output', path.join(work, 'swap2.out'), '--yes']);
      assert.equal(await readFile(path.join(work, 'swap2.out'), 'utf8'), 'keys are checked');
    });

    test('a logged-out user is told to log in', async () => {
      const nobody: User = { name: 'nobody', home: alice.home, env: { ...(await cliHome()).env } };
      const result = await cli(nobody, ['inbox']);
      assert.equal(result.code, 7, result.stderr);
    });
  });
}
