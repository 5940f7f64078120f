// The vault's object encryption (spec §2.4): JSON and key strings sealed with secretbox under 32-byte keys that
// travel as 64 hex, and boxes between users' X25519 keys. Hex text on the wire, bytes everywhere else.
import { fromHex, toHex, utf8Bytes, utf8Text } from '../../crypto/encoding.js';
import { boxOpen, boxSeal, KEY_BYTES, randomBytes, secretboxOpen, secretboxSeal } from '../../crypto/nacl.js';
import { BlindvaultError } from '../../protocol/errors.js';

export interface SealedHex {
  text: string;
  nonce: string;
}

export function newObjectKeyHex(): string {
  return toHex(randomBytes(KEY_BYTES));
}

export function keyBytes(hex: string, what: string): Uint8Array {
  const key = fromHex(hex.toLowerCase());
  if (!key || key.length !== KEY_BYTES) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what} is not a 32-byte key` });
  return key;
}

export function sealText(key: Uint8Array, plaintext: string): SealedHex {
  const sealed = secretboxSeal(key, utf8Bytes(plaintext));
  return { text: toHex(sealed.ciphertext), nonce: toHex(sealed.nonce) };
}

export function openText(key: Uint8Array, text: unknown, nonce: unknown, what: string): string {
  const ct = typeof text === 'string' ? fromHex(text.toLowerCase()) : undefined;
  const n = typeof nonce === 'string' ? fromHex(nonce.toLowerCase()) : undefined;
  const opened = ct && n ? secretboxOpen(key, ct, n) : undefined;
  const plain = opened ? utf8Text(opened) : undefined;
  if (plain === undefined) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what} does not decrypt` });
  return plain;
}

export function sealJsonHex(keyHex: string, value: unknown): SealedHex {
  return sealText(keyBytes(keyHex, 'object key'), JSON.stringify(value));
}

export function openJsonHex(keyHex: string, text: unknown, nonce: unknown, what: string): unknown {
  const plain = openText(keyBytes(keyHex, 'object key'), text, nonce, what);
  try {
    return JSON.parse(plain) as unknown;
  } catch {
    throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what} is not JSON` });
  }
}

export function boxText(senderSecretKey: Uint8Array, recipientPublicKeyHex: string, plaintext: string): SealedHex {
  const sealed = boxSeal(senderSecretKey, keyBytes(recipientPublicKeyHex, 'public key'), utf8Bytes(plaintext));
  return { text: toHex(sealed.ciphertext), nonce: toHex(sealed.nonce) };
}

export function unboxText(senderPublicKeyHex: string, recipientSecretKey: Uint8Array, text: unknown, nonce: unknown, what: string): string {
  const ct = typeof text === 'string' ? fromHex(text.toLowerCase()) : undefined;
  const n = typeof nonce === 'string' ? fromHex(nonce.toLowerCase()) : undefined;
  const opened = ct && n ? boxOpen(keyBytes(senderPublicKeyHex, 'public key'), recipientSecretKey, ct, n) : undefined;
  const plain = opened ? utf8Text(opened) : undefined;
  if (plain === undefined) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what} does not open with the sender's key` });
  return plain;
}
