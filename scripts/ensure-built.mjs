// Runs before `npm start`, `npm run admin` and `npm run keys`: builds dist/ from src/ only when dist/
// is missing or older than a source file, so a start does not recompile. Plain JavaScript with no
// dependency, so it runs in a production install (`npm ci --omit=dev`) that has no TypeScript: there
// a fresh dist/ (from the release tarball, or built before `npm prune --omit=dev`) is simply used.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stamp = path.join(root, 'dist', 'server', 'main.js');
const pageStamp = path.join(root, 'dist', 'web', 'manifest.json');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const sources = [path.join(root, 'src'), path.join(root, 'web')].filter((dir) => existsSync(dir));
// The server and the page are built together: the older of the two stamps says how fresh dist/ is.
const built = existsSync(stamp) && existsSync(pageStamp) ? Math.min(statSync(stamp).mtimeMs, statSync(pageStamp).mtimeMs) : 0;
const stale = sources.some((dir) => newestSource(dir) > built);
if (built > 0 && !stale) process.exit(0);

let tsc;
let tsx;
try {
  const require = createRequire(path.join(root, 'package.json'));
  // Each package's own `bin` entry, found through its package.json (exports may hide the bin path).
  const binOf = (name, command = name) => {
    const manifest = require.resolve(`${name}/package.json`);
    const { bin } = require(manifest);
    return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin[command]);
  };
  tsc = binOf('typescript', 'tsc');
  tsx = binOf('tsx');
} catch {
  if (built > 0) {
    process.stderr.write('blindvault: dist/ is older than src/ but TypeScript is not installed: running the dist/ there is\n');
    process.exit(0);
  }
  process.stderr.write('blindvault: dist/ is missing and TypeScript is not installed: build on a machine with the dev dependencies\n(npm ci && npm run build), or install from the release tarball, which carries dist/\n');
  process.exit(1);
}
const server = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (server.status !== 0) process.exit(server.status ?? 1);
const page = spawnSync(process.execPath, [tsx, path.join(root, 'web', 'build.ts')], { stdio: 'inherit', cwd: root });
process.exit(page.status ?? 1);
