// Psono client-side key derivation (vault-protocol.md §2.1–§2.3): the authkey a client proves its password with,
// and the key-encryption key (KEK) that wraps the user's private and secret keys. Both are scrypt (RFC 7914) over the
// UTF-8 password with a salt that is itself a hex digest *string*; vectors V1–V6 of §2.10.
// Portable: libsodium's WASM build (scrypt, SHA-2), the same in Node and in browsers.
import { toHex, utf8Bytes } from './encoding.js';
import { sodium } from './sodium.js';

/** scrypt cost: N = 2^u, block size r, parallelism p, output length l bytes (Psono's `hashing_parameters`). */
export type HashingParameters = { u: number; r: number; p: number; l: number };

/** Psono's defaults, which are also the floors (§2.1). */
export const DEFAULT_HASHING_PARAMETERS: Readonly<HashingParameters> = Object.freeze({ u: 14, r: 8, p: 1, l: 64 });

/** Inclusive bounds of §2.1: clients never go below the defaults; BV refuses anything above the ceilings. */
export const HASHING_PARAMETER_BOUNDS: Readonly<Record<keyof HashingParameters, readonly [number, number]>> = Object.freeze({
  u: [14, 20],
  r: [8, 32],
  p: [1, 16],
  l: [64, 128],
});

/** Lower-case hex SHA-512 of the UTF-8 bytes of `text`. */
export function sha512Hex(text: string): string {
  return toHex(sodium.crypto_hash_sha512(utf8Bytes(text)));
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return toHex(sodium.crypto_hash_sha256(utf8Bytes(text)));
}

/**
 * authkey = hex(scrypt(utf8(password), utf8(sha512hex(lowercase(username))), params)): 2·l hex characters
 * (128 for the default l = 64). Throws RangeError for parameters outside §2.1's bounds, before any work.
 */
export async function deriveAuthkey(username: string, password: string, params: HashingParameters): Promise<string> {
  checkHashingParameters(params);
  const derived = await scryptBytes(password, sha512Hex(username.toLowerCase()), params);
  return toHex(derived);
}

/**
 * KEK = bytes(sha256hex(hex(scrypt(utf8(password), utf8(sha512hex(user_sauce)), params)))): 32 bytes.
 * Throws RangeError for parameters outside §2.1's bounds, before any work.
 */
export async function deriveKek(password: string, userSauce: string, params: HashingParameters): Promise<Uint8Array> {
  checkHashingParameters(params);
  const derived = await scryptBytes(password, sha512Hex(userSauce), params);
  return sodium.crypto_hash_sha256(utf8Bytes(toHex(derived)));
}

/** Throws RangeError unless every parameter is an integer inside HASHING_PARAMETER_BOUNDS. */
export function checkHashingParameters(params: HashingParameters): void {
  for (const name of ['u', 'r', 'p', 'l'] as const) {
    const value = params[name];
    const [min, max] = HASHING_PARAMETER_BOUNDS[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`hashing parameter ${name} must be an integer in [${min}, ${max}]`);
    }
  }
}

/** scrypt (RFC 7914) as libsodium's crypto_pwhash_scryptsalsa208sha256_ll; the bounds were checked by the caller. */
async function scryptBytes(password: string, saltText: string, params: HashingParameters): Promise<Uint8Array> {
  return sodium.crypto_pwhash_scryptsalsa208sha256_ll(utf8Bytes(password), utf8Bytes(saltText), 2 ** params.u, params.r, params.p, params.l);
}
