// Vault vectors (vault-protocol.md §2.10) checked with the TypeScript code only: src/crypto/nacl.ts and
// src/crypto/psono-kdf.ts. The file is written by generate_vault_vectors.py (PyNaCl + hashlib), which also checks
// it here with --check, so Python and TypeScript agree on the same bytes. Never edit vault-v1.json by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import { fromHex, toHex } from '../../src/crypto/encoding.js';
import {
  MAC_BYTES,
  NONCE_BYTES,
  boxOpen,
  boxPublicKey,
  boxSeal,
  secretboxOpen,
  secretboxSeal,
  signDetached,
  signKeyPairFromSeed,
  verifyDetached,
} from '../../src/crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey, deriveKek, sha512Hex, type HashingParameters } from '../../src/crypto/psono-kdf.js';

// libsodium is used directly only for the fixed-nonce re-seals below: src/crypto never lets a caller pick a nonce.
await sodium.ready;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const VECTORS_PATH = path.join(HERE, 'vault-v1.json');
const GENERATOR_PATH = path.join(HERE, 'generate_vault_vectors.py');

type Fields = Record<string, unknown>;

interface Vector {
  id: string;
  kind: string;
  inputs: Fields;
  expected: Fields;
  outcome: string;
}

const NEGATIVE_OUTCOMES = ['bad_tag', 'wrong_key', 'truncated'] as const;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseVectors(text: string): Vector[] {
  const parsed: unknown = JSON.parse(text);
  assert.ok(Array.isArray(parsed), 'vault-v1.json must be a list');
  return parsed.map((item: unknown, index) => {
    assert.ok(isFields(item), `vector #${index} must be an object`);
    const { id, kind, inputs, expected, outcome } = item;
    assert.equal(typeof id, 'string', `vector #${index}: id`);
    assert.equal(typeof kind, 'string', `vector #${index}: kind`);
    assert.equal(typeof outcome, 'string', `vector #${index}: outcome`);
    assert.ok(isFields(inputs), `vector #${index}: inputs`);
    assert.ok(isFields(expected), `vector #${index}: expected`);
    assert.deepEqual(Object.keys(item).sort(), ['expected', 'id', 'inputs', 'kind', 'outcome']);
    return { id: id as string, kind: kind as string, inputs, expected, outcome: outcome as string };
  });
}

function str(fields: Fields, name: string): string {
  const value = fields[name];
  assert.equal(typeof value, 'string', `field ${name} must be a string`);
  return value as string;
}

function hex(fields: Fields, name: string): Uint8Array {
  const bytes = fromHex(str(fields, name));
  assert.ok(bytes !== undefined, `field ${name} must be lower-case hex`);
  return bytes;
}

function params(fields: Fields): HashingParameters {
  const value = fields['hashing_parameters'];
  assert.ok(isFields(value), 'hashing_parameters must be an object');
  assert.deepEqual(Object.keys(value).sort(), ['l', 'p', 'r', 'u']);
  const { u, r, p, l } = value;
  for (const n of [u, r, p, l]) assert.equal(typeof n, 'number');
  return { u: u as number, r: r as number, p: p as number, l: l as number };
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const fromUtf8 = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** Checks a secretbox that must open to `plaintext`, and that a libsodium fixed-nonce seal reproduces it. */
function checkSecretboxOpens(key: Uint8Array, nonce: Uint8Array, text: Uint8Array, plaintext: string): void {
  const opened = secretboxOpen(key, text, nonce);
  assert.ok(opened !== undefined, 'must open');
  assert.equal(fromUtf8(opened), plaintext);
  assert.equal(toHex(sodium.crypto_secretbox_easy(utf8(plaintext), nonce, key)), toHex(text));
}

function checkNegativeCiphertext(v: Vector, opened: Uint8Array | undefined): void {
  assert.ok((NEGATIVE_OUTCOMES as readonly string[]).includes(v.outcome), `unexpected outcome ${v.outcome}`);
  assert.deepEqual(v.expected, {});
  if (v.outcome === 'truncated') assert.ok(hex(v.inputs, 'text').length < MAC_BYTES, 'truncated text is shorter than the tag');
  assert.equal(opened, undefined, `${v.outcome} must not open`);
}

async function checkVector(v: Vector): Promise<void> {
  const { inputs, expected } = v;
  switch (v.kind) {
    case 'authkey': {
      assert.equal(v.outcome, 'ok');
      assert.equal(await deriveAuthkey(str(inputs, 'username'), str(inputs, 'password'), params(inputs)), str(expected, 'authkey'));
      return;
    }
    case 'kek': {
      assert.equal(v.outcome, 'ok');
      const kek = await deriveKek(str(inputs, 'password'), str(inputs, 'user_sauce'), params(inputs));
      assert.equal(kek.length, 32);
      assert.equal(toHex(kek), str(expected, 'kek'));
      return;
    }
    case 'kek_decrypt': {
      assert.equal(v.outcome, 'ok');
      const kek = await deriveKek(str(inputs, 'password'), str(inputs, 'user_sauce'), params(inputs));
      assert.equal(toHex(kek), str(expected, 'kek'));
      checkSecretboxOpens(kek, hex(inputs, 'nonce'), hex(inputs, 'text'), str(expected, 'plaintext'));
      return;
    }
    case 'secretbox_open': {
      const key = hex(inputs, 'key');
      const nonce = hex(inputs, 'nonce');
      const text = hex(inputs, 'text');
      if (v.outcome === 'ok') checkSecretboxOpens(key, nonce, text, str(expected, 'plaintext'));
      else checkNegativeCiphertext(v, secretboxOpen(key, text, nonce));
      return;
    }
    case 'box_open': {
      const senderPublicKey = hex(inputs, 'sender_public_key');
      const recipientSecretKey = hex(inputs, 'recipient_secret_key');
      const nonce = hex(inputs, 'nonce');
      const text = hex(inputs, 'text');
      const opened = boxOpen(senderPublicKey, recipientSecretKey, text, nonce);
      if (v.outcome !== 'ok') {
        checkNegativeCiphertext(v, opened);
        return;
      }
      const plaintext = str(expected, 'plaintext');
      const senderSecretKey = hex(inputs, 'sender_secret_key');
      const recipientPublicKey = hex(inputs, 'recipient_public_key');
      assert.equal(toHex(boxPublicKey(senderSecretKey)), toHex(senderPublicKey));
      assert.equal(toHex(boxPublicKey(recipientSecretKey)), toHex(recipientPublicKey));
      assert.ok(opened !== undefined, 'must open');
      assert.equal(fromUtf8(opened), plaintext);
      // The shared key is symmetric: the sender can open its own box too.
      const openedBySender = boxOpen(recipientPublicKey, senderSecretKey, text, nonce);
      assert.ok(openedBySender !== undefined);
      assert.equal(fromUtf8(openedBySender), plaintext);
      assert.equal(toHex(sodium.crypto_box_easy(utf8(plaintext), nonce, recipientPublicKey, senderSecretKey)), toHex(text));
      return;
    }
    case 'ed25519_verify': {
      const valid = verifyDetached(hex(inputs, 'verify_key'), utf8(str(inputs, 'message')), hex(inputs, 'signature'));
      if (v.outcome === 'ok') {
        assert.deepEqual(expected, { valid: true });
        assert.equal(valid, true);
      } else {
        assert.equal(v.outcome, 'bad_signature');
        assert.deepEqual(expected, {});
        assert.equal(valid, false);
      }
      return;
    }
    case 'server_keys_from_psono_private_key': {
      assert.equal(v.outcome, 'ok');
      const privateKey = hex(inputs, 'private_key');
      assert.equal(toHex(boxPublicKey(privateKey)), str(expected, 'x25519_public_key'));
      assert.equal(toHex(signKeyPairFromSeed(privateKey).publicKey), str(expected, 'ed25519_verify_key'));
      return;
    }
    case 'api_key_from_seed': {
      assert.equal(v.outcome, 'ok');
      const seed = hex(inputs, 'seed');
      assert.equal(toHex(signKeyPairFromSeed(seed).publicKey), str(expected, 'verify_key'));
      assert.equal(toHex(boxPublicKey(seed)), str(expected, 'x25519_public_key'));
      return;
    }
    case 'ed25519_sign': {
      assert.equal(v.outcome, 'ok');
      const pair = signKeyPairFromSeed(hex(inputs, 'seed'));
      const message = str(inputs, 'message');
      assert.equal(toHex(pair.publicKey), str(expected, 'verify_key'));
      const signature = signDetached(pair.secretKey, utf8(message));
      assert.equal(toHex(signature), str(expected, 'signature'));
      assert.equal(verifyDetached(pair.publicKey, utf8(message), signature), true);
      if ('session_secret_key' in inputs) {
        const sessionPublicKey = toHex(boxPublicKey(hex(inputs, 'session_secret_key')));
        assert.equal(sessionPublicKey, str(expected, 'session_public_key'));
        assert.ok(message.includes(`"session_public_key": "${sessionPublicKey}"`), 'signed info carries the session key');
      }
      return;
    }
    case 'transport_envelope': {
      const key = hex(inputs, 'key');
      const nonce = hex(inputs, 'nonce');
      if (v.outcome !== 'ok') {
        checkNegativeCiphertext(v, secretboxOpen(key, hex(inputs, 'text'), nonce));
        return;
      }
      const plaintext = str(inputs, 'plaintext');
      const text = hex(expected, 'text');
      assert.equal(text.length, utf8(plaintext).length + MAC_BYTES);
      checkSecretboxOpens(key, nonce, text, plaintext);
      // nacl.ts draws its own nonce: its output differs from the vector's but must open under the same key.
      const sealed = secretboxSeal(key, utf8(plaintext));
      assert.equal(sealed.nonce.length, NONCE_BYTES);
      assert.equal(sealed.ciphertext.length, text.length);
      const reopened = secretboxOpen(key, sealed.ciphertext, sealed.nonce);
      assert.ok(reopened !== undefined);
      assert.equal(fromUtf8(reopened), plaintext);
      return;
    }
    case 'token_hash': {
      assert.equal(v.outcome, 'ok');
      assert.equal(sha512Hex(str(inputs, 'token')), str(expected, 'hash'));
      return;
    }
    default:
      assert.fail(`${v.id}: unknown kind ${v.kind}`);
  }
}

const vectors = parseVectors(readFileSync(VECTORS_PATH, 'utf8'));

test('vault-v1.json holds V1–V15 and the negative vectors', () => {
  const ids = vectors.map((v) => v.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (let n = 1; n <= 15; n++) {
    assert.equal(vectors.find((v) => v.id === `V${n}`)?.outcome, 'ok', `V${n} present with outcome ok`);
  }
  for (const kind of ['secretbox_open', 'box_open', 'transport_envelope']) {
    for (const outcome of NEGATIVE_OUTCOMES) {
      assert.ok(vectors.some((v) => v.kind === kind && v.outcome === outcome), `${kind} has a ${outcome} vector`);
    }
  }
  assert.ok(vectors.some((v) => v.kind === 'ed25519_verify' && v.outcome === 'bad_signature'));
});

for (const v of vectors) {
  test(`${v.id} ${v.kind} (${v.outcome})`, async () => {
    await checkVector(v);
  });
}

test('generate_vault_vectors.py --check: PyNaCl/hashlib recompute the same file', () => {
  const run = spawnSync('/usr/bin/python3', [GENERATOR_PATH, '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(run.error, undefined, `could not run /usr/bin/python3: ${String(run.error)}`);
  assert.equal(run.status, 0, `--check failed:\n${run.stdout}${run.stderr}`);
});

test('hashing parameters outside §2.1 bounds are refused before deriving', async () => {
  const base = { ...DEFAULT_HASHING_PARAMETERS };
  const bad: HashingParameters[] = [
    { ...base, u: 13 },
    { ...base, u: 21 },
    { ...base, r: 7 },
    { ...base, r: 33 },
    { ...base, p: 0 },
    { ...base, p: 17 },
    { ...base, l: 63 },
    { ...base, l: 129 },
    { ...base, u: 14.5 },
    { ...base, r: Number.NaN },
  ];
  for (const p of bad) {
    await assert.rejects(deriveAuthkey('a@b.c', 'pw', p), RangeError, JSON.stringify(p));
    await assert.rejects(deriveKek('pw', 'sauce', p), RangeError, JSON.stringify(p));
  }
});

// ---- Properties ---------------------------------------------------------------------------------------------------

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message = fc.uint8Array({ maxLength: 512 });
const flip = fc.record({ index: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) });

/** ciphertext ‖ nonce with one byte XORed by a non-zero mask, split back. */
function flipped(ciphertext: Uint8Array, nonce: Uint8Array, index: number, mask: number): { ciphertext: Uint8Array; nonce: Uint8Array } {
  const joined = new Uint8Array(ciphertext.length + nonce.length);
  joined.set(ciphertext);
  joined.set(nonce, ciphertext.length);
  const at = index % joined.length;
  joined[at] = (joined[at] ?? 0) ^ mask;
  return { ciphertext: joined.subarray(0, ciphertext.length), nonce: joined.subarray(ciphertext.length) };
}

test('property: secretbox seal/open round-trips any bytes', () => {
  fc.assert(
    fc.property(key32, message, (key, plaintext) => {
      const sealed = secretboxSeal(key, plaintext);
      assert.equal(sealed.ciphertext.length, plaintext.length + MAC_BYTES);
      assert.deepEqual(secretboxOpen(key, sealed.ciphertext, sealed.nonce), plaintext);
    }),
  );
});

test('property: box seal/open round-trips any bytes', () => {
  fc.assert(
    fc.property(key32, key32, message, (senderSecretKey, recipientSecretKey, plaintext) => {
      const sealed = boxSeal(senderSecretKey, boxPublicKey(recipientSecretKey), plaintext);
      assert.equal(sealed.ciphertext.length, plaintext.length + MAC_BYTES);
      assert.deepEqual(boxOpen(boxPublicKey(senderSecretKey), recipientSecretKey, sealed.ciphertext, sealed.nonce), plaintext);
    }),
  );
});

test('property: any single flipped byte of a secretbox ciphertext or nonce fails to open', () => {
  fc.assert(
    fc.property(key32, message, flip, (key, plaintext, { index, mask }) => {
      const sealed = secretboxSeal(key, plaintext);
      const bad = flipped(sealed.ciphertext, sealed.nonce, index, mask);
      assert.equal(secretboxOpen(key, bad.ciphertext, bad.nonce), undefined);
    }),
  );
});

test('property: any single flipped byte of a box ciphertext or nonce fails to open', () => {
  fc.assert(
    fc.property(key32, key32, message, flip, (senderSecretKey, recipientSecretKey, plaintext, { index, mask }) => {
      const sealed = boxSeal(senderSecretKey, boxPublicKey(recipientSecretKey), plaintext);
      const bad = flipped(sealed.ciphertext, sealed.nonce, index, mask);
      assert.equal(boxOpen(boxPublicKey(senderSecretKey), recipientSecretKey, bad.ciphertext, bad.nonce), undefined);
    }),
  );
});

test('property: hex encode/decode round-trips any bytes, canonically', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      const text = toHex(bytes);
      assert.match(text, /^(?:[0-9a-f]{2})*$/);
      const decoded = fromHex(text);
      assert.ok(decoded !== undefined);
      assert.deepEqual(decoded, bytes);
      assert.equal(toHex(decoded), text);
    }),
  );
});
