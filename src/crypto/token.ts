// Bearer tokens, session tokens, their stored hashes and object ids. Portable (libsodium's WASM build and
// plain Uint8Array), so the SDK and the page can share TOKEN_PATTERN and the codecs with the server.
import { fromBase64Url, fromHex, toBase64Url, toHex, utf8Bytes } from './encoding.js';
import { Secret } from './secret.js';
import { TOKEN_BYTES } from './token-format.js';
import { sodium } from './sodium.js';

export { TOKEN_BYTES, TOKEN_PATTERN } from './token-format.js';

export function createToken(): Secret<string> {
  return new Secret(toBase64Url(sodium.randombytes_buf(TOKEN_BYTES)));
}

/**
 * Tokens carry 256 bits of entropy, so one SHA-256 is enough to store them: nothing can be guessed
 * offline from the hash (a slow hash is for passwords). Returned as lower-case hex.
 */
export function hashToken(token: Secret<string>): string {
  return toHex(sodium.crypto_hash_sha256(utf8Bytes(token.reveal())));
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatchesHash(token: Secret<string>, storedHashHex: string): boolean {
  if (fromBase64Url(token.reveal())?.length !== TOKEN_BYTES) return false;
  const presented = sodium.crypto_hash_sha256(utf8Bytes(token.reveal()));
  const stored = fromHex(storedHashHex);
  return stored !== undefined && stored.length === presented.length && sodium.memcmp(presented, stored);
}

/** Random identifiers for stored objects: UUID v4 (RFC 9562 §5.4) from the CSPRNG, lower case. */
export function createId(): string {
  const bytes = sodium.randombytes_buf(16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A vault session token: 64 bytes from the CSPRNG as 128 hex characters (spec §1.2). */
export function createSessionToken(): Secret<string> {
  return new Secret(toHex(sodium.randombytes_buf(64)));
}

/** How a session token is stored and looked up: SHA-512 of its UTF-8 text, 128 hex (spec §1.2, V15). */
export function hashSessionToken(token: Secret<string>): string {
  return toHex(sodium.crypto_hash_sha512(utf8Bytes(token.reveal())));
}

/** Constant-time equality of two hex strings of public length (stored hashes, validators). */
export function hexEqual(a: string, b: string): boolean {
  const x = utf8Bytes(a);
  const y = utf8Bytes(b);
  return x.length === y.length && sodium.memcmp(x, y);
}

/** HMAC-SHA-256 (hex) of a text under a server key of any length: equality lookups without storing the text. */
export function hmacSha256Hex(key: Uint8Array, text: string): string {
  const state = sodium.crypto_auth_hmacsha256_init(key);
  sodium.crypto_auth_hmacsha256_update(state, utf8Bytes(text));
  return toHex(sodium.crypto_auth_hmacsha256_final(state));
}
