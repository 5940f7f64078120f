import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { resolveRange } from '../../../src/protocol/byte-range.js';
import { formatE2eBytes, parseE2eBytes, parseWholeNumber } from '../../../src/protocol/files.js';

test('e2e salt and IV: decimal lists and base64 give the same bytes; the header form parses back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (salt) => {
      const fromList = parseE2eBytes(Array.from(salt).join(','), 16);
      const fromB64 = parseE2eBytes(Buffer.from(salt).toString('base64'), 16);
      assert.deepEqual(fromList, salt);
      assert.deepEqual(fromB64, salt);
      // what the seed's client does with X-E2E-Salt
      assert.deepEqual(Uint8Array.from(formatE2eBytes(salt).split(',').map(Number)), salt);
      assert.equal(parseE2eBytes(Array.from(salt).join(','), 12), undefined, 'length is checked');
    }),
  );
});

test('whole numbers: plain decimal only', () => {
  assert.equal(parseWholeNumber('0'), 0);
  assert.equal(parseWholeNumber('86400'), 86400);
  for (const bad of ['', '-1', '+1', '1.5', '1e3', '01', ' 1', '0x10', '9999999999999999']) assert.equal(parseWholeNumber(bad), undefined, bad);
});

test('ranges: one range served, others fall back to the whole resource', () => {
  const etag = '"v1-x"';
  assert.deepEqual(resolveRange(undefined, 100, undefined, etag), { kind: 'full' });
  assert.deepEqual(resolveRange('bytes=0-9', 100, undefined, etag), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(resolveRange('bytes=90-', 100, undefined, etag), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(resolveRange('bytes=-5', 100, undefined, etag), { kind: 'partial', start: 95, end: 99 });
  assert.deepEqual(resolveRange('bytes=90-500', 100, undefined, etag), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(resolveRange('bytes=100-', 100, undefined, etag), { kind: 'unsatisfiable' });
  assert.deepEqual(resolveRange('bytes=0-1,5-6', 100, undefined, etag), { kind: 'full' });
  assert.deepEqual(resolveRange('items=0-1', 100, undefined, etag), { kind: 'full' });
  assert.deepEqual(resolveRange('garbage', 100, undefined, etag), { kind: 'full' });
  assert.deepEqual(resolveRange('bytes=0-9', 100, '"other"', etag), { kind: 'full' });
  assert.deepEqual(resolveRange('bytes=0-9', 100, etag, etag), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(resolveRange('bytes=0-9', 0, undefined, etag), { kind: 'full' });
});
