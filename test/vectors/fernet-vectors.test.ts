// Fernet vectors written by generate_fernet_vectors.py (Python's cryptography.fernet) and checked here with
// src/crypto/fernet.ts; tokens made here are opened by Python (--decrypt). Never edit fernet.json by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { webCryptoBackend } from '../../src/crypto/backend/webcrypto.js';
import { fromHex, toHex } from '../../src/crypto/encoding.js';
import { fernet } from '../../src/crypto/fernet.js';
import { nodeCryptoBackend } from '../../src/crypto/node/node-backend.js';
import { codeOf } from '../helpers/streams.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const GENERATOR = path.join(HERE, 'generate_fernet_vectors.py');

interface Vector {
  id: string;
  description: string;
  inputs: { key: string; token: string; ttl_seconds: number | null; now: number };
  outcome: 'ok' | 'invalid_token';
  plaintext_hex?: string;
}

const { vectors } = JSON.parse(readFileSync(path.join(HERE, 'fernet.json'), 'utf8')) as { vectors: Vector[] };

const pythonDecrypt = (request: Record<string, unknown>) => spawnSync(PYTHON, [GENERATOR, '--decrypt'], { input: JSON.stringify(request), encoding: 'utf8' });

describe('Fernet vectors from Python', () => {
  test('the spec\'s invalid cases are all there', () => {
    const ids = new Set(vectors.map((v) => v.id));
    for (const id of ['incorrect-mac', 'too-short', 'invalid-base64', 'not-block-multiple', 'padding-error', 'far-future', 'expired', 'incorrect-iv']) assert.ok(ids.has(id), id);
  });

  for (const backend of [webCryptoBackend, nodeCryptoBackend]) {
    test(`every vector decrypts or is refused as Python does (${backend.name} backend)`, async () => {
      for (const v of vectors) {
        const options = { backend, now: new Date(v.inputs.now * 1000), ...(v.inputs.ttl_seconds !== null ? { ttlSeconds: v.inputs.ttl_seconds } : {}) };
        const attempt = fernet.decrypt(v.inputs.key, v.inputs.token, options);
        if (v.outcome === 'ok') assert.equal(toHex(await attempt), v.plaintext_hex, v.id);
        else assert.equal(await codeOf(attempt), 'FERNET_INVALID_TOKEN', `${v.id}: ${v.description}`);
      }
    });
  }

  test('the generator recomputes the same file (python --check)', () => {
    const run = spawnSync(PYTHON, [GENERATOR, '--check'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

describe('Fernet made here', () => {
  test('Python decrypts tokens made here (bytes and text), with and without a TTL', async () => {
    const key = fernet.generateKey();
    assert.match(key, /^[A-Za-z0-9_-]{43}=$/);
    for (const data of [new Uint8Array(), fromHex('00ff10') as Uint8Array, 'This is a secret message', 'x'.repeat(5000)]) {
      const token = await fernet.encrypt(key, data);
      assert.match(token, /^gAAAAA[A-Za-z0-9_-]+=*$/, 'version 0x80 and url-safe base64, as Python writes it');
      const expected = typeof data === 'string' ? toHex(new TextEncoder().encode(data)) : toHex(data);
      const opened = pythonDecrypt({ key, token });
      assert.equal(opened.status, 0, opened.stderr);
      assert.equal(opened.stdout.trim(), expected);
      const withTtl = pythonDecrypt({ key, token, ttl: 60, now: Math.floor(Date.now() / 1000) + 30 });
      assert.equal(withTtl.status, 0, withTtl.stderr);
      assert.deepEqual(await fernet.decrypt(key, token), typeof data === 'string' ? new TextEncoder().encode(data) : data);
    }
    const stale = await fernet.encrypt(key, 'old', { now: new Date(Date.now() - 3_600_000) });
    assert.equal(pythonDecrypt({ key, token: stale, ttl: 60, now: Math.floor(Date.now() / 1000) }).status, 3, 'Python refuses it past the TTL');
    assert.equal(await codeOf(fernet.decrypt(key, stale, { ttlSeconds: 60 })), 'FERNET_INVALID_TOKEN');
    assert.deepEqual(await fernet.decrypt(key, stale, { ttlSeconds: 7200 }), new TextEncoder().encode('old'), 'control: inside the TTL');
  });

  test('each token has a fresh IV; another key, a flipped byte, or a malformed key are refused', async () => {
    const key = fernet.generateKey();
    const a = await fernet.encrypt(key, 'same');
    const b = await fernet.encrypt(key, 'same');
    assert.notEqual(a, b);
    assert.equal(await codeOf(fernet.decrypt(fernet.generateKey(), a)), 'FERNET_INVALID_TOKEN');
    const chars = a.split('');
    chars[60] = chars[60] === 'A' ? 'B' : 'A';
    assert.equal(await codeOf(fernet.decrypt(key, chars.join(''))), 'FERNET_INVALID_TOKEN');
    assert.equal(await codeOf(fernet.decrypt(key.slice(0, 40), a)), 'FERNET_INVALID_KEY');
    assert.equal(await codeOf(fernet.encrypt('not a key', 'x')), 'FERNET_INVALID_KEY');
    assert.equal(await codeOf(fernet.decrypt(key.replaceAll('-', '+').replaceAll('_', '/'), a)), key.includes('-') || key.includes('_') ? 'FERNET_INVALID_KEY' : undefined);
  });
});
