// Builds the page into static assets: one bundle per page, the crypto worker and the download service
// worker, with content-hashed names and a manifest of their Subresource Integrity hashes. The server's
// web plugin (src/server/web/) reads the manifest to write the pages' <script integrity> tags.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WEB = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_WEB_OUT = path.resolve(WEB, '..', 'dist', 'web');

/** manifest.json: logical name → served path and SRI hash. */
export interface WebManifest {
  assets: Record<string, { path: string; integrity: string }>;
}

const HASHED = { upload: 'upload.ts', file: 'file.ts', manage: 'manage.ts', worker: 'worker.ts', style: 'style.css' } as const;

function integrity(bytes: Uint8Array): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

export async function buildWeb(outDir = DEFAULT_WEB_OUT): Promise<WebManifest> {
  await rm(outDir, { recursive: true, force: true });
  const assetsDir = path.join(outDir, 'assets');
  await mkdir(assetsDir, { recursive: true });
  const common = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', minify: true, legalComments: 'none', logLevel: 'warning', metafile: true } as const;
  const hashed = await build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(HASHED).map(([name, file]) => [name, path.join(WEB, file)])),
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    splitting: false,
  });
  const manifest: WebManifest = { assets: {} };
  for (const [output, meta] of Object.entries(hashed.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const name = path.basename(meta.entryPoint).replace(/\.(ts|css)$/, '');
    const bytes = await readFile(output);
    manifest.assets[name] = { path: `/assets/${path.basename(output)}`, integrity: integrity(bytes) };
  }
  // The service worker answers for the whole origin, so it lives at /sw.js under a fixed name (served no-cache).
  await build({ ...common, entryPoints: [path.join(WEB, 'sw.ts')], outfile: path.join(outDir, 'sw.js') });
  manifest.assets.sw = { path: '/sw.js', integrity: integrity(await readFile(path.join(outDir, 'sw.js'))) };
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_WEB_OUT;
  const manifest = await buildWeb(out);
  process.stdout.write(`web: ${Object.keys(manifest.assets).length} assets in ${path.relative(process.cwd(), out) || '.'}\n`);
}
