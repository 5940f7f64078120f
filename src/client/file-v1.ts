// The SDK's side of format v1 (docs/formats/file-v1.md), over the v1 codec of src/crypto/v1.ts.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { v1Decrypt, v1Encrypt, type V1Sealed } from '../crypto/v1.js';

export { V1_MAX_BYTES } from '../crypto/v1.js';
export { randomPassphrase } from './random.js';

export function sealFileV1(plaintext: Uint8Array, passphrase: string, crypto?: CryptoBackend): Promise<V1Sealed> {
  return v1Encrypt(plaintext, passphrase, crypto ? { backend: crypto } : {});
}

/** WRONG_KEY for a wrong passphrase or an altered file (one-shot GCM cannot tell them apart). */
export function openFileV1(ciphertext: Uint8Array, salt: Uint8Array, iv: Uint8Array, passphrase: string, crypto?: CryptoBackend): Promise<Uint8Array> {
  return v1Decrypt(ciphertext, { passphrase, salt, iv, ...(crypto ? { backend: crypto } : {}) });
}
