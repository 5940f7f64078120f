// NaCl primitives (libsodium): secretbox, box, Ed25519 signatures, X25519 key pairs. Callers never
// choose a nonce: every seal draws a fresh 24-byte nonce from libsodium's CSPRNG and returns it.
import { sodium } from './sodium.js';

export const NONCE_BYTES = 24;
export const KEY_BYTES = 32;
export const MAC_BYTES = 16;
export const SIGNATURE_BYTES = 64;

export interface Sealed {
  ciphertext: Uint8Array;
  nonce: Uint8Array;
}

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function randomBytes(length: number): Uint8Array {
  return sodium.randombytes_buf(length);
}

/** XSalsa20-Poly1305 (crypto_secretbox_easy): ciphertext is tag ‖ encrypted bytes. */
export function secretboxSeal(key: Uint8Array, plaintext: Uint8Array): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  return { ciphertext: sodium.crypto_secretbox_easy(plaintext, nonce, key), nonce };
}

/** undefined when the key, nonce or ciphertext is wrong or tampered with (or has the wrong length). */
export function secretboxOpen(key: Uint8Array, ciphertext: Uint8Array, nonce: Uint8Array): Uint8Array | undefined {
  if (key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES || ciphertext.length < MAC_BYTES) return undefined;
  try {
    return sodium.crypto_secretbox_open_easy(ciphertext, nonce, key);
  } catch {
    return undefined;
  }
}

/** crypto_box_easy from the sender's X25519 secret key to the recipient's public key. */
export function boxSeal(senderSecretKey: Uint8Array, recipientPublicKey: Uint8Array, plaintext: Uint8Array): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  return { ciphertext: sodium.crypto_box_easy(plaintext, nonce, recipientPublicKey, senderSecretKey), nonce };
}

export function boxOpen(senderPublicKey: Uint8Array, recipientSecretKey: Uint8Array, ciphertext: Uint8Array, nonce: Uint8Array): Uint8Array | undefined {
  if (senderPublicKey.length !== KEY_BYTES || recipientSecretKey.length !== KEY_BYTES) return undefined;
  if (nonce.length !== NONCE_BYTES || ciphertext.length < MAC_BYTES) return undefined;
  try {
    return sodium.crypto_box_open_easy(ciphertext, nonce, senderPublicKey, recipientSecretKey);
  } catch {
    return undefined;
  }
}

export function boxKeyPair(): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, secretKey: privateKey };
}

/** The X25519 public key of a 32-byte secret key. */
export function boxPublicKey(secretKey: Uint8Array): Uint8Array {
  return sodium.crypto_scalarmult_base(secretKey);
}

/** Ed25519 key pair from a 32-byte seed; secretKey is libsodium's 64-byte form. */
export function signKeyPairFromSeed(seed: Uint8Array): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  return { publicKey, secretKey: privateKey };
}

export function signDetached(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(message, secretKey);
}

export function verifyDetached(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** Constant-time equality of two byte strings (false at once for different lengths, which are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b);
}
