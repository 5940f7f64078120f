// TOTP (RFC 6238 appendix B) and the sealed TOTP secret (docs/formats/totp-secret-v1.md). The sealed vectors are
// written by generate_totp_secret_vectors.py (PyNaCl); TypeScript opens each with its stated outcome, and PyNaCl
// opens a secret TypeScript seals with a fresh nonce. Never edit totp-secret-v1.json by hand.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../src/crypto/encoding.js';
import { hotp, matchTotp, openTotpSecret, sealTotpSecret, toBase32, totpStep } from '../../src/crypto/node/totp.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const utf8 = (text: string) => new TextEncoder().encode(text);

// RFC 6238 appendix B: time (s), then the 8-digit codes for SHA1, SHA256, SHA512 with their seeds.
const RFC6238: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
const SEEDS = {
  sha1: utf8('12345678901234567890'),
  sha256: utf8('12345678901234567890123456789012'),
  sha512: utf8('1234567890123456789012345678901234567890123456789012345678901234'),
};

test('RFC 6238 appendix B: every vector, SHA1, SHA256 and SHA512, 8 digits', () => {
  for (const [seconds, sha1, sha256, sha512] of RFC6238) {
    const step = totpStep(new Date(seconds * 1000));
    assert.equal(hotp(SEEDS.sha1, step, 8, 'sha1'), sha1, `SHA1 at ${seconds}`);
    assert.equal(hotp(SEEDS.sha256, step, 8, 'sha256'), sha256, `SHA256 at ${seconds}`);
    assert.equal(hotp(SEEDS.sha512, step, 8, 'sha512'), sha512, `SHA512 at ${seconds}`);
  }
});

test('6-digit codes are the last six digits of the 8-digit ones; matching takes the step either side, not two away', () => {
  const at = new Date(1111111109 * 1000);
  const code = hotp(SEEDS.sha1, totpStep(at));
  assert.equal(code, '081804');
  assert.equal(matchTotp(SEEDS.sha1, code, at), totpStep(at));
  assert.equal(matchTotp(SEEDS.sha1, code, new Date(at.getTime() + 30_000)), totpStep(at));
  assert.equal(matchTotp(SEEDS.sha1, code, new Date(at.getTime() - 30_000)), totpStep(at));
  assert.equal(matchTotp(SEEDS.sha1, code, new Date(at.getTime() + 61_000)), undefined);
  assert.equal(matchTotp(SEEDS.sha1, '000000', at), undefined);
});

test('base32 as authenticator apps read it (RFC 4648 test vectors, no padding)', () => {
  assert.equal(toBase32(utf8('')), '');
  assert.equal(toBase32(utf8('f')), 'MY');
  assert.equal(toBase32(utf8('foobar')), 'MZXW6YTBOI');
  assert.equal(toBase32(SEEDS.sha1), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
});

interface SealedVectors {
  key: string;
  factor_id: string;
  secret: string;
  vectors: Array<{ name: string; sealed: string; key: string; factor_id: string; expected: 'ok' | 'wrong_key' | 'wrong_id' | 'bad_version' | 'bad_tag' }>;
}
const VECTORS = JSON.parse(readFileSync(path.join(HERE, 'totp-secret-v1.json'), 'utf8')) as SealedVectors;

test('totp-secret-v1 vectors from PyNaCl open, or fail, as each one says', () => {
  assert.equal(VECTORS.vectors.length, 5);
  for (const v of VECTORS.vectors) {
    const opened = openTotpSecret(fromHex(v.key) as Uint8Array, v.factor_id, v.sealed);
    if (v.expected === 'ok') assert.equal(opened && toHex(opened), VECTORS.secret, v.name);
    else assert.equal(opened, undefined, v.name);
  }
});

test('a secret sealed here (fresh nonce) opens in PyNaCl, and a second sealing differs', () => {
  const key = fromHex(VECTORS.key) as Uint8Array;
  const secret = fromHex(VECTORS.secret) as Uint8Array;
  const sealed = sealTotpSecret(key, VECTORS.factor_id, secret);
  assert.notEqual(sealTotpSecret(key, VECTORS.factor_id, secret), sealed);
  const script = [
    'import sys, nacl.secret',
    'b = bytes.fromhex(sys.argv[2])',
    'assert b[0] == 1',
    'pt = nacl.secret.SecretBox(bytes.fromhex(sys.argv[1])).decrypt(b[25:], b[1:25])',
    'assert pt[:16] == bytes.fromhex(sys.argv[3].replace("-", ""))',
    'print(pt[16:].hex())',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script, VECTORS.key, sealed, VECTORS.factor_id], { encoding: 'utf8' }).trim();
  assert.equal(out, VECTORS.secret);
});
