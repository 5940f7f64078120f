#!/usr/bin/env node
// The `blindvault` command (npm link, npx blindvault): runs the built CLI. `npm ci` builds it (the
// "prepare" script); in a checkout without dist/, run `npm run build` once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('blindvault: error: the CLI is not built yet: run "npm run build" in the blindvault folder\n');
  process.exit(1);
}
await import(main);
