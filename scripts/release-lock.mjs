// `npm pack` leaves package-lock.json out of a tarball, always; npm-shrinkwrap.json goes in. So prepack
// copies the lock to npm-shrinkwrap.json (for the release tarball only) and postpack removes it again:
// `npm ci --omit=dev` in the unpacked tarball then installs exactly the versions CI tested.
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shrinkwrap = path.join(root, 'npm-shrinkwrap.json');
const action = process.argv[2];
if (action === 'add') copyFileSync(path.join(root, 'package-lock.json'), shrinkwrap);
else if (action === 'remove') rmSync(shrinkwrap, { force: true });
else {
  process.stderr.write('usage: node scripts/release-lock.mjs add|remove\n');
  process.exit(2);
}
