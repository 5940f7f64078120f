// The SDK runs in browsers: esbuild bundles every module of src/client (but client/node/, the Node adapters) and the
// portable crypto/ and protocol/ for the browser platform, and the bundle may contain no Node built-in.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';

const SRC = path.resolve('src');
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

async function modules(dir: string, skip: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(full)) out.push(...(await modules(full, skip)));
    } else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Bundles the entry points for browsers; answers the Node built-ins the bundle would need (build errors included). */
async function nodeBuiltinsIn(entryPoints: string[]): Promise<string[]> {
  try {
    const result = await build({ entryPoints, bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, metafile: true, outdir: 'out', logLevel: 'silent' });
    // A package's own "browser" field may switch a built-in off ("(disabled):crypto"): nothing of Node is bundled then.
    return Object.keys(result.metafile.inputs).filter((input) => BUILTINS.has(input));
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors ?? [];
    if (errors.length === 0) throw error;
    return errors.map((e) => e.text);
  }
}

test('src/client, the portable crypto/ and protocol/ bundle for the browser with no Node built-in', async () => {
  const entries = [
    ...(await modules(path.join(SRC, 'client'), [path.join(SRC, 'client', 'node')])),
    ...(await modules(path.join(SRC, 'crypto'), [path.join(SRC, 'crypto', 'node')])),
    ...(await modules(path.join(SRC, 'protocol'), [])),
  ];
  assert.ok(entries.some((e) => e.endsWith(path.join('client', 'vault-session.ts'))), 'the SDK is part of the bundle');
  assert.deepEqual(await nodeBuiltinsIn(entries), []);
});

test('control: a module that imports a Node built-in, directly or through crypto/node/, is caught', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bv-bundle-'));
  try {
    const direct = path.join(dir, 'direct.ts');
    await writeFile(direct, "import { readFile } from 'node:fs/promises';\nexport const read = readFile;\n");
    assert.notDeepEqual(await nodeBuiltinsIn([direct]), []);
    const indirect = path.join(dir, 'indirect.ts');
    await writeFile(indirect, `export { nodeCryptoBackend } from ${JSON.stringify(path.join(SRC, 'crypto', 'node', 'node-backend.ts'))};\n`);
    assert.notDeepEqual(await nodeBuiltinsIn([indirect]), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
