import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

// The dependency rules of style.md, enforced over the source rather than left to goodwill.
const SRC = path.resolve('src');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

interface Import {
  file: string;
  specifier: string;
  /** For relative imports: the imported file's path under src/. */
  target?: string;
}

async function imports(root = SRC): Promise<Import[]> {
  const found: Import[] = [];
  for (const file of await sourceFiles(root)) {
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const specifier = (match[1] ?? match[2]) as string;
      const rel = path.relative(root, file);
      found.push({
        file: rel,
        specifier,
        ...(specifier.startsWith('.') ? { target: path.relative(root, path.resolve(path.dirname(file), specifier)) } : {}),
      });
    }
  }
  return found;
}

/**
 * Every import cycle among the files (type-only imports count: a loop of types is a loop of
 * meaning), each as the list of files around it, found by a depth-first search over the graph.
 */
function importCycles(all: Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const i of all) {
    if (!i.target) continue;
    const target = i.target.replace(/\.js$/, '.ts');
    edges.set(i.file, (edges.get(i.file) ?? new Set()).add(target));
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...edges.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

const layer = (rel: string) => rel.split(path.sep)[0] ?? '';
const CRYPTO_MODULES = new Set(['node:crypto', 'crypto', 'libsodium-wrappers', 'libsodium-wrappers-sumo', 'sodium-native', 'tweetnacl']);
const STORAGE_MODULES = new Set(['node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'better-sqlite3', 'pg', 'kysely']);
const ALLOWED_LAYERS: Record<string, string[]> = {
  crypto: ['crypto'],
  protocol: ['protocol', 'crypto'],
  store: ['store', 'crypto'],
  server: ['server', 'store', 'protocol', 'crypto'],
  client: ['client', 'protocol', 'crypto'],
  cli: ['cli', 'client', 'protocol', 'crypto'],
};

test('only src/crypto touches ciphers, hashes and the RNG', async () => {
  const offenders = (await imports()).filter((i) => CRYPTO_MODULES.has(i.specifier) && layer(i.file) !== 'crypto');
  assert.deepEqual(offenders, []);
});

// The CLI and the SDK's Node adapters read and write the user's own files (inputs, outputs, resume state).
const USER_FILE_CORNERS = [`cli${path.sep}`, `client${path.sep}node${path.sep}`];
const mayTouchUserFiles = (rel: string) => USER_FILE_CORNERS.some((corner) => rel.startsWith(corner));

test('only src/store touches files and SQL (and the CLI and the SDK Node adapters, user files only)', async () => {
  const offenders = (await imports()).filter(
    (i) => STORAGE_MODULES.has(i.specifier) && layer(i.file) !== 'store' && !(mayTouchUserFiles(i.file) && i.specifier.includes('fs')),
  );
  assert.deepEqual(offenders, []);
});

test('the portable SDK imports no Node built-in outside its node/ adapters', async () => {
  const offenders = (await imports()).filter(
    (i) => layer(i.file) === 'client' && !i.file.startsWith(`client${path.sep}node${path.sep}`) && (i.specifier.startsWith('node:') || i.target?.startsWith(`client${path.sep}node`)),
  );
  assert.deepEqual(offenders, []);
});

// crypto/ throws BlindvaultErrors from the one catalogue, a leaf module that imports nothing.
const CATALOGUE = path.join('protocol', 'errors.ts');

test('dependencies point one way: server → store, protocol, crypto; nothing imports server', async () => {
  const offenders = (await imports()).filter((i) => {
    if (!i.target) return false;
    if (layer(i.file) === 'crypto' && i.target.replace(/\.js$/, '.ts') === CATALOGUE) return false;
    const allowed = ALLOWED_LAYERS[layer(i.file)];
    return !allowed || !allowed.includes(layer(i.target));
  });
  assert.deepEqual(offenders, []);
});

test('the rule itself sees imports (control)', async () => {
  const all = await imports();
  assert.deepEqual(all.filter((i) => i.file === CATALOGUE), [], 'the catalogue is a leaf: crypto/ importing it makes no loop');
  assert.ok(all.some((i) => layer(i.file) === 'crypto' && i.target?.replace(/\.js$/, '.ts') === CATALOGUE), 'crypto throws catalogue errors');
  assert.ok(all.some((i) => i.file.startsWith('crypto') && i.specifier === 'node:crypto'));
  assert.ok(all.some((i) => i.file.startsWith('server') && i.target?.startsWith('store')));
});

// The portable core (style.md "The shared core is portable"): crypto/ outside crypto/node/, protocol/ and client/
// outside client/node/ run in browsers, so they import no Node built-in and never name Buffer.
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const isPortable = (rel: string) =>
  (rel.startsWith(`crypto${path.sep}`) && !rel.startsWith(`crypto${path.sep}node${path.sep}`)) ||
  rel.startsWith(`protocol${path.sep}`) ||
  (rel.startsWith(`client${path.sep}`) && !rel.startsWith(`client${path.sep}node${path.sep}`));
const NODE_ONLY_PACKAGES = new Set(['sodium-native', 'better-sqlite3', 'pg']);

/** Source text without comments, so a comment that mentions Buffer is not an offence. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function portabilityOffences(rel: string, text: string, found: Import[]): string[] {
  const offences = found.filter((i) => NODE_BUILTINS.has(i.specifier) || NODE_ONLY_PACKAGES.has(i.specifier)).map((i) => `${rel}: imports ${i.specifier}`);
  if (/\bBuffer\b/.test(code(text))) offences.push(`${rel}: uses Buffer`);
  if (/\bprocess\.(?:env|argv|exit|stdout|stderr)\b/.test(code(text))) offences.push(`${rel}: uses process`);
  return offences;
}

test('crypto/, protocol/ and client/ are portable: no Node built-in, no Node-only package, no Buffer', async () => {
  const all = await imports();
  const offences: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const rel = path.relative(SRC, file);
    if (!isPortable(rel)) continue;
    offences.push(...portabilityOffences(rel, await readFile(file, 'utf8'), all.filter((i) => i.file === rel)));
  }
  assert.deepEqual(offences, []);
});

test('the Node-only corner crypto/node/ is imported by neither client/ nor protocol/ nor the portable crypto', async () => {
  const offenders = (await imports()).filter(
    (i) => i.target?.startsWith(`crypto${path.sep}node${path.sep}`) && (isPortable(i.file) || layer(i.file) === 'client'),
  );
  assert.deepEqual(offenders, []);
});

test('the portability rules see what they forbid (controls)', async () => {
  const sample = "import { createHash } from 'node:crypto';\nimport fs from 'fs';\nconst b = Buffer.from('x'); // Buffer in a comment is fine\n";
  const sampleImports: Import[] = [
    { file: 'crypto/x.ts', specifier: 'node:crypto' },
    { file: 'crypto/x.ts', specifier: 'fs' },
  ];
  assert.deepEqual(portabilityOffences('crypto/x.ts', sample, sampleImports), ['crypto/x.ts: imports node:crypto', 'crypto/x.ts: imports fs', 'crypto/x.ts: uses Buffer']);
  assert.deepEqual(portabilityOffences('crypto/y.ts', '// Buffer is not used here\n/* nor Buffer */\n', []), []);
  assert.ok(isPortable(path.join('crypto', 'aead.ts')) && !isPortable(path.join('crypto', 'node', 'node-backend.ts')));
  assert.ok(isPortable(path.join('client', 'files.ts')) && !isPortable(path.join('server', 'app.ts')));
  // The real tree has a Node-only module that the server imports: the rule is looking at real edges.
  const all = await imports();
  assert.ok(all.some((i) => i.file.startsWith('server') && i.target?.startsWith(`crypto${path.sep}node${path.sep}`)));
  assert.ok(all.some((i) => i.file.startsWith(`crypto${path.sep}node`) && NODE_ONLY_PACKAGES.has(i.specifier)));
});

test('no import cycle anywhere under src/', async () => {
  assert.deepEqual(importCycles(await imports()), []);
});

test('the cycle rule sees a cycle, type-only imports included (control)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bv-cycle-'));
  try {
    await writeFile(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    await writeFile(path.join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b: C = 1;\n");
    await writeFile(path.join(dir, 'c.ts'), "import type { a } from './a.js';\nexport type C = typeof a;\n");
    await writeFile(path.join(dir, 'd.ts'), "import { a } from './a.js';\nexport const d = a;\n");
    assert.deepEqual(importCycles(await imports(dir)), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    await writeFile(path.join(dir, 'c.ts'), 'export type C = number;\n');
    assert.deepEqual(importCycles(await imports(dir)), [], 'and none once the loop is broken');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
