// The browser page's built assets (web/build.ts → dist/web): the manifest of hashed names and SRI hashes, and
// the bytes of each asset, read once at start (they are small and immutable while the server runs).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface WebAsset {
  path: string;
  integrity: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface WebAssets {
  /** By logical name: upload, file, manage, worker, style, sw. */
  byName: ReadonlyMap<string, WebAsset>;
  /** By served path (/assets/upload-XXXX.js, /sw.js). */
  byPath: ReadonlyMap<string, WebAsset>;
}

const REQUIRED = ['upload', 'file', 'manage', 'worker', 'style', 'sw'];

/** The built page, or undefined when dist/web holds no complete build (the server then serves no page). */
export async function loadWebAssets(dir: string): Promise<WebAssets | undefined> {
  let manifest: { assets?: Record<string, { path?: unknown; integrity?: unknown }> };
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  const byName = new Map<string, WebAsset>();
  const byPath = new Map<string, WebAsset>();
  for (const name of REQUIRED) {
    const entry = manifest.assets?.[name];
    if (typeof entry?.path !== 'string' || typeof entry.integrity !== 'string' || !/^\/(assets\/)?[\w.-]+$/.test(entry.path)) return undefined;
    const bytes = new Uint8Array(await readFile(path.join(dir, entry.path.slice(1))));
    const asset = { path: entry.path, integrity: entry.integrity, contentType: entry.path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', bytes };
    byName.set(name, asset);
    byPath.set(entry.path, asset);
  }
  return { byName, byPath };
}
