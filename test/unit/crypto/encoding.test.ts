import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  fromBase64,
  fromBase64Url,
  fromDecimalByteList,
  fromHex,
  toBase64,
  toBase64Url,
  toDecimalByteList,
  toHex,
} from '../../../src/crypto/encoding.js';

const codecs = [
  ['base64', toBase64, fromBase64],
  ['base64url', toBase64Url, fromBase64Url],
  ['hex', toHex, fromHex],
  ['decimal byte list', toDecimalByteList, fromDecimalByteList],
] as const;

describe('byte encodings', () => {
  for (const [name, encode, decode] of codecs) {
    test(`${name}: any bytes round-trip`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: name === 'decimal byte list' ? 1 : 0, maxLength: 200 }), (bytes) => {
          assert.deepEqual(decode(encode(bytes)), bytes);
        }),
      );
    });

    test(`${name}: parsing is canonical (whatever parses re-encodes to the same text)`, () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 60, unit: fc.constantFrom(...'0123456789abcdefABCDEF+/=-_, '.split('')) }), (text) => {
          const bytes = decode(text);
          if (bytes !== undefined) assert.equal(encode(bytes), text);
        }),
        { numRuns: 3000 },
      );
    });
  }

  test('decimal byte lists refuse what the seed never sends', () => {
    for (const bad of ['', ',', '1,', ',1', '256', '1,2,300', '01', '1, 2', ' 1', '-1', '1.0', '0x1', '1;2']) {
      assert.equal(fromDecimalByteList(bad), undefined, JSON.stringify(bad));
    }
    assert.deepEqual(fromDecimalByteList('0,255,10'), Uint8Array.from([0, 255, 10]));
  });

  test('base64 refuses other spellings of the same bytes', () => {
    assert.deepEqual(fromBase64('AAE='), Uint8Array.from([0, 1]));
    for (const bad of ['AAE', 'AAF=', 'AA E=', 'AAE==', 'A', '====', 'AAE=\n']) assert.equal(fromBase64(bad), undefined, JSON.stringify(bad));
    assert.equal(fromHex('0A'), undefined, 'hex is lower case');
    assert.equal(fromHex('abc'), undefined, 'hex has even length');
  });

  test('RFC 4648 §10 test vectors, and base64url over every byte value (checked against Node\'s Buffer, test-only)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
    for (const [plain, encoded] of vectors) {
      const bytes = new TextEncoder().encode(plain);
      assert.equal(toBase64(bytes), encoded);
      assert.deepEqual(fromBase64(encoded), bytes);
      assert.equal(toBase64Url(bytes), encoded.replace(/=+$/, ''));
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal(toBase64(all), Buffer.from(all).toString('base64'));
    assert.equal(toBase64Url(all), Buffer.from(all).toString('base64url'));
    assert.equal(toHex(all), Buffer.from(all).toString('hex'));
    assert.deepEqual(fromHex(Buffer.from(all).toString('hex')), all);
  });
});
