// Sent-file key vectors (docs/formats/send-key-v1.md), written by generate_send_key_vectors.py (PyNaCl) and checked
// here with src/crypto only, both ways: TypeScript opens every vector with its stated outcome and rebuilds the
// positive one byte for byte; PyNaCl opens a box TypeScript seals with a fresh nonce; TypeScript opens one Python
// seals with a fresh nonce. Never edit send-key-v1.json by hand.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { concatBytes, fromBase64, fromHex, toBase64, toHex } from '../../src/crypto/encoding.js';
import { encodeSendKeyPayload, openSendKey, sealSendKey, SEND_KEY_BASE64_LENGTH } from '../../src/crypto/send-key.js';
import { sodium } from '../../src/crypto/sodium.js';
import { isBlindvaultError } from '../../src/protocol/errors.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const GENERATOR = path.join(HERE, 'generate_send_key_vectors.py');

interface Vectors {
  sender_secret_key_hex: string;
  sender_public_key_hex: string;
  recipient_secret_key_hex: string;
  recipient_public_key_hex: string;
  third_public_key_hex: string;
  file_id: string;
  sender_id: string;
  recipient_id: string;
  file_key_hex: string;
  nonce_hex: string;
  vectors: { id: string; description: string; boxed: string; outcome: 'ok' | 'invalid' }[];
}

const v = JSON.parse(readFileSync(path.join(HERE, 'send-key-v1.json'), 'utf8')) as Vectors;
const hex = (text: string) => fromHex(text) as Uint8Array;
const fields = { fileId: v.file_id, senderId: v.sender_id, recipientId: v.recipient_id };

test('the JSON is what the Python generator writes', () => {
  const result = spawnSync(PYTHON, [GENERATOR, '--check'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

for (const vector of v.vectors) {
  test(`vector ${vector.id}: ${vector.outcome}`, () => {
    const open = () => openSendKey(vector.boxed, hex(v.sender_public_key_hex), hex(v.recipient_secret_key_hex), fields);
    if (vector.outcome === 'ok') assert.equal(toHex(open()), v.file_key_hex);
    else assert.throws(open, (error: unknown) => isBlindvaultError(error) && error.code === 'SEND_KEY_INVALID');
  });
}

test('the positive vector is rebuilt byte for byte from its inputs (same nonce)', () => {
  const payload = encodeSendKeyPayload(fields, hex(v.file_key_hex));
  const nonce = hex(v.nonce_hex);
  const boxed = sodium.crypto_box_easy(payload, nonce, hex(v.recipient_public_key_hex), hex(v.sender_secret_key_hex));
  assert.equal(toBase64(concatBytes(nonce, boxed)), v.vectors.find((x) => x.id === 'ok')?.boxed);
});

test('the genuine box does not open for a third key, nor with the ids of another send', () => {
  const good = v.vectors.find((x) => x.id === 'ok')?.boxed as string;
  const refused = (error: unknown) => isBlindvaultError(error) && error.code === 'SEND_KEY_INVALID';
  assert.throws(() => openSendKey(good, hex(v.third_public_key_hex), hex(v.recipient_secret_key_hex), fields), refused);
  assert.throws(() => openSendKey(good, hex(v.sender_public_key_hex), hex(v.recipient_secret_key_hex), { ...fields, fileId: v.recipient_id }), refused);
  assert.throws(() => openSendKey(good, hex(v.sender_public_key_hex), hex(v.recipient_secret_key_hex), { ...fields, senderId: v.recipient_id }), refused);
  assert.throws(() => openSendKey(`${good.slice(0, -4)}AAA=`, hex(v.sender_public_key_hex), hex(v.recipient_secret_key_hex), fields), refused);
});

test('PyNaCl opens what TypeScript seals (fresh nonce)', () => {
  const wire = sealSendKey(hex(v.sender_secret_key_hex), hex(v.recipient_public_key_hex), fields, hex(v.file_key_hex));
  assert.equal(wire.length, SEND_KEY_BASE64_LENGTH);
  assert.equal(fromBase64(wire)?.length, 127);
  const out = execFileSync(PYTHON, [GENERATOR, '--open', JSON.stringify({ boxed: wire, sender_public: v.sender_public_key_hex, recipient_secret: v.recipient_secret_key_hex })], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { file_id: v.file_id, sender_id: v.sender_id, recipient_id: v.recipient_id, file_key_hex: v.file_key_hex });
  // Control: Python refuses it under a third user's key (so the check above can fail).
  const refused = spawnSync(PYTHON, [GENERATOR, '--open', JSON.stringify({ boxed: wire, sender_public: v.third_public_key_hex, recipient_secret: v.recipient_secret_key_hex })]);
  assert.equal(refused.status, 1);
});

test('TypeScript opens what PyNaCl seals (fresh nonce)', () => {
  const input = JSON.stringify({ sender_secret: v.sender_secret_key_hex, recipient_public: v.recipient_public_key_hex, file_id: v.file_id, sender_id: v.sender_id, recipient_id: v.recipient_id, file_key: v.file_key_hex });
  const wire = execFileSync(PYTHON, [GENERATOR, '--seal'], { input, encoding: 'utf8' }).trim();
  assert.notEqual(wire, v.vectors[0]?.boxed);
  assert.equal(toHex(openSendKey(wire, hex(v.sender_public_key_hex), hex(v.recipient_secret_key_hex), fields)), v.file_key_hex);
});
