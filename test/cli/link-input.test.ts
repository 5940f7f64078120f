import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, type CliHome } from './cli-process.js';

// Security review item 4: a secret link need not be an argument (seen in ps and the shell history):
// "-" reads it from stdin, and BLINDVAULT_LINK stands in when none is given.

interface UploadJson {
  download_url: string;
  manage_url: string;
  id: string;
}

describe('download, info and delete take the link from stdin or BLINDVAULT_LINK', () => {
  let running: BackendServer;
  let home: CliHome;
  let work: string;
  let input: string;
  const content = randomBytes(5000);
  before(async () => {
    [running, home] = await Promise.all([startBackendServer('sqlite', { FILE_UPLOAD_RATE: '1000/hour' }), cliHome(), buildCli()]).then(([r, h]) => [r, h] as const);
    work = path.join(home.dir, 'work');
    await mkdir(work);
    input = path.join(work, 'in.bin');
    await writeFile(input, content);
  });
  after(async () => running?.close());

  const upload = async () => {
    const result = await runCli(['upload', input, '--server', running.server.url, '--json'], { env: home.env });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as UploadJson;
  };

  test('download: "-" reads the link from stdin; BLINDVAULT_LINK when no argument; the argument still works (control)', async () => {
    const answer = await upload();
    const rows: Array<[string, string[], { stdin?: string; env?: Record<string, string> }]> = [
      ['stdin', ['download', '-'], { stdin: `${answer.download_url}\n` }],
      ['environment', ['download'], { env: { BLINDVAULT_LINK: answer.download_url } }],
      ['argument', ['download', answer.download_url], {}],
    ];
    for (const [name, args, options] of rows) {
      const output = path.join(work, `${name}.out`);
      const result = await runCli([...args, '--output', output], { env: { ...home.env, ...options.env }, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.deepEqual(await readFile(output), content, name);
    }
  });

  test('info and delete read the manage link from stdin or BLINDVAULT_LINK', async () => {
    const answer = await upload();
    const fromStdin = await runCli(['info', '-', '--json'], { env: home.env, stdin: `${answer.manage_url}\n` });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal((JSON.parse(fromStdin.stdout) as { id: string }).id, answer.id);
    const fromEnv = await runCli(['info', '--json'], { env: { ...home.env, BLINDVAULT_LINK: answer.manage_url } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal((JSON.parse(fromEnv.stdout) as { id: string }).id, answer.id);

    const deleted = await runCli(['delete', '-'], { env: home.env, stdin: answer.manage_url });
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await runCli(['info', answer.manage_url], { env: home.env });
    assert.equal(gone.code, 5, 'deleted through the stdin link');
  });

  test('no link anywhere, or an empty stdin: a usage error (exit 2) that names the ways to give one', async () => {
    const none = await runCli(['info'], { env: home.env });
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /BLINDVAULT_LINK/);
    const empty = await runCli(['download', '-'], { env: home.env, stdin: '' });
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /no link on stdin/);
  });

  test('--help names "-" and BLINDVAULT_LINK', async () => {
    for (const command of ['download', 'info', 'delete']) {
      const help = await runCli([command, '--help'], { env: home.env });
      assert.equal(help.code, 0);
      const text = help.stdout.replace(/\s+/g, ' '); // commander wraps long lines
      assert.match(text, /"-" reads it from the first line of stdin/, command);
      assert.match(text, /BLINDVAULT_LINK/, command);
    }
  });
});
