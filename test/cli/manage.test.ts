import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort, startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, startCli, type CliHome } from './cli-process.js';

// info, delete, help and the argument errors, against a real server process.

async function uploadRaw(serverUrl: string, maxDownloads?: number): Promise<{ id: string; manage: string; token: string }> {
  const form = new FormData();
  form.set('e2e', 'true');
  form.set('e2e_salt', Array.from({ length: 16 }, (_, i) => i).join(','));
  form.set('e2e_iv', Array.from({ length: 12 }, (_, i) => i).join(','));
  if (maxDownloads !== undefined) form.set('max_downloads', String(maxDownloads));
  form.set('file', new Blob([new Uint8Array(100)]), 'x');
  const body = (await (await fetch(`${serverUrl}/upload`, { method: 'POST', body: form })).json()) as { id: string; redirect: string; owner_token: string };
  return { id: body.id, manage: `${serverUrl}${body.redirect}`, token: body.owner_token };
}

describe('blindvault info, delete, help and usage errors', () => {
  let running: BackendServer;
  let home: CliHome;
  let url: string;
  let garbage: Server;
  let garbageUrl: string;
  before(async () => {
    [running, home] = await Promise.all([startBackendServer('sqlite'), cliHome(), buildCli()]).then(([r, h]) => [r, h] as const);
    url = running.server.url;
    garbage = createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>proxy error</h1>'));
    const port = await freePort();
    await new Promise<void>((resolve) => garbage.listen(port, '127.0.0.1', resolve));
    garbageUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    garbage?.close();
    await running?.close();
  });

  test('info --json prints the state; the human form says the same', async () => {
    const file = await uploadRaw(url, 3);
    const json = await runCli(['info', file.manage, '--json'], { env: home.env });
    assert.equal(json.stderr, '');
    assert.equal(json.code, 0);
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(info).sort(), ['created_at', 'downloads', 'expires_at', 'id', 'max_downloads', 'size_bytes']);
    assert.equal(info.id, file.id);
    assert.equal(info.size_bytes, 100);
    assert.equal(info.downloads, 0);
    assert.equal(info.max_downloads, 3);
    const human = await runCli(['info', file.manage], { env: home.env });
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`^id: ${file.id}$`, 'm'));
    assert.match(human.stdout, /^downloads: 0 of 3$/m);
  });

  test('delete removes the file; info then answers not found (exit 5)', async () => {
    const file = await uploadRaw(url);
    const deleted = await runCli(['delete', file.manage], { env: home.env });
    assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr], [0, '', 'deleted\n']);
    const gone = await runCli(['info', file.manage], { env: home.env });
    assert.equal(gone.code, 5);
    assert.equal(gone.stdout, '');
    assert.match(gone.stderr, /^blindvault: error: Not found, expired, or no longer available\. \(NOT_FOUND, HTTP 404, request [^)]+\)\n$/);
    const again = await runCli(['delete', file.manage], { env: home.env });
    assert.equal(again.code, 5);
  });

  test('a wrong owner token is refused like a missing file; the right one works (control)', async () => {
    const file = await uploadRaw(url);
    const wrong = file.manage.replace(/token=.*/, `token=${'A'.repeat(43)}`);
    for (const command of ['info', 'delete']) {
      const refused = await runCli([command, wrong], { env: home.env });
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, /NOT_FOUND/);
    }
    const control = await runCli(['info', file.manage, '--json'], { env: home.env });
    assert.equal(control.code, 0);
    assert.equal((JSON.parse(control.stdout) as { id: string }).id, file.id);
  });

  const rows: { name: string; args: (ctx: { url: string; garbageUrl: string; closedUrl: string }) => string[]; code: number; stdout?: RegExp; stderr: RegExp }[] = [
    { name: 'no arguments: help on stderr', args: () => [], code: 2, stderr: /^Usage: blindvault \[options\] \[command\]/ },
    { name: '--help', args: () => ['--help'], code: 0, stdout: /Usage: blindvault[\s\S]*upload[\s\S]*Exit codes:[\s\S]*BLINDVAULT_SERVER/, stderr: /^$/ },
    { name: 'info --help', args: () => ['info', '--help'], code: 0, stdout: /Usage: blindvault info \[options\] \[manage-link\]/, stderr: /^$/ },
    { name: '--version', args: () => ['--version'], code: 0, stdout: /^\d+\.\d+\.\d+\n$/, stderr: /^$/ },
    { name: 'unknown command', args: () => ['uplaod'], code: 2, stderr: /^blindvault: error: unknown command 'uplaod' \(Did you mean upload\?\) \(see --help\)\n$|^blindvault: error: unknown command 'uplaod'.*\n$/ },
    { name: 'missing argument', args: () => ['info'], code: 2, stderr: /^blindvault: error: no link: give it as an argument, "-" to read it from stdin, or set BLINDVAULT_LINK\n$/ },
    { name: 'too many arguments', args: (c) => ['info', `${c.url}/f/x/manage?token=y`, 'extra'], code: 2, stderr: /^blindvault: error: too many arguments for 'info'.*\n$/ },
    { name: 'unknown option', args: () => ['info', '--frobnicate'], code: 2, stderr: /^blindvault: error: unknown option '--frobnicate' \(see --help\)\n$/ },
    { name: 'not a link', args: () => ['info', 'hello'], code: 2, stderr: /^blindvault: error: The link is not a Blindvault download or manage link\. \(INVALID_LINK\)\n$/ },
    {
      name: 'a download link where a manage link belongs',
      args: (c) => ['info', `${c.url}/f/0b0b6c8e-3f4e-4d2a-9c1b-2a3b4c5d6e7f#abc`],
      code: 2,
      stderr: /INVALID_LINK/,
    },
    {
      name: 'no server listening: network error',
      args: (c) => ['info', `${c.closedUrl}/f/0b0b6c8e-3f4e-4d2a-9c1b-2a3b4c5d6e7f/manage?token=${'A'.repeat(43)}`],
      code: 3,
      stderr: /^blindvault: error: The server cannot be reached\. \(http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)\n$/,
    },
    {
      name: 'a server outside the protocol',
      args: (c) => ['info', `${c.garbageUrl}/f/0b0b6c8e-3f4e-4d2a-9c1b-2a3b4c5d6e7f/manage?token=${'A'.repeat(43)}`],
      code: 3,
      stderr: /^blindvault: error: The server answered something that is not the Blindvault protocol\. \(HTTP 500\)\n$/,
    },
  ];
  test('every command and subcommand has its whole --help, the same as "help COMMAND" gives with every command loaded', async () => {
    const commandsIn = (help: string) =>
      [...(help.split(/\nCommands:\n/)[1]?.split(/\n\n/)[0] ?? '').matchAll(/^ {2}([a-z][a-z0-9-]*)/gm)].map((m) => m[1] as string).filter((name) => name !== 'help');
    const top = await runCli(['--help'], { env: home.env });
    assert.equal(top.code, 0);
    const names = commandsIn(top.stdout);
    // The file commands, and the vault and send commands, which are loaded only when they may be needed.
    for (const name of ['upload', 'download', 'info', 'delete', 'fernet', 'login', 'get', 'api-key', 'send', 'receive', 'revoke']) assert.ok(names.includes(name), `--help lists ${name}`);
    const paths: string[][] = names.map((name) => [name]);
    for (let i = 0; i < paths.length; i++) {
      const words = paths[i] as string[];
      const own = await runCli([...words, '--help'], { env: home.env });
      assert.equal(own.code, 0, `${words.join(' ')} --help: ${own.stderr}`);
      assert.match(own.stdout, new RegExp(`^Usage: blindvault ${words.join(' ')}\\b`), words.join(' '));
      assert.match(own.stdout, /-h, --help/, `${words.join(' ')} --help lists its options`);
      if (words.length === 1) {
        // "help X" loads every command (X is not looked at first): a command loaded alone must show the same.
        const viaHelp = await runCli(['help', ...words], { env: home.env });
        assert.equal(viaHelp.code, 0);
        assert.equal(own.stdout, viaHelp.stdout, `${words.join(' ')}: the same help either way`);
      }
      for (const sub of commandsIn(own.stdout)) paths.push([...words, sub]);
    }
    assert.ok(paths.some((words) => words.length === 2), 'subcommands (fernet encrypt, api-key …) are checked too');
  });

  test('upload and download load neither libsodium nor typebox nor the prompt library; a vault command loads libsodium and the prompt (control)', async () => {
    // A loader hook that writes every module URL the process loads to stderr.
    const hooks = path.join(home.dir, 'log-loads.mjs');
    const hook = path.join(home.dir, 'register-log-loads.mjs');
    await writeFile(hooks, 'export async function load(url, context, next) { process.stderr.write(`LOADED ${url}\\n`); return next(url, context); }\n');
    await writeFile(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const loaded = async (args: string[]) => {
      const result = await runCli(args, { env: home.env, command: [process.execPath, '--import', hook] });
      return { ...result, urls: result.stderr.split('\n').filter((line) => line.startsWith('LOADED ')) };
    };
    const closedUrl = `http://127.0.0.1:${await freePort()}`;
    const heavy = /libsodium|typebox|@inquirer/;
    const download = await loaded(['download', `${closedUrl}/f/0b0b6c8e-3f4e-4d2a-9c1b-2a3b4c5d6e7f#${'A'.repeat(43)}`, '--output', `${home.dir}/never`]);
    assert.equal(download.code, 3, download.stderr);
    const upload = await loaded(['upload', `${process.cwd()}/package.json`, '--server', closedUrl]);
    assert.equal(upload.code, 3, upload.stderr);
    for (const run of [download, upload]) {
      assert.ok(run.urls.some((line) => line.includes('/cli/program.js')) && run.urls.some((line) => line.includes('/node_modules/commander/')), 'the hook sees the CLI modules and packages');
      assert.deepEqual(run.urls.filter((line) => heavy.test(line)), []);
    }
    const vault = await loaded(['whoami']);
    assert.ok(vault.urls.some((line) => /libsodium/.test(line)) && vault.urls.some((line) => /@inquirer/.test(line)), 'a vault command loads libsodium and the prompt library');
  });

  test('output into a pipe whose reader is gone (`| head`): exit 141 as SIGPIPE would, no stack trace; a reader that stays gets it all (control)', async () => {
    const gone = startCli(['--help'], { env: home.env });
    gone.child.stdout?.destroy();
    const cut = await gone.done;
    assert.equal(cut.code, 141, cut.stderr);
    assert.equal(cut.stderr, '');
    const kept = await runCli(['--help'], { env: home.env });
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^Usage: blindvault/);
  });

  for (const row of rows) {
    test(`row: ${row.name}`, async () => {
      const closedUrl = `http://127.0.0.1:${await freePort()}`;
      const result = await runCli(row.args({ url, garbageUrl, closedUrl }), { env: home.env });
      assert.equal(result.code, row.code, `${result.stdout}${result.stderr}`);
      assert.match(result.stderr, row.stderr);
      assert.match(result.stdout, row.stdout ?? /^$/);
      assert.ok(result.stderr.split('\n').length <= 2 || row.code === 0 || row.name.startsWith('no arguments'), 'errors are one line');
    });
  }
});
