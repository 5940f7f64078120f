// A `.env` file in the working directory is read by the server, `npm run admin` and `npm run keys`;
// a variable set in the real environment wins over the file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadDotEnv } from '../../src/store/dot-env.js';
import { freePort } from '../helpers/server-process.js';

const ROOT = path.resolve('.');
// Absolute, so the process can run in a folder of its own (whose .env it reads) with the sources here.
const TSX = import.meta.resolve('tsx');

/** The test's environment without the server's settings (so only the .env and `extra` give them). */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'BLOB_STORE', 'LOG_LEVEL', 'FILE_MAX_DOWNLOADS']) delete env[name];
  return { ...env, ...extra };
}

interface Run {
  child: ReturnType<typeof spawn>;
  output: () => string;
  exited: Promise<number | null>;
}

function start(script: string, cwd: string, env: NodeJS.ProcessEnv, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, script), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

test('loadDotEnv: sets what the environment lacks, keeps what it has, and no file is no change', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-dotenv-'));
  try {
    const file = path.join(dir, '.env');
    await writeFile(file, '# a comment\nPORT=9001\nDATA_DIR="/srv/with space"\nHOST=0.0.0.0\nexport_me=1\n');
    const env: NodeJS.ProcessEnv = { HOST: '127.0.0.1' };
    assert.equal(loadDotEnv(env, file), file);
    assert.deepEqual(env, { HOST: '127.0.0.1', PORT: '9001', DATA_DIR: '/srv/with space', export_me: '1' });
    const untouched: NodeJS.ProcessEnv = { PORT: '1' };
    assert.equal(loadDotEnv(untouched, path.join(dir, 'missing.env')), undefined);
    assert.deepEqual(untouched, { PORT: '1' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the server reads .env from its working directory; the environment wins over it', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-dotenv-'));
  const runs: Run[] = [];
  try {
    const port = await freePort();
    const fromFile = path.join(dir, 'data-from-file');
    const fromEnv = path.join(dir, 'data-from-env');
    // A bad FILE_MAX_DOWNLOADS in the file: the start fails on it unless the environment overrides it.
    await writeFile(path.join(dir, '.env'), `# settings\nPORT=${port}\nHOST=127.0.0.1\nDATA_DIR=${fromFile}\nLOG_LEVEL=warn\nFILE_MAX_DOWNLOADS=lots\n`);

    const refused = start('src/server/main.ts', dir, environment({}));
    runs.push(refused);
    assert.equal(await refused.exited, 2, refused.output());
    assert.match(refused.output(), /invalid FILE_MAX_DOWNLOADS/, 'the file was read');

    const server = start('src/server/main.ts', dir, environment({ DATA_DIR: fromEnv, FILE_MAX_DOWNLOADS: '5' }));
    runs.push(server);
    const deadline = Date.now() + 120_000;
    let live: Response | undefined;
    while (!live) {
      if (server.child.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
      live = await fetch(`http://127.0.0.1:${port}/livez`).catch(() => undefined);
      if (!live) {
        assert.ok(Date.now() < deadline, `the server listens on the .env's PORT: ${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.equal(live.status, 200);
    assert.ok(existsSync(path.join(fromEnv, 'blindvault.sqlite')), "the environment's DATA_DIR is used");
    assert.equal(existsSync(fromFile), false, "the file's DATA_DIR is not");
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());

    // npm run keys and npm run admin read the same file: keys of the .env's data folder.
    await writeFile(path.join(dir, '.env'), `DATA_DIR=${fromFile}\nLOG_LEVEL=warn\n`);
    const keys = start('src/server/keys-command.ts', dir, environment({}));
    runs.push(keys);
    assert.equal(await keys.exited, 0, keys.output());
    assert.match(keys.output(), /^server_public_key\s+[0-9a-f]{64}$/m);
    assert.ok(existsSync(path.join(fromFile, 'blindvault.sqlite')), "keys used the .env's DATA_DIR");
    const check = start('src/server/admin/main.ts', dir, environment({}), ['--check']);
    runs.push(check);
    assert.equal(await check.exited, 0, check.output());
    assert.match(check.output(), /migrations: all applied/);
  } finally {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
