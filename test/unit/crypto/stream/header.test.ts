// The v2 header codec: canonical round trip, bounds before derivation, and the size rule a server can check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../../../../src/crypto/encoding.js';
import {
  ARGON2ID_CEILING,
  ARGON2ID_FLOOR,
  HEADER_MAC_BYTES,
  RECORD_SIZES,
  encodeHeaderFields,
  headerLengthOf,
  parseV2Header,
  v2CiphertextSize,
  v2PlaintextSize,
  type V2HeaderFields,
} from '../../../../src/crypto/stream/header.js';
import { BlindvaultError } from '../../../../src/protocol/errors.js';

const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const fieldsArb: fc.Arbitrary<V2HeaderFields> = fc.oneof(
  fc.record({ keyMode: fc.constant('key' as const), recordSize: fc.constantFrom(...RECORD_SIZES), streamNonce: bytes16 }),
  fc.record({
    keyMode: fc.constant('passphrase' as const),
    recordSize: fc.constantFrom(...RECORD_SIZES),
    streamNonce: bytes16,
    kdf: fc.record({
      id: fc.constant('argon2id' as const),
      opsLimit: fc.integer({ min: ARGON2ID_FLOOR.opsLimit, max: ARGON2ID_CEILING.opsLimit }),
      memLimitKiB: fc.integer({ min: ARGON2ID_FLOOR.memLimitKiB, max: ARGON2ID_CEILING.memLimitKiB }),
      salt: bytes16,
    }),
  }),
);

test('every header round-trips: parse(encode(fields)) gives the fields and the same bytes', () => {
  fc.assert(
    fc.property(fieldsArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 20 }), (fields, mac, trailing) => {
      const header = concatBytes(encodeHeaderFields(fields), mac);
      assert.equal(header.length, headerLengthOf(fields.keyMode));
      const parsed = parseV2Header(concatBytes(header, trailing));
      // fast-check builds records without a prototype; compare plain copies.
      const plain = fields.keyMode === 'key' ? { ...fields } : { ...fields, kdf: { ...fields.kdf } };
      assert.deepEqual(parsed.fields, plain);
      assert.deepEqual(parsed.bytes, header);
      assert.deepEqual(parsed.mac, mac);
      assert.deepEqual(concatBytes(encodeHeaderFields(parsed.fields), parsed.mac), header);
    }),
  );
});

test('any byte string either is refused as BAD_HEADER or re-encodes to its own header bytes', () => {
  const prefixes = [Uint8Array.of(0x42, 0x56, 0x46, 0x49, 0x4c, 0x45, 2), new Uint8Array()];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 100 }), (prefix, rest) => {
      const input = concatBytes(prefix, rest);
      let parsed;
      try {
        parsed = parseV2Header(input);
      } catch (error) {
        assert.ok(error instanceof BlindvaultError && error.code === 'BAD_HEADER', String(error));
        return;
      }
      assert.deepEqual(concatBytes(encodeHeaderFields(parsed.fields), parsed.mac), input.subarray(0, parsed.bytes.length));
      assert.equal(parsed.mac.length, HEADER_MAC_BYTES);
    }),
    { numRuns: 2000 },
  );
});

test('the size rule: ciphertext size ↔ plaintext size, and sizes no plaintext has are refused', () => {
  fc.assert(
    fc.property(fc.constantFrom(...RECORD_SIZES), fc.constantFrom(57, 82), fc.integer({ min: 0, max: 2 ** 40 }), (recordSize, headerBytes, plaintextBytes) => {
      const size = v2CiphertextSize(plaintextBytes, headerBytes, recordSize);
      assert.equal(v2PlaintextSize(size, headerBytes, recordSize), plaintextBytes);
    }),
  );
  const R = 16_384;
  assert.equal(v2PlaintextSize(57 + 16, 57, R), 0, 'the empty file');
  assert.equal(v2PlaintextSize(57 + 15, 57, R), undefined, 'shorter than one tag');
  assert.equal(v2PlaintextSize(57 + R + 16 + 16, 57, R), undefined, 'an empty final record after a full one');
  assert.equal(v2PlaintextSize(57 + R + 16 + 17, 57, R), R + 1);
  assert.equal(v2PlaintextSize(56, 57, R), undefined);
});
