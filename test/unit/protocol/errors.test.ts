import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../../../src/protocol/errors.js';

test('every catalogue code is documented in docs/errors.md with its status', async () => {
  const doc = await readFile('docs/errors.md', 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} (${status}) is missing from docs/errors.md`);
  }
});

test('codes are SCREAMING_SNAKE and statuses are errors', () => {
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(code, /^[A-Z][A-Z0-9_]*$/);
    assert.ok(status >= 400 && status < 600);
  }
});
