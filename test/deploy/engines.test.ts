// package.json's `engines` may only promise Node versions that every installed package accepts, and
// CI (this machine) must run the lowest of them: otherwise the promise is untested.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
}

const root = path.resolve('.');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const stated = manifest.engines?.node ?? '';

/** Every package folder under a node_modules folder, scoped and nested ones included. */
function installedPackages(modules: string): string[] {
  const found: string[] = [];
  let entries;
  try {
    entries = readdirSync(modules, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    const full = path.join(modules, entry.name);
    const folders = entry.name.startsWith('@') ? readdirSync(full).map((name) => path.join(full, name)) : [full];
    for (const folder of folders) {
      found.push(folder);
      found.push(...installedPackages(path.join(folder, 'node_modules')));
    }
  }
  return found;
}

function readManifest(folder: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined; // a folder without a manifest (a package's own data) is no package
  }
}

test('engines.node is a valid range with a lower bound', () => {
  assert.ok(semver.validRange(stated), `engines.node ${JSON.stringify(stated)} parses`);
  assert.ok(semver.minVersion(stated), 'it has a lowest version');
});

test('every installed package accepts every Node version engines.node admits', () => {
  const refusing: string[] = [];
  let checked = 0;
  for (const folder of installedPackages(path.join(root, 'node_modules'))) {
    const dependency = readManifest(folder);
    const wanted = dependency?.engines?.node;
    if (!dependency?.name || typeof wanted !== 'string') continue;
    checked += 1;
    // subset(): each version in our range is in theirs. An unparsable range counts as a refusal.
    const accepted = semver.validRange(wanted) !== null && semver.subset(stated, wanted);
    if (!accepted) refusing.push(`${dependency.name}@${dependency.version ?? '?'} (${path.relative(root, folder)}) wants node ${wanted}`);
  }
  assert.ok(checked > 50, `the installed tree was read (${checked} packages state engines.node)`);
  assert.deepEqual(refusing, [], `engines.node ${stated} admits versions these refuse`);
});

test('the check refuses a range that a known dependency does not accept (control)', () => {
  // better-sqlite3 states its Node majors; a range open above them, or one reaching down to Node 18, is refused.
  const sqlite = readManifest(path.join(root, 'node_modules', 'better-sqlite3'))?.engines?.node;
  assert.ok(sqlite, 'better-sqlite3 states engines.node');
  assert.equal(semver.subset('>=20.20.0', sqlite), false);
  assert.equal(semver.subset('>=18', stated), false);
  assert.equal(semver.subset(stated, sqlite), true);
});

test('the running Node is in engines.node and is its lowest minor (CI runs what is promised)', () => {
  const lowest = semver.minVersion(stated);
  assert.ok(lowest);
  assert.ok(semver.satisfies(process.version, stated), `${process.version} satisfies ${stated}`);
  assert.equal(`${semver.major(process.version)}.${semver.minor(process.version)}`, `${lowest.major}.${lowest.minor}`, `${process.version} is the lowest stated (${lowest.version}) up to its patch`);
});

test('package-lock.json records the same engines as package.json (the lock is current)', () => {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, Manifest> };
  assert.equal(lock.packages?.['']?.engines?.node, stated);
});
