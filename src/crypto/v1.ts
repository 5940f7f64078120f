// Format v1, the seed's one-shot AES-256-GCM (docs/formats/file-v1.md): key = PBKDF2-HMAC-SHA-256(passphrase,
// 16-byte salt, 100,000 iterations, 32 bytes), ciphertext = AES-256-GCM(key, 12-byte IV, plaintext) ‖ tag, no AAD.
// A legacy format, kept for the seed's Python clients: 100,000 PBKDF2 iterations are a sixth of OWASP's figure,
// and one-shot GCM holds the whole file in memory and releases nothing before the end, hence V1_MAX_BYTES.
//
//   const { ciphertext, salt, iv } = await v1Encrypt(plaintext, passphrase)   // salt and IV from the CSPRNG
//   const plaintext = await v1Decrypt(ciphertext, { passphrase, salt, iv })   // WRONG_KEY if it does not verify
//   const bytes = await readV1Body(stream)                                    // collects, V1_TOO_LARGE past the limit
import { BlindvaultError } from '../protocol/errors.js';
import type { CryptoBackend } from './backend/crypto-backend.js';
import { webCryptoBackend } from './backend/webcrypto.js';
import { utf8Bytes } from './encoding.js';
import { Secret } from './secret.js';

export const V1_PBKDF2_ITERATIONS = 100_000;
export const V1_SALT_BYTES = 16;
export const V1_IV_BYTES = 12;
export const V1_TAG_BYTES = 16;
/** The largest v1 plaintext this code encrypts or decrypts: 256 MiB (the ciphertext is 16 bytes more). */
export const V1_MAX_BYTES = 256 * 1024 * 1024;

export interface V1Sealed {
  ciphertext: Uint8Array;
  salt: Uint8Array;
  iv: Uint8Array;
}

const reveal = (p: Secret<string> | string) => (p instanceof Secret ? p.reveal() : p);

async function v1Key(passphrase: Secret<string> | string, salt: Uint8Array, backend: CryptoBackend) {
  // The seed encodes the passphrase as UTF-8 as given (no normalization): so do we, to open its files.
  const key = await backend.pbkdf2Sha256(utf8Bytes(reveal(passphrase)), salt, V1_PBKDF2_ITERATIONS, 32);
  return backend.importAes256Gcm(key);
}

export async function v1Encrypt(plaintext: Uint8Array, passphrase: Secret<string> | string, options: { backend?: CryptoBackend } = {}): Promise<V1Sealed> {
  if (plaintext.length > V1_MAX_BYTES) throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
  const backend = options.backend ?? webCryptoBackend;
  const salt = backend.randomBytes(V1_SALT_BYTES);
  const iv = backend.randomBytes(V1_IV_BYTES);
  const key = await v1Key(passphrase, salt, backend);
  return { ciphertext: await key.seal(iv, plaintext, new Uint8Array()), salt, iv };
}

export async function v1Decrypt(ciphertext: Uint8Array, options: { passphrase: Secret<string> | string; salt: Uint8Array; iv: Uint8Array; backend?: CryptoBackend }): Promise<Uint8Array> {
  if (options.salt.length !== V1_SALT_BYTES || options.iv.length !== V1_IV_BYTES) throw new BlindvaultError('BAD_HEADER', { reason: 'v1 needs a 16-byte salt and a 12-byte IV' });
  if (ciphertext.length > V1_MAX_BYTES + V1_TAG_BYTES) throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
  if (ciphertext.length < V1_TAG_BYTES) throw new BlindvaultError('TRUNCATED');
  const backend = options.backend ?? webCryptoBackend;
  const key = await v1Key(options.passphrase, options.salt, backend);
  const plaintext = await key.open(options.iv, ciphertext, new Uint8Array());
  if (!plaintext) throw new BlindvaultError('WRONG_KEY');
  return plaintext;
}

/** Collects a v1 body from a stream, refusing (and cancelling the stream) once it passes the v1 limit. */
export async function readV1Body(stream: ReadableStream<Uint8Array>, maxBytes = V1_MAX_BYTES + V1_TAG_BYTES): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The v1 codec as one object: `v1.encrypt`, `v1.decrypt`, `v1.readBody`, `v1.MAX_BYTES`. */
export const v1 = Object.freeze({ encrypt: v1Encrypt, decrypt: v1Decrypt, readBody: readV1Body, MAX_BYTES: V1_MAX_BYTES });
