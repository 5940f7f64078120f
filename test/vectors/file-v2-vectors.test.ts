// File format v2 vectors (docs/formats/file-v2.md), written by generate_file_v2_vectors.py (Python `cryptography`
// + PyNaCl, the independent reference) and checked here with src/crypto only, both ways: TypeScript opens every
// vector with its stated outcome, rebuilds the positive ones byte for byte, and Python's reference decryptor
// (test/interop/file_v2_decrypt.py) opens what TypeScript seals. Never edit file-v2.json by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CryptoBackend } from '../../src/crypto/backend/crypto-backend.js';
import { webCryptoBackend } from '../../src/crypto/backend/webcrypto.js';
import { fromBase64, fromHex, toBase64Url } from '../../src/crypto/encoding.js';
import { nodeCryptoBackend } from '../../src/crypto/node/node-backend.js';
import { computeHeaderMac, deriveFileKeyFromPassphrase, derivePayloadKey, encodeHeaderFields, type V2HeaderFields } from '../../src/crypto/stream/header.js';
import { ARGON2ID_FLOOR, createV2Decryptor, createV2Encryptor, decodeLinkKey, sealRecord } from '../../src/crypto/stream/index.js';
import { chunked, concat, readAll, readUntilError } from '../helpers/streams.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const DECRYPTOR = path.join(REPO_ROOT, 'test', 'interop', 'file_v2_decrypt.py');

interface Derivation {
  from: string;
  header_length: number;
  record_size?: number;
  records?: number[];
  xor?: { offset: number; mask: number }[];
  set?: { offset: number; hex: string }[];
  keep?: number;
  append_hex?: string;
  append_record?: number;
}

interface Vector {
  id: string;
  description: string;
  inputs: { key_b64url?: string; passphrase?: string; ciphertext_b64?: string; derive?: Derivation };
  outcome: 'ok' | 'bad_tag' | 'truncated' | 'wrong_key' | 'bad_header';
  plaintext_sha256?: string;
  plaintext_length?: number;
  released_sha256?: string;
  released_length?: number;
  construction?: {
    record_size: number;
    stream_nonce_hex: string;
    salt_hex?: string;
    ops_limit?: number;
    mem_limit_kib?: number;
    pattern_seed: number;
    plaintext_length: number;
  };
}

const file = JSON.parse(readFileSync(path.join(HERE, 'file-v2.json'), 'utf8')) as { vectors: Vector[] };
const bases = new Map(file.vectors.filter((v) => v.inputs.ciphertext_b64).map((v) => [v.id, fromBase64(v.inputs.ciphertext_b64 as string) as Uint8Array]));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const pattern = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) % 251);

/** The same derivation as the generator's apply_derivation. */
function derive(d: Derivation): Uint8Array {
  const base = bases.get(d.from);
  assert.ok(base, `base vector ${d.from}`);
  const sealed = (d.record_size ?? 16_384) + 16;
  const recordsOf = () => {
    const body = base.subarray(d.header_length);
    const out: Uint8Array[] = [];
    for (let i = 0; i < body.length; i += sealed) out.push(body.subarray(i, i + sealed));
    return out;
  };
  let data: Uint8Array = base.slice();
  if (d.records) data = concat([base.subarray(0, d.header_length), ...d.records.map((i) => recordsOf()[i] as Uint8Array)]);
  for (const e of d.xor ?? []) data[e.offset] = (data[e.offset] as number) ^ e.mask;
  for (const e of d.set ?? []) data.set(fromHex(e.hex) as Uint8Array, e.offset);
  if (d.keep !== undefined) data = data.slice(0, d.keep);
  if (d.append_hex !== undefined) data = concat([data, fromHex(d.append_hex) as Uint8Array]);
  if (d.append_record !== undefined) data = concat([data, recordsOf()[d.append_record] as Uint8Array]);
  return data;
}

const ciphertextOf = (v: Vector) => (v.inputs.ciphertext_b64 ? (bases.get(v.id) as Uint8Array) : derive(v.inputs.derive as Derivation));
const OUTCOME: Record<string, Vector['outcome']> = { BAD_HEADER: 'bad_header', WRONG_KEY: 'wrong_key', DECRYPTION_FAILED: 'bad_tag', TRUNCATED: 'truncated' };

describe('file v2 vectors from the Python reference', () => {
  test('the file has every outcome, and the multi-record cases', () => {
    assert.deepEqual(new Set(file.vectors.map((v) => v.outcome)), new Set(['ok', 'bad_tag', 'truncated', 'wrong_key', 'bad_header']));
    assert.ok(file.vectors.length >= 30);
  });

  for (const backend of [webCryptoBackend, nodeCryptoBackend] as CryptoBackend[]) {
    test(`every vector opens with its stated outcome and released plaintext (${backend.name} backend)`, async () => {
      for (const v of file.vectors) {
        const options = {
          backend,
          ...(v.inputs.key_b64url !== undefined ? { key: decodeLinkKey(v.inputs.key_b64url) } : {}),
          ...(v.inputs.passphrase !== undefined ? { passphrase: v.inputs.passphrase } : {}),
        };
        const result = await readUntilError(chunked(ciphertextOf(v), 10_000).pipeThrough(createV2Decryptor(options)));
        const outcome = result.code === undefined ? 'ok' : OUTCOME[result.code];
        assert.equal(outcome, v.outcome, `${v.id} (${v.description}): ${result.code}`);
        if (v.outcome === 'ok') {
          assert.equal(sha256(result.released), v.plaintext_sha256, v.id);
          assert.equal(result.released.length, v.plaintext_length, v.id);
        } else {
          assert.equal(sha256(result.released), v.released_sha256, `${v.id}: released plaintext`);
          assert.equal(result.released.length, v.released_length, v.id);
        }
      }
    });
  }

  test('TypeScript rebuilds every positive vector byte for byte from its construction', async () => {
    const built = file.vectors.filter((v) => v.construction);
    assert.ok(built.length >= 7);
    for (const v of built) {
      const c = v.construction as NonNullable<Vector['construction']>;
      const streamNonce = fromHex(c.stream_nonce_hex) as Uint8Array;
      let fields: V2HeaderFields;
      let fileKey: Uint8Array;
      if (c.salt_hex) {
        const kdf = { id: 'argon2id' as const, opsLimit: c.ops_limit as number, memLimitKiB: c.mem_limit_kib as number, salt: fromHex(c.salt_hex) as Uint8Array };
        fields = { keyMode: 'passphrase', recordSize: c.record_size, kdf, streamNonce };
        fileKey = await deriveFileKeyFromPassphrase(v.inputs.passphrase as string, kdf, webCryptoBackend);
      } else {
        fields = { keyMode: 'key', recordSize: c.record_size, streamNonce };
        fileKey = decodeLinkKey(v.inputs.key_b64url as string).reveal();
      }
      const fieldBytes = encodeHeaderFields(fields);
      const parts = [fieldBytes, await computeHeaderMac(fileKey, fieldBytes, webCryptoBackend)];
      const aead = await webCryptoBackend.importAes256Gcm(await derivePayloadKey(fileKey, streamNonce, webCryptoBackend));
      const plaintext = pattern(c.plaintext_length, c.pattern_seed);
      const n = Math.max(1, Math.ceil(plaintext.length / c.record_size));
      for (let i = 0; i < n; i++) parts.push(await sealRecord(aead, i, i === n - 1, plaintext.subarray(i * c.record_size, (i + 1) * c.record_size)));
      assert.deepEqual(concat(parts), ciphertextOf(v), v.id);
    }
  });

  test('the generator recomputes the same file (python --check)', () => {
    const run = spawnSync(PYTHON, [path.join(HERE, 'generate_file_v2_vectors.py'), '--check'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

describe('Python reference decryptor opens what TypeScript seals', () => {
  const decryptWithPython = (ciphertext: Uint8Array, args: string[]) => spawnSync(PYTHON, [DECRYPTOR, ...args], { input: ciphertext, maxBuffer: 64 * 1024 * 1024 });

  test('random key and passphrase files, several records, both backends', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bv-v2-'));
    try {
      for (const backend of [webCryptoBackend, nodeCryptoBackend]) {
        const plaintext = pattern(3 * 65_536 + 123, 9);
        const keyed = await createV2Encryptor({ key: decodeLinkKey(toBase64Url(backend.randomBytes(32))), recordSize: 65_536, backend });
        const ciphertext = await readAll(chunked(plaintext, 10_000).pipeThrough(keyed.transform()));
        const link = toBase64Url(keyed.fileKey.reveal());
        const ok = decryptWithPython(ciphertext, [`--key-b64url=${link}`]);
        assert.equal(ok.status, 0, ok.stderr.toString());
        assert.deepEqual(new Uint8Array(ok.stdout), plaintext);

        const bad = ciphertext.slice();
        bad[57 + 65_536 + 16 + 5] = (bad[57 + 65_536 + 16 + 5] as number) ^ 1;
        const tampered = decryptWithPython(bad, [`--key-b64url=${link}`]);
        assert.equal(tampered.status, 4, 'bad_tag');
        assert.deepEqual(new Uint8Array(tampered.stdout), plaintext.subarray(0, 65_536), 'only the verified first record was written');
        assert.equal(decryptWithPython(ciphertext.subarray(0, 57 + 65_536 + 16), [`--key-b64url=${link}`]).status, 5, 'truncated');

        const passphraseFile = path.join(dir, 'pass.txt');
        writeFileSync(passphraseFile, 'gr\u00fcn und blau\n');
        const sealed = await createV2Encryptor({ passphrase: 'gr\u00fcn und blau', kdfParams: ARGON2ID_FLOOR, backend });
        const pCiphertext = await readAll(chunked(plaintext, 70_000).pipeThrough(sealed.transform()));
        const pOk = decryptWithPython(pCiphertext, ['--passphrase-file', passphraseFile]);
        assert.equal(pOk.status, 0, pOk.stderr.toString());
        assert.deepEqual(new Uint8Array(pOk.stdout), plaintext);
        writeFileSync(passphraseFile, 'grun und blau\n');
        assert.equal(decryptWithPython(pCiphertext, ['--passphrase-file', passphraseFile]).status, 3, 'wrong_key');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
