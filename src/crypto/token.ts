import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { Secret } from './secret.js';

/** Bearer tokens are 32 bytes from the CSPRNG, base64url without padding (43 characters). */
export const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';

export function createToken(): Secret<string> {
  return new Secret(toBase64Url(randomBytes(TOKEN_BYTES)));
}

/**
 * Tokens carry 256 bits of entropy, so one SHA-256 is enough to store them: nothing can be guessed
 * offline from the hash (a slow hash is for passwords). Returned as lower-case hex.
 */
export function hashToken(token: Secret<string>): string {
  return createHash('sha256').update(token.reveal(), 'utf8').digest('hex');
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatchesHash(token: Secret<string>, storedHashHex: string): boolean {
  if (fromBase64Url(token.reveal())?.length !== TOKEN_BYTES) return false;
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHashHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** Random identifiers for stored objects (UUID v4 from the CSPRNG). */
export function createId(): string {
  return randomUUID();
}

/** A vault session token: 64 bytes from the CSPRNG as 128 hex characters (spec §1.2). */
export function createSessionToken(): Secret<string> {
  return new Secret(randomBytes(64).toString('hex'));
}

/** How a session token is stored and looked up: SHA-512 of its UTF-8 text, 128 hex (spec §1.2, V15). */
export function hashSessionToken(token: Secret<string>): string {
  return createHash('sha512').update(token.reveal(), 'utf8').digest('hex');
}

/** Constant-time equality of two hex strings of public length (stored hashes, validators). */
export function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HMAC-SHA-256 (hex) of a text under a server key: equality lookups without storing the text. */
export function hmacSha256Hex(key: Uint8Array, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}
