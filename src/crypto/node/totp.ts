// Node-only: RFC 6238 TOTP (HMAC-SHA1 is not in libsodium) and the sealed form of a TOTP secret at rest
// (docs/formats/totp-secret-v1.md). client/ and protocol/ may not import this.
import { createHmac } from 'node:crypto';
import { fromHex, toHex } from '../encoding.js';
import { NONCE_BYTES, randomBytes, secretboxOpen, secretboxSeal } from '../nacl.js';
import { hexEqual } from '../token.js';

export const TOTP_SECRET_BYTES = 20;
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SEALED_VERSION = 0x01;
const SEALED_HEX_LENGTH = 2 * (1 + NONCE_BYTES + 16 + 16 + TOTP_SECRET_BYTES);

/** A fresh shared secret from the CSPRNG (RFC 4226 §4 recommends 160 bits). */
export function createTotpSecret(): Uint8Array {
  return randomBytes(TOTP_SECRET_BYTES);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: what authenticator apps take. */
export function toBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The RFC 4226 HOTP value of one counter, as a zero-padded decimal string. */
export function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

/** The TOTP time step of a moment (RFC 6238 §4: T0 = 0, X = 30 s). */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);
}

/**
 * The time step whose code equals `code`, among the current one and `window` steps either side; undefined when none
 * does. Every candidate is computed and compared in constant time, so the timing does not tell which step matched.
 */
export function matchTotp(secret: Uint8Array, code: string, at: Date, window = 1): number | undefined {
  const now = totpStep(at);
  let matched: number | undefined;
  for (let step = now - window; step <= now + window; step += 1) {
    if (hexEqual(hotp(secret, step), code) && matched === undefined) matched = step;
  }
  return matched;
}

const idBytes = (factorId: string) => fromHex(factorId.replaceAll('-', '').toLowerCase());

/** totp-secret-v1: version ‖ nonce ‖ secretbox(factor id ‖ secret), hex. */
export function sealTotpSecret(key: Uint8Array, factorId: string, secret: Uint8Array): string {
  const id = idBytes(factorId);
  if (id?.length !== 16 || secret.length !== TOTP_SECRET_BYTES) throw new RangeError('a TOTP secret is sealed with a UUID and 20 bytes');
  const plaintext = new Uint8Array(16 + TOTP_SECRET_BYTES);
  plaintext.set(id, 0);
  plaintext.set(secret, 16);
  const { ciphertext, nonce } = secretboxSeal(key, plaintext);
  plaintext.fill(0);
  return toHex(Uint8Array.of(SEALED_VERSION)) + toHex(nonce) + toHex(ciphertext);
}

/** The secret, or undefined for any other version, a wrong key, a tampered box or a box of another factor. */
export function openTotpSecret(key: Uint8Array, factorId: string, sealed: string): Uint8Array | undefined {
  if (sealed.length !== SEALED_HEX_LENGTH || !/^[0-9a-f]+$/.test(sealed)) return undefined;
  const bytes = fromHex(sealed);
  const id = idBytes(factorId);
  if (!bytes || id?.length !== 16 || bytes[0] !== SEALED_VERSION) return undefined;
  const opened = secretboxOpen(key, bytes.subarray(1 + NONCE_BYTES), bytes.subarray(1, 1 + NONCE_BYTES));
  if (opened?.length !== 16 + TOTP_SECRET_BYTES) return undefined;
  if (!hexEqual(toHex(opened.subarray(0, 16)), toHex(id))) return undefined;
  return opened.slice(16);
}
