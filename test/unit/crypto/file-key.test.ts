import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import fc from 'fast-check';
import { createFileKey, decodeLinkKey, encodeLinkKey } from '../../../src/crypto/file-key.js';
import { Secret } from '../../../src/crypto/secret.js';

test('file keys are 32 random bytes, spelled as 43 base64url characters, and round-trip', () => {
  const a = createFileKey();
  const b = createFileKey();
  assert.equal(a.reveal().length, 32);
  assert.notDeepEqual(a.reveal(), b.reveal());
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const text = encodeLinkKey(bytes);
      assert.match(text, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(decodeLinkKey(text).reveal(), bytes);
      assert.deepEqual(decodeLinkKey(`#${text}`).reveal(), bytes);
    }),
  );
});

test('a link fragment in any other spelling is INVALID_FILE_KEY', () => {
  const good = encodeLinkKey(createFileKey());
  const last = good.at(-1) as string;
  // The 43rd character carries 2 padding bits: a different one with the same 6-bit prefix is non-canonical.
  const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : undefined;
  for (const bad of [good.slice(0, 42), `${good}A`, `${good}=`, good.replace(/.$/, '+'), '', '#', ...(sibling ? [good.slice(0, 42) + sibling] : [])]) {
    assert.throws(() => decodeLinkKey(bad), { code: 'INVALID_FILE_KEY' }, JSON.stringify(bad));
  }
  assert.throws(() => encodeLinkKey(new Uint8Array(16)), { code: 'INVALID_FILE_KEY' });
  assert.equal(decodeLinkKey(good).reveal().length, 32, 'control');
});

test('a file key never prints: JSON, inspect, String and templates say [redacted]', () => {
  const key = createFileKey();
  assert.equal(JSON.stringify({ key }), '{"key":"[redacted]"}');
  assert.equal(inspect(key), 'Secret([redacted])');
  assert.equal(`${key}`, '[redacted]');
  assert.ok(key instanceof Secret);
});
