// Format v1 (the seed's one-shot AES-256-GCM): round trips, refusals, the size limit, and Python both ways.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { webCryptoBackend } from '../../../src/crypto/backend/webcrypto.js';
import { fromBase64, toBase64 } from '../../../src/crypto/encoding.js';
import { nodeCryptoBackend } from '../../../src/crypto/node/node-backend.js';
import { V1_MAX_BYTES, readV1Body, v1Decrypt, v1Encrypt } from '../../../src/crypto/v1.js';
import { chunked, codeOf } from '../../helpers/streams.js';

const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const CODEC = path.resolve('test', 'interop', 'v1_codec.py');
const python = (request: Record<string, string>) => spawnSync(PYTHON, [CODEC], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256);

describe('format v1', () => {
  test('round trip on both backends, fresh salt and IV each time; the backends open each other', async () => {
    const plaintext = bytes(100_000);
    const a = await v1Encrypt(plaintext, 'my-secret-passphrase', { backend: webCryptoBackend });
    const b = await v1Encrypt(plaintext, 'my-secret-passphrase', { backend: nodeCryptoBackend });
    assert.notDeepEqual(a.salt, b.salt);
    assert.notDeepEqual(a.iv, b.iv);
    assert.equal(a.ciphertext.length, plaintext.length + 16);
    assert.deepEqual(await v1Decrypt(a.ciphertext, { passphrase: 'my-secret-passphrase', salt: a.salt, iv: a.iv, backend: nodeCryptoBackend }), plaintext);
    assert.deepEqual(await v1Decrypt(b.ciphertext, { passphrase: 'my-secret-passphrase', salt: b.salt, iv: b.iv }), plaintext);
  });

  test('a wrong passphrase, a flipped byte, a cut are refused; malformed salt or IV too', async () => {
    const sealed = await v1Encrypt(bytes(50), 'pw');
    assert.equal(await codeOf(v1Decrypt(sealed.ciphertext, { passphrase: 'pw2', salt: sealed.salt, iv: sealed.iv })), 'WRONG_KEY');
    const flipped = sealed.ciphertext.slice();
    flipped[3] = (flipped[3] as number) ^ 1;
    assert.equal(await codeOf(v1Decrypt(flipped, { passphrase: 'pw', salt: sealed.salt, iv: sealed.iv })), 'WRONG_KEY');
    assert.equal(await codeOf(v1Decrypt(sealed.ciphertext.subarray(1), { passphrase: 'pw', salt: sealed.salt, iv: sealed.iv })), 'WRONG_KEY');
    assert.equal(await codeOf(v1Decrypt(sealed.ciphertext.subarray(0, 15), { passphrase: 'pw', salt: sealed.salt, iv: sealed.iv })), 'TRUNCATED');
    assert.equal(await codeOf(v1Decrypt(sealed.ciphertext, { passphrase: 'pw', salt: sealed.salt.subarray(1), iv: sealed.iv })), 'BAD_HEADER');
    assert.equal(await codeOf(v1Decrypt(sealed.ciphertext, { passphrase: 'pw', salt: sealed.salt, iv: new Uint8Array(16) })), 'BAD_HEADER');
    assert.deepEqual(await v1Decrypt(sealed.ciphertext, { passphrase: 'pw', salt: sealed.salt, iv: sealed.iv }), bytes(50), 'control');
  });

  test('the size limit: refused above V1_MAX_BYTES before any work, and while a body streams in', async () => {
    assert.equal(V1_MAX_BYTES, 256 * 1024 * 1024);
    const over = new Uint8Array(V1_MAX_BYTES + 1);
    assert.equal(await codeOf(v1Encrypt(over, 'pw')), 'V1_TOO_LARGE');
    assert.equal(await codeOf(v1Decrypt(new Uint8Array(V1_MAX_BYTES + 17), { passphrase: 'pw', salt: new Uint8Array(16), iv: new Uint8Array(12) })), 'V1_TOO_LARGE');
    assert.equal(await codeOf(readV1Body(chunked(new Uint8Array(1001), 100), 1000)), 'V1_TOO_LARGE');
    assert.deepEqual(await readV1Body(chunked(bytes(1000), 100), 1000), bytes(1000), 'control: at the limit it is read whole');
  });

  test('Python (the seed\'s calls) opens what TypeScript seals, and TypeScript opens what Python seals', async () => {
    for (const [passphrase, length] of [['my-secret-passphrase', 0], ['p\u00e4ss', 1], ['x', 70_000]] as const) {
      const plaintext = bytes(length);
      const sealed = await v1Encrypt(plaintext, passphrase);
      const opened = python({ op: 'decrypt', passphrase, salt_b64: toBase64(sealed.salt), iv_b64: toBase64(sealed.iv), ciphertext_b64: toBase64(sealed.ciphertext) });
      assert.equal(opened.status, 0, opened.stderr);
      assert.deepEqual(fromBase64((JSON.parse(opened.stdout) as { plaintext_b64: string }).plaintext_b64), plaintext);

      const made = python({ op: 'encrypt', passphrase, plaintext_b64: toBase64(plaintext) });
      assert.equal(made.status, 0, made.stderr);
      const fromPython = JSON.parse(made.stdout) as Record<string, string>;
      const decoded = (name: string) => fromBase64(fromPython[name] as string) as Uint8Array;
      assert.deepEqual(await v1Decrypt(decoded('ciphertext_b64'), { passphrase, salt: decoded('salt_b64'), iv: decoded('iv_b64') }), plaintext);
      assert.equal(await codeOf(v1Decrypt(decoded('ciphertext_b64'), { passphrase: `${passphrase}!`, salt: decoded('salt_b64'), iv: decoded('iv_b64') })), 'WRONG_KEY');
    }
    const refused = python({ op: 'decrypt', passphrase: 'a', salt_b64: toBase64(new Uint8Array(16)), iv_b64: toBase64(new Uint8Array(12)), ciphertext_b64: toBase64(new Uint8Array(16)) });
    assert.equal(refused.status, 3, 'control: the Python side refuses a bad tag');
  });
});
