// scripts/ensure-built.mjs (run before `npm start`, `npm run admin`, `npm run keys`) in a copy of the
// checkout: it builds when dist/ is missing or older than the sources, does nothing when dist/ is
// fresh (a start compiles nothing), and without TypeScript runs an old dist/ or says what to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve('.');

function ensureBuilt(root: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-built.mjs')], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('ensure-built: builds a missing dist/, leaves a fresh one alone, rebuilds a stale one; without TypeScript it does not build', { timeout: 400_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'blindvault-ensure-built-'));
  try {
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src', 'web']) {
      await cp(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
    }
    const modules = path.join(root, 'node_modules');
    await symlink(path.join(ROOT, 'node_modules'), modules);
    const mainJs = path.join(root, 'dist', 'server', 'main.js');
    const source = path.join(root, 'src', 'server', 'main.ts');
    const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

    const first = ensureBuilt(root);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(existsSync(mainJs) && existsSync(path.join(root, 'dist', 'web', 'manifest.json')), 'dist/ was built, server and page');

    const builtAt = statSync(mainJs).mtimeMs;
    const fresh = ensureBuilt(root);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.equal(statSync(mainJs).mtimeMs, builtAt, 'a fresh dist/ is not rebuilt');
    assert.equal(fresh.stdout + fresh.stderr, '', 'and nothing is said');

    // Control: a source newer than dist/ is rebuilt.
    await utimes(source, later(5), later(5));
    const stale = ensureBuilt(root);
    assert.equal(stale.status, 0, stale.stderr);
    assert.ok(statSync(mainJs).mtimeMs > builtAt, 'a stale dist/ is rebuilt');

    // Without the dev dependencies: a stale dist/ runs as it is, a missing one stops the start.
    await rm(modules);
    const rebuiltAt = statSync(mainJs).mtimeMs;
    await utimes(source, later(60), later(60));
    const noCompiler = ensureBuilt(root);
    assert.equal(noCompiler.status, 0);
    assert.match(noCompiler.stderr, /dist\/ is older than src\/ but TypeScript is not installed/);
    assert.equal(statSync(mainJs).mtimeMs, rebuiltAt);
    await rm(path.join(root, 'dist'), { recursive: true });
    const missing = ensureBuilt(root);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /dist\/ is missing and TypeScript is not installed/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
