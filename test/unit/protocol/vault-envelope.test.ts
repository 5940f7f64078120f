import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { randomBytes } from '../../../src/crypto/nacl.js';
import { fromHexAnyCase, openJson, sealJson } from '../../../src/protocol/vault/envelope.js';

const key = randomBytes(32);
const json = fc.jsonValue();

test('envelopes: any JSON value round-trips, and hex input is read in either case', () => {
  fc.assert(
    fc.property(json, (value) => {
      const envelope = sealJson(key, value);
      assert.match(envelope.nonce, /^[0-9a-f]{48}$/);
      assert.match(envelope.text, /^[0-9a-f]+$/);
      assert.deepEqual(openJson(key, envelope)?.value, JSON.parse(JSON.stringify(value)));
      assert.deepEqual(openJson(key, { text: envelope.text.toUpperCase(), nonce: envelope.nonce.toUpperCase() })?.value, JSON.parse(JSON.stringify(value)));
    }),
  );
});

test('envelopes: any single tampered byte of text or nonce, or another key, fails to open', () => {
  fc.assert(
    fc.property(json, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (value, at, flip, inNonce) => {
      const envelope = sealJson(key, value);
      const bytes = fromHexAnyCase(inNonce ? envelope.nonce : envelope.text) as Uint8Array;
      const i = at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ flip;
      const hex = Buffer.from(bytes).toString('hex');
      const tampered = inNonce ? { ...envelope, nonce: hex } : { ...envelope, text: hex };
      assert.equal(openJson(key, tampered), undefined);
      assert.equal(openJson(randomBytes(32), envelope), undefined);
    }),
  );
});

test('envelopes: anything that is not an envelope is refused, never thrown', () => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      assert.equal(openJson(key, value), undefined);
    }),
  );
  for (const bad of [{ text: 'abc', nonce: '00'.repeat(24) }, { text: '00'.repeat(40), nonce: '00' }, { text: 1, nonce: 2 }, null, 'x']) {
    assert.equal(openJson(key, bad), undefined);
  }
});
