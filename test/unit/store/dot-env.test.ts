import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadDotEnv } from '../../../src/store/dot-env.js';
import { tempDir } from '../../helpers/stores.js';

test('.env fills what the environment leaves unset; the environment wins; no file is no error', async () => {
  const dir = await tempDir();
  try {
    const file = path.join(dir, '.env');
    await writeFile(file, '# settings\nPORT=9000\nPUBLIC_URL="https://files.example.org"\nLOG_LEVEL=debug\n');
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
    assert.equal(loadDotEnv(env, file), file);
    assert.deepEqual(env, { LOG_LEVEL: 'warn', PORT: '9000', PUBLIC_URL: 'https://files.example.org' });
    const untouched: NodeJS.ProcessEnv = { PORT: '1' };
    assert.equal(loadDotEnv(untouched, path.join(dir, 'missing.env')), undefined);
    assert.deepEqual(untouched, { PORT: '1' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
