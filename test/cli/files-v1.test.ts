import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, type CliHome } from './cli-process.js';
import { flipByte, namesIn, seedDownload, seedUpload, storedBlob } from './helpers.js';

// Format v1 through the CLI, cross-checked with the seed's Python snippets both ways, on a real server.

const V1_LEGACY_WARNING = /^blindvault: warning: format v1 is legacy: PBKDF2 with 100,000 iterations/m;

describe('blindvault upload/download --format v1 and the seed snippets', () => {
  let running: BackendServer;
  let home: CliHome;
  let url: string;
  let work: string;
  let passphraseFile: string;
  const passphrase = 'correct horse battery staple ✓';
  before(async () => {
    [running, home] = await Promise.all([startBackendServer('sqlite'), cliHome(), buildCli()]).then(([r, h]) => [r, h] as const);
    url = running.server.url;
    work = path.join(home.dir, 'work');
    await mkdir(work);
    passphraseFile = path.join(work, 'passphrase.txt');
    await writeFile(passphraseFile, `${passphrase}\n`);
  });
  after(async () => running?.close());

  test('a CLI v1 upload with a passphrase is decrypted by the seed download snippet', async () => {
    const plaintext = randomBytes(300_001);
    const input = path.join(work, 'v1-in.bin');
    await writeFile(input, plaintext);
    const up = await runCli(['upload', input, '--server', url, '--format', 'v1', '--passphrase-file', passphraseFile, '--downloads', '2', '--expires', '1h', '--json'], { env: home.env });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, V1_LEGACY_WARNING);
    const answer = JSON.parse(up.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answer).sort(), ['download_url', 'expires_at', 'format', 'id', 'manage_url', 'max_downloads']);
    assert.equal(answer.format, 'v1');
    assert.equal(answer.max_downloads, 2);
    assert.equal(answer.download_url, `${url}/f/${String(answer.id)}`, 'a passphrase link carries no fragment');
    assert.equal(answer.manage_url, `${url}/f/${String(answer.id)}/manage?token=${new URL(String(answer.manage_url)).searchParams.get('token')}`);
    const expiresIn = Date.parse(String(answer.expires_at)) - Date.now();
    assert.ok(expiresIn > 3_500_000 && expiresIn <= 3_600_000, String(answer.expires_at));

    const output = path.join(work, 'v1-by-python.bin');
    assert.match(await seedDownload(work, url, String(answer.id), passphrase, output), /Decrypted file saved/);
    assert.deepEqual(await readFile(output), plaintext);
    // control: the snippet fails on a wrong passphrase, so its success above means something
    await assert.rejects(seedDownload(work, url, String(answer.id), 'wrong', path.join(work, 'never.bin')));
  });

  test('a v1 upload without a passphrase carries a random one in the link; the CLI and the seed snippet both open it', async () => {
    const plaintext = randomBytes(1000);
    const input = path.join(work, 'v1-random.bin');
    await writeFile(input, plaintext);
    const up = await runCli(['upload', input, '--server', url, '--format', 'v1'], { env: home.env });
    assert.equal(up.code, 0, up.stderr);
    const download = /^Download: (\S+)$/m.exec(up.stdout)?.[1] ?? '';
    assert.match(/^Manage: (\S+)$/m.exec(up.stdout)?.[1] ?? '', /\/manage\?token=/);
    const fragment = new URL(download).hash.slice(1);
    assert.match(fragment, /^[A-Za-z0-9_-]{43}$/);
    const output = path.join(work, 'v1-random.out');
    const down = await runCli(['download', download, '--output', output], { env: home.env });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await readFile(output), plaintext);
    const id = new URL(download).pathname.split('/')[2] ?? '';
    const byPython = path.join(work, 'v1-random.py.out');
    await seedDownload(work, url, id, fragment, byPython);
    assert.deepEqual(await readFile(byPython), plaintext);
  });

  test("the CLI decrypts what the seed's Python upload made, with --passphrase-file or BLINDVAULT_PASSPHRASE", async () => {
    const plaintext = randomBytes(2 * 1024 * 1024 + 3);
    const input = path.join(work, 'by-python.bin');
    await writeFile(input, plaintext);
    const seeded = await seedUpload(work, url, input, passphrase);
    const output = path.join(work, 'by-python.out');
    const down = await runCli(['download', seeded.download, '--output', output, '--passphrase-file', passphraseFile, '--json'], { env: home.env });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(JSON.parse(down.stdout), { output, id: seeded.id, size_bytes: plaintext.length, format: 'v1' });
    assert.deepEqual(await readFile(output), plaintext);

    const none = await runCli(['download', seeded.download, '--output', path.join(work, 'by-python-none.out')], { env: home.env });
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'blindvault: error: This file is protected by a passphrase, and none was given. (PASSPHRASE_REQUIRED)\n');

    const viaEnv = path.join(work, 'by-python-env.out');
    const again = await runCli(['download', `${url}/f/${seeded.id}`, '-o', viaEnv], { env: { ...home.env, BLINDVAULT_PASSPHRASE: passphrase } });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await readFile(viaEnv), plaintext);
  });

  test('a wrong passphrase fails with exit 4 and leaves no file; the right one then works (control)', async () => {
    const plaintext = randomBytes(5000);
    const input = path.join(work, 'wrong-pass.bin');
    await writeFile(input, plaintext);
    const seeded = await seedUpload(work, url, input, passphrase);
    const outDir = path.join(work, 'wrong-pass-out');
    await mkdir(outDir);
    const output = path.join(outDir, 'result.bin');
    const wrong = await runCli(['download', seeded.download, '--output', output], { env: { ...home.env, BLINDVAULT_PASSPHRASE: 'not it' } });
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /^blindvault: error: Wrong key or passphrase, or the file header was altered\. \(WRONG_KEY\)\n$/);
    assert.deepEqual(await namesIn(outDir), []);
    const right = await runCli(['download', seeded.download, '--output', output], { env: { ...home.env, BLINDVAULT_PASSPHRASE: passphrase } });
    assert.equal(right.code, 0, right.stderr);
    assert.deepEqual(await readFile(output), plaintext);
  });

  test('a tampered stored blob fails the download with exit 4 and no output file', async () => {
    const plaintext = randomBytes(10_000);
    const input = path.join(work, 'tamper-v1.bin');
    await writeFile(input, plaintext);
    const up = await runCli(['upload', input, '--server', url, '--format', 'v1', '--json'], { env: home.env });
    assert.equal(up.code, 0, up.stderr);
    const { id, download_url: link } = JSON.parse(up.stdout) as { id: string; download_url: string };
    const outDir = path.join(work, 'tamper-v1-out');
    await mkdir(outDir);
    const output = path.join(outDir, 'x.bin');
    // control first: the untouched file downloads
    const control = await runCli(['download', link, '--output', output], { env: home.env });
    assert.equal(control.code, 0, control.stderr);
    assert.deepEqual(await readFile(output), plaintext);
    await flipByte(await storedBlob(path.join(running.work, 'data'), id), 1234);
    const tampered = path.join(outDir, 'y.bin');
    const result = await runCli(['download', link, '--output', tampered], { env: home.env });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /WRONG_KEY/);
    assert.deepEqual(await namesIn(outDir), ['x.bin']);
  });

  const rows: { name: string; args: (c: { url: string; input: string; big: string }) => string[]; env?: Record<string, string>; code: number; stderr: RegExp }[] = [
    {
      name: 'v1 above its limit is refused before reading, stating the limit',
      args: (c) => ['upload', c.big, '--server', c.url, '--format', 'v1'],
      code: 2,
      stderr: /format v1 is refused above 256 MiB \(this file has 268435457 bytes\): use --format v2\n$/,
    },
    {
      name: 'download of a file that does not exist',
      args: (c) => ['download', `${c.url}/f/00000000-0000-4000-8000-000000000000`],
      code: 5,
      stderr: /NOT_FOUND/,
    },
    { name: 'an unknown format', args: (c) => ['upload', c.input, '--server', c.url, '--format', 'v3'], code: 2, stderr: /option '--format <format>' argument 'v3' is invalid\. Allowed choices are v1, v2\./ },
    { name: 'a bad duration', args: (c) => ['upload', c.input, '--server', c.url, '--expires', '1y'], code: 2, stderr: /expected a duration such as 3600, 30m, 12h, 1d or 2w/ },
    { name: 'a bad download count', args: (c) => ['upload', c.input, '--server', c.url, '--downloads', '0'], code: 2, stderr: /expected a whole number from 1/ },
    { name: 'a missing input file', args: (c) => ['upload', path.join(path.dirname(c.input), 'nope.bin'), '--server', c.url], code: 6, stderr: /^blindvault: error: cannot read .*nope\.bin: ENOENT\n$/ },
    { name: 'no server anywhere', args: (c) => ['upload', c.input], code: 2, stderr: /^blindvault: error: no server: give --server URL, set BLINDVAULT_SERVER, or put \{"server": URL\} in .*config\/blindvault\/config\.json\n$/ },
    { name: 'a server URL that is not http(s)', args: (c) => ['upload', c.input, '--server', 'ftp://x'], code: 2, stderr: /the server URL from --server is not an http\(s\) URL/ },
    { name: 'a missing passphrase file', args: (c) => ['upload', c.input, '--server', c.url, '--passphrase-file', '/nonexistent/p'], code: 6, stderr: /cannot read the passphrase file \/nonexistent\/p: ENOENT/ },
    { name: '--passphrase without a terminal', args: (c) => ['upload', c.input, '--server', c.url, '--passphrase'], code: 2, stderr: /--passphrase asks on a terminal/ },
  ];
  for (const row of rows) {
    test(`row: ${row.name}`, async () => {
      const input = path.join(work, 'row-input.bin');
      await writeFile(input, randomBytes(100));
      const big = path.join(work, 'big-sparse.bin');
      await writeFile(big, '');
      await truncate(big, 256 * 1024 * 1024 + 1);
      const result = await runCli(row.args({ url, input, big }), { env: { ...home.env, ...row.env } });
      assert.equal(result.code, row.code, result.stderr);
      assert.match(result.stderr, row.stderr);
      assert.equal(result.stdout, '');
    });
  }

  test('the server comes from BLINDVAULT_SERVER, else the config file; a broken config file is a usage error', async () => {
    const input = path.join(work, 'server-source.bin');
    await writeFile(input, randomBytes(10));
    const viaEnv = await runCli(['upload', input, '--format', 'v1', '--json'], { env: { ...home.env, BLINDVAULT_SERVER: url } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.ok((JSON.parse(viaEnv.stdout) as { download_url: string }).download_url.startsWith(`${url}/f/`));
    const configHome = path.join(home.dir, 'config-test');
    await mkdir(path.join(configHome, 'blindvault'), { recursive: true });
    await writeFile(path.join(configHome, 'blindvault', 'config.json'), JSON.stringify({ server: `${url}/` }));
    const viaConfig = await runCli(['upload', input, '--format', 'v1', '--json'], { env: { ...home.env, XDG_CONFIG_HOME: configHome } });
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.ok((JSON.parse(viaConfig.stdout) as { download_url: string }).download_url.startsWith(`${url}/f/`));
    await writeFile(path.join(configHome, 'blindvault', 'config.json'), '{"server": ');
    const broken = await runCli(['upload', input, '--format', 'v1'], { env: { ...home.env, XDG_CONFIG_HOME: configHome } });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /^blindvault: error: .*config\.json is not valid JSON\n$/);
  });
});
