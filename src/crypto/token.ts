import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
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
