// docs/deploy.md's release install, done for real: `npm pack` (its prepack builds dist/ and puts the
// lock in as npm-shrinkwrap.json), the tarball unpacked into an empty folder, `npm ci --omit=dev`
// there (offline, from npm's cache), then `npm start`: the server answers with no TypeScript, tsx
// or esbuild installed, and the start compiles nothing.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/server-process.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
// (@types/node stays: @inquirer's packages depend on it at run time; a type package compiles nothing.)
const TOOLCHAIN = ['typescript', 'tsx', 'esbuild', '@esbuild', '@typescript'];

/** The environment without what an outer `npm test` set (npm_config_omit and the like leak into npm). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('npm_')) env[name] = value;
  return { ...env, ...extra };
}

/** Every folder name anywhere under node_modules, scoped names as "@scope". */
function packageNames(modules: string, found = new Set<string>()): Set<string> {
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    found.add(entry.name);
    const full = path.join(modules, entry.name);
    const folders = entry.name.startsWith('@') ? readdirSync(full).map((name) => path.join(full, name)) : [full];
    for (const folder of folders) {
      if (entry.name.startsWith('@')) found.add(`${entry.name}/${path.basename(folder)}`);
      packageNames(path.join(folder, 'node_modules'), found);
    }
  }
  return found;
}

/**
 * better-sqlite3's install script fetches a prebuilt binary from GitHub or else compiles SQLite
 * (over a minute of CPU). The test hands prebuild-install the binary this checkout already built,
 * through its local-prebuilds setting (a .prebuild-installrc above the install folder, which
 * prebuild-install looks for upwards), in the file name it would download: everything else of the
 * install is what an operator runs.
 */
async function localSqlitePrebuild(work: string): Promise<void> {
  const sqlite = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(work, 'prebuilds');
  await mkdir(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['czf', path.join(dir, name), '-C', sqlite, 'build/Release/better_sqlite3.node']);
  await writeFile(path.join(work, '.prebuild-installrc'), `local-prebuilds=${dir}\n`);
}

async function waitFor(url: string, deadlineMs: number, exited: () => string | undefined): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`the server exited: ${gone}`);
    try {
      return await fetch(url);
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a release tarball installs with --omit=dev and serves without the TypeScript toolchain', { timeout: 420_000 }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'blindvault-release-'));
  let server: ReturnType<typeof spawn> | undefined;
  try {
    // npm pack: prepack builds dist/ and adds npm-shrinkwrap.json; postpack removes it from the checkout.
    await run('npm', ['pack', '--pack-destination', work, '--no-fund', '--no-audit'], { cwd: ROOT, env: cleanEnv(), timeout: 180_000, maxBuffer: 16 << 20 });
    assert.equal(existsSync(path.join(ROOT, 'npm-shrinkwrap.json')), false, 'postpack removed the shrinkwrap from the checkout');
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    const { stdout: listing } = await run('tar', ['tzf', path.join(work, tarball)], { maxBuffer: 16 << 20 });
    const files = new Set(listing.split('\n').filter(Boolean));
    for (const file of ['package/dist/server/main.js', 'package/dist/cli/main.js', 'package/dist/web/manifest.json', 'package/npm-shrinkwrap.json', 'package/scripts/ensure-built.mjs', 'package/bin/blindvault.js']) {
      assert.ok(files.has(file), `the tarball has ${file}`);
    }
    assert.ok(![...files].some((file) => /^package\/(src|test|web|bench)\//.test(file)), 'no sources or tests in the tarball');
    const shrinkwrap = JSON.parse((await run('tar', ['xzOf', path.join(work, tarball), 'package/npm-shrinkwrap.json'], { maxBuffer: 16 << 20 })).stdout) as unknown;
    assert.deepEqual(shrinkwrap, JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')), 'the shrinkwrap is the lock CI installs');

    const app = path.join(work, 'app');
    await mkdir(app);
    await run('tar', ['xzf', path.join(work, tarball), '-C', app, '--strip-components=1']);
    await localSqlitePrebuild(work);
    await run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
      cwd: app,
      env: cleanEnv(),
      timeout: 300_000,
      maxBuffer: 16 << 20,
    });
    const installed = packageNames(path.join(app, 'node_modules'));
    assert.ok(installed.has('fastify') && installed.has('better-sqlite3'), 'the runtime dependencies are installed');
    assert.deepEqual(TOOLCHAIN.filter((name) => installed.has(name)), [], 'no build tool is installed');
    assert.equal(existsSync(path.join(app, 'node_modules', '.bin', 'tsc')), false);

    const mainJs = path.join(app, 'dist', 'server', 'main.js');
    const builtAt = statSync(mainJs).mtimeMs;
    const port = await freePort();
    // detached: the npm process leads a process group of its own, so the finally below can end it and its node child.
    server = spawn('npm', ['start'], {
      cwd: app,
      env: cleanEnv({ HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const child = server;
    const exited = () => (child.exitCode !== null ? `code ${child.exitCode}: ${output}` : undefined);
    const url = `http://127.0.0.1:${port}`;
    const live = await waitFor(`${url}/livez`, 60_000, exited);
    assert.equal(live.status, 200, output);
    assert.deepEqual(await live.json(), { status: 'ok' });
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.equal((await fetch(`${url}/`)).status, 200, 'the page, built into the tarball, is served');
    assert.equal(statSync(mainJs).mtimeMs, builtAt, 'the start compiled nothing');
    assert.doesNotMatch(output, /TypeScript is not installed|tsc/, output);

    // SIGTERM to the process group, as systemd sends it: npm itself dies of it at once (it does not
    // wait for its child), the server drains and exits; then nothing listens on the port any more.
    const npmGone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-(child.pid as number), 'SIGTERM');
    await npmGone;
    const deadline = Date.now() + 20_000;
    let listening = true;
    while (listening && Date.now() < deadline) {
      listening = await fetch(`${url}/livez`).then(() => true, () => false);
      if (listening) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(listening, false, `the server stopped on SIGTERM: ${output}`);
    assert.doesNotMatch(output, /error|Error/, output);

    // The CLI and the admin command run from the same install.
    const help = await run(process.execPath, [path.join(app, 'bin', 'blindvault.js'), '--help'], { cwd: app, env: cleanEnv() });
    assert.match(help.stdout, /^Usage: blindvault/m);
    const check = await run('npm', ['run', '--silent', 'admin', '--', '--check'], { cwd: app, env: cleanEnv({ DATA_DIR: path.join(work, 'data') }), timeout: 60_000 });
    assert.match(check.stdout, /migrations: all applied/);
  } finally {
    if (server && server.exitCode === null && server.pid !== undefined) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(work, { recursive: true, force: true });
  }
});
