// Digests the vault's clients show or store: the web client's breach-check prefix (§2.6 `password_hash`) and
// the public-key fingerprints the CLI shows before sharing (docs/formats/cli-session.md).
import { toHex, utf8Bytes } from './encoding.js';
import { sodium } from './sodium.js';

/** First `length` hex characters of SHA-1(utf8(text)); "" for "" (the web client's `password_hash`). */
export async function sha1HexPrefix(text: string, length = 5): Promise<string> {
  if (text === '') return '';
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', new Uint8Array(utf8Bytes(text))));
  return toHex(digest).slice(0, length);
}

/** SHA-256 of the raw key bytes, first 20 bytes as ten groups of four hex characters. */
export function keyFingerprint(publicKey: Uint8Array): string {
  const hex = toHex(sodium.crypto_hash_sha256(publicKey)).slice(0, 40);
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}
