import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, startCli, type CliHome } from './cli-process.js';
import { flipByte, namesIn, PYTHON, storedBlob } from './helpers.js';

// Format v2 through the CLI against a real server: random keys in the link, passphrases, tampering,
// resuming an upload killed mid-way, and memory that stays flat for a file far larger than it.

const MIB = 1024 * 1024;

async function bigFile(file: string, sizeBytes: number): Promise<void> {
  const block = randomBytes(4 * MIB);
  const out = createWriteStream(file);
  for (let written = 0; written < sizeBytes; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, sizeBytes - written));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

interface UploadJson {
  download_url: string;
  manage_url: string;
  id: string;
  expires_at: string;
  max_downloads: number | null;
  format: string;
}

describe('blindvault upload/download, format v2', () => {
  let running: BackendServer;
  let home: CliHome;
  let url: string;
  let work: string;
  let passphraseFile: string;
  before(async () => {
    [running, home] = await Promise.all([startBackendServer('sqlite', { FILE_UPLOAD_RATE: '1000/hour' }), cliHome(), buildCli()]).then(([r, h]) => [r, h] as const);
    url = running.server.url;
    work = path.join(home.dir, 'work');
    await mkdir(work);
    passphraseFile = path.join(work, 'passphrase.txt');
    await writeFile(passphraseFile, 'a passphrase for v2\n');
  });
  after(async () => running?.close());

  const upload = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runCli(['upload', ...args, '--server', url, '--json'], { env: { ...home.env, ...env } });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as UploadJson;
  };

  for (const size of [0, 1, 256 * 1024, 256 * 1024 + 1, 3 * MIB + 5]) {
    test(`a ${size}-byte file with a random key goes up and comes back byte for byte`, async () => {
      const plaintext = randomBytes(size);
      const input = path.join(work, `v2-${size}.bin`);
      await writeFile(input, plaintext);
      const answer = await upload([input, '--downloads', '3', '--expires', '2h']);
      assert.deepEqual(Object.keys(answer).sort(), ['download_url', 'expires_at', 'format', 'id', 'manage_url', 'max_downloads']);
      assert.equal(answer.format, 'v2');
      assert.equal(answer.max_downloads, 3);
      assert.match(answer.download_url, new RegExp(`^${url}/f/${answer.id}#[A-Za-z0-9_-]{43}$`));
      // The server holds the header, the records and their tags: never the plaintext's size alone.
      const blob = await readFile(await storedBlob(path.join(running.work, 'data'), answer.id));
      assert.equal(blob.length, 57 + size + 16 * Math.max(1, Math.ceil(size / (256 * 1024))));
      assert.equal(blob.subarray(0, 6).toString(), 'BVFILE');
      const output = path.join(work, `v2-${size}.out`);
      const down = await runCli(['download', answer.download_url, '--output', output, '--json'], { env: home.env });
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(JSON.parse(down.stdout), { output, id: answer.id, size_bytes: size, format: 'v2' });
      assert.deepEqual(await readFile(output), plaintext);
      // No resume state is left behind once an upload is done.
      assert.deepEqual(await readdir(path.join(home.env.XDG_STATE_HOME as string, 'blindvault', 'uploads')).catch(() => []), []);
    });
  }

  test("the Python reference decryptor opens what the CLI uploaded (random key and passphrase)", async () => {
    const plaintext = randomBytes(600_000);
    const input = path.join(work, 'v2-python.bin');
    await writeFile(input, plaintext);
    const ciphertextOf = async (id: string) => new Uint8Array(await (await fetch(`${url}/f/${id}/encrypted`)).arrayBuffer());
    const python = (args: string[], stdin: Uint8Array) =>
      new Promise<{ code: number | null; stdout: Buffer }>((resolve, reject) => {
        const child = spawn(PYTHON, [path.resolve('test/interop/file_v2_decrypt.py'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
        const out: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out) }));
        child.stdin.on('error', () => {});
        child.stdin.end(stdin);
      });
    const random = await upload([input]);
    const key = new URL(random.download_url).hash.slice(1);
    const byKey = await python(['--key-b64url', key], await ciphertextOf(random.id));
    assert.equal(byKey.code, 0);
    assert.deepEqual(byKey.stdout, plaintext);
    const withPassphrase = await upload([input, '--passphrase-file', passphraseFile]);
    const byPassphrase = await python(['--passphrase-file', passphraseFile], await ciphertextOf(withPassphrase.id));
    assert.equal(byPassphrase.code, 0);
    assert.deepEqual(byPassphrase.stdout, plaintext);
    // control: the reference refuses a wrong key (exit 3, wrong_key)
    const wrong = await python(['--key-b64url', 'A'.repeat(43)], await ciphertextOf(random.id));
    assert.equal(wrong.code, 3);
  });

  test('a passphrase file: the link has no key; the right passphrase opens it, a wrong one fails with exit 4', async () => {
    const plaintext = randomBytes(700_000);
    const input = path.join(work, 'v2-pass.bin');
    await writeFile(input, plaintext);
    const answer = await upload([input, '--passphrase-file', passphraseFile]);
    assert.equal(answer.download_url, `${url}/f/${answer.id}`);
    const outDir = path.join(work, 'v2-pass-out');
    await mkdir(outDir);
    const output = path.join(outDir, 'file.bin');
    const none = await runCli(['download', answer.download_url, '--output', output], { env: home.env });
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'blindvault: error: This file is protected by a passphrase, and none was given. (PASSPHRASE_REQUIRED)\n');
    const wrong = await runCli(['download', answer.download_url, '--output', output], { env: { ...home.env, BLINDVAULT_PASSPHRASE: 'not it' } });
    assert.equal(wrong.code, 4);
    assert.equal(wrong.stderr, 'blindvault: error: Wrong key or passphrase, or the file header was altered. (WRONG_KEY)\n');
    assert.deepEqual(await namesIn(outDir), []);
    const right = await runCli(['download', answer.download_url, '--output', output, '--passphrase-file', passphraseFile], { env: home.env });
    assert.equal(right.code, 0, right.stderr);
    assert.deepEqual(await readFile(output), plaintext);
  });

  test('a random-key link without its key, with a wrong key or a malformed one is refused; the whole link works (control)', async () => {
    const plaintext = randomBytes(1000);
    const input = path.join(work, 'v2-keys.bin');
    await writeFile(input, plaintext);
    const answer = await upload([input]);
    const bare = answer.download_url.replace(/#.*/, '');
    const rows: [string, number, RegExp][] = [
      [bare, 2, /KEY_MODE_MISMATCH/],
      [`${bare}#${'A'.repeat(43)}`, 4, /WRONG_KEY/],
      [`${bare}#short`, 2, /INVALID_FILE_KEY/],
    ];
    for (const [link, code, stderr] of rows) {
      const result = await runCli(['download', link, '--output', path.join(work, 'never.bin')], { env: { ...home.env, BLINDVAULT_PASSPHRASE: 'x' } });
      assert.equal(result.code, code, `${link}: ${result.stderr}`);
      assert.match(result.stderr, stderr);
    }
    const control = await runCli(['download', answer.download_url, '--output', path.join(work, 'v2-keys.out')], { env: home.env });
    assert.equal(control.code, 0, control.stderr);
    assert.deepEqual(await readFile(path.join(work, 'v2-keys.out')), plaintext);
  });

  for (const [where, offset, code] of [
    ['the header', 20, 'WRONG_KEY'],
    ['the first record', 57 + 100, 'DECRYPTION_FAILED'],
    ['the last record', -3, 'DECRYPTION_FAILED'],
  ] as const) {
    test(`a flipped byte in ${where} of the stored blob fails the download (exit 4) and leaves no file`, async () => {
      const plaintext = randomBytes(1 * MIB + 17);
      const input = path.join(work, `tamper-${offset}.bin`);
      await writeFile(input, plaintext);
      const answer = await upload([input]);
      const outDir = path.join(work, `tamper-${offset}-out`);
      await mkdir(outDir);
      const control = await runCli(['download', answer.download_url, '--output', path.join(outDir, 'control.bin')], { env: home.env });
      assert.equal(control.code, 0, control.stderr);
      await flipByte(await storedBlob(path.join(running.work, 'data'), answer.id), offset);
      const result = await runCli(['download', answer.download_url, '--output', path.join(outDir, 'tampered.bin')], { env: home.env });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, new RegExp(`^blindvault: error: .*\\(${code}\\)\\n$`));
      assert.deepEqual(await namesIn(outDir), ['control.bin']);
    });
  }

  test('an upload killed mid-way resumes when the same command runs again: one file on the server, whole', async () => {
    const input = path.join(work, 'resume.bin');
    await bigFile(input, 192 * MIB);
    const stateUploads = path.join(home.env.XDG_STATE_HOME as string, 'blindvault', 'uploads');
    const first = startCli(['upload', input, '--server', url, '--json'], { env: home.env });
    // Wait until the server holds some of it, then kill the CLI without warning. The CLI is paused while the
    // server is asked, so that it cannot finish in between.
    let record: { id: string; uploadUrl: string; uploadToken: string; sizeBytes: number } | undefined;
    for (let offset = 0; offset === 0; ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const name = (await readdir(stateUploads).catch(() => [] as string[])).find((n) => n.endsWith('.json'));
      if (!name) continue;
      first.child.kill('SIGSTOP');
      record = JSON.parse(await readFile(path.join(stateUploads, name), 'utf8')) as typeof record;
      const head = await fetch(record?.uploadUrl ?? '', { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${record?.uploadToken}` } });
      offset = Number(head.headers.get('upload-offset') ?? 0);
      assert.ok(offset < (record?.sizeBytes ?? 0), 'the upload was still running when it was killed');
      if (offset === 0) first.child.kill('SIGCONT');
    }
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    assert.ok(record);
    const { mode } = await stat(path.join(stateUploads, (await readdir(stateUploads))[0] as string));
    assert.equal(mode & 0o777, 0o600, 'the resume state (it holds the file key) is private');

    const second = await runCli(['upload', input, '--server', url, '--json'], { env: home.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resumed an interrupted upload/);
    const answer = JSON.parse(second.stdout) as UploadJson;
    assert.equal(answer.id, record.id, 'the same upload was continued, not a second one made');
    assert.deepEqual(await readdir(stateUploads), []);
    const output = path.join(work, 'resume.out');
    const down = await runCli(['download', answer.download_url, '--output', output], { env: home.env });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await readFile(output), await readFile(input));
  });

  test('a download killed mid-way resumes with a range, within the download limit of 1; nothing under the output name before', async () => {
    const input = path.join(work, 'resume-down.bin');
    await bigFile(input, 160 * MIB);
    const answer = await upload([input, '--downloads', '1']);
    const outDir = path.join(work, 'resume-down-out');
    await mkdir(outDir);
    const output = path.join(outDir, 'file.bin');
    const first = startCli(['download', answer.download_url, '--output', output], { env: home.env });
    const partial = path.join(outDir, `.file.bin.${answer.id}.blindvault-ciphertext`);
    for (let size = 0; size < 16 * MIB; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      size = await stat(partial).then((s) => s.size, () => 0);
    }
    first.child.kill('SIGKILL');
    await first.done;
    const left = await namesIn(outDir);
    assert.ok(!left.includes('file.bin'), `nothing under the output name: ${left.join(', ')}`);
    assert.ok((await stat(partial)).size < 57 + 160 * MIB, 'the download was cut before its end');
    const second = await runCli(['download', answer.download_url, '--output', output], { env: home.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /^resumed and saved 167772160 bytes to /m);
    assert.ok((await readFile(output)).equals(await readFile(input)));
    assert.deepEqual(await namesIn(outDir), ['file.bin'], 'the partial files are gone');
    // control: the limit holds for a new download
    const third = await runCli(['download', answer.download_url, '--output', path.join(outDir, 'again.bin')], { env: home.env });
    assert.equal(third.code, 5, third.stderr);
  });

  test('Ctrl-C (SIGINT) stops an upload with exit 130 and keeps its state; the same command then finishes it', async () => {
    const input = path.join(work, 'sigint.bin');
    await bigFile(input, 160 * MIB);
    const env = { ...home.env, XDG_STATE_HOME: path.join(home.dir, 'state-sigint') };
    const stateUploads = path.join(env.XDG_STATE_HOME, 'blindvault', 'uploads');
    const first = startCli(['upload', input, '--server', url], { env });
    while ((await readdir(stateUploads).catch(() => [] as string[])).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.equal(stopped.stdout, '');
    assert.match(stopped.stderr, /^blindvault: interrupted; run the same command again to resume\n$/);
    assert.equal((await readdir(stateUploads)).length, 1);
    const second = await runCli(['upload', input, '--server', url, '--json'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resumed an interrupted upload/);
    const output = path.join(work, 'sigint.out');
    const down = await runCli(['download', (JSON.parse(second.stdout) as UploadJson).download_url, '--output', output], { env });
    assert.equal(down.code, 0, down.stderr);
    assert.ok((await readFile(output)).equals(await readFile(input)));
  });

  test('memory stays flat: a 512 MiB transfer peaks no higher than a 1 MiB one (peak RSS measured by GNU time)', async () => {
    const peakRss = async (args: string[]) => {
      const result = await runCli(args, { env: home.env, command: ['/usr/bin/time', '-f', 'peak-rss-kib=%M', process.execPath] });
      assert.equal(result.code, 0, result.stderr);
      const kib = Number(/peak-rss-kib=(\d+)/.exec(result.stderr)?.[1]);
      assert.ok(kib > 0, result.stderr);
      return { stdout: result.stdout, rssMiB: kib / 1024 };
    };
    const transfer = async (sizeBytes: number) => {
      const input = path.join(work, `rss-${sizeBytes}.bin`);
      await bigFile(input, sizeBytes);
      const up = await peakRss(['upload', input, '--server', url, '--json']);
      const output = path.join(work, `rss-${sizeBytes}.out`);
      const down = await peakRss(['download', (JSON.parse(up.stdout) as UploadJson).download_url, '--output', output]);
      const same = (await readFile(input)).equals(await readFile(output));
      return { up: up.rssMiB, down: down.rssMiB, same };
    };
    const small = await transfer(1 * MIB);
    const large = await transfer(512 * MIB);
    assert.ok(large.same && small.same, 'both files came back byte for byte');
    const report = `peak RSS: upload ${small.up.toFixed(0)} → ${large.up.toFixed(0)} MiB, download ${small.down.toFixed(0)} → ${large.down.toFixed(0)} MiB`;
    // Flat: 512 times the data costs at most a few buffers more (GC timing), far below the file's size.
    assert.ok(large.up - small.up < 64 && large.down - small.down < 64, report);
    assert.ok(large.up < 192 && large.down < 192, report);
  });
});
