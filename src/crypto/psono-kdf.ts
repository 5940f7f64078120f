// Psono client-side key derivation (vault-protocol.md §2.1–§2.3): the authkey a client proves its password with,
// and the key-encryption key (KEK) that wraps the user's private and secret keys. Both are scrypt (RFC 7914) over the
// UTF-8 password with a salt that is itself a hex digest *string*; vectors V1–V6 of §2.10.
import { createHash, scrypt } from 'node:crypto';

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
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * authkey = hex(scrypt(utf8(password), utf8(sha512hex(lowercase(username))), params)): 2·l hex characters
 * (128 for the default l = 64). Throws RangeError for parameters outside §2.1's bounds, before any work.
 */
export async function deriveAuthkey(username: string, password: string, params: HashingParameters): Promise<string> {
  checkHashingParameters(params);
  const derived = await scryptBytes(password, sha512Hex(username.toLowerCase()), params);
  return Buffer.from(derived).toString('hex');
}

/**
 * KEK = bytes(sha256hex(hex(scrypt(utf8(password), utf8(sha512hex(user_sauce)), params)))): 32 bytes.
 * Throws RangeError for parameters outside §2.1's bounds, before any work.
 */
export async function deriveKek(password: string, userSauce: string, params: HashingParameters): Promise<Uint8Array> {
  checkHashingParameters(params);
  const derived = await scryptBytes(password, sha512Hex(userSauce), params);
  return new Uint8Array(createHash('sha256').update(Buffer.from(derived).toString('hex'), 'utf8').digest());
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

function scryptBytes(password: string, saltText: string, params: HashingParameters): Promise<Uint8Array> {
  const N = 2 ** params.u;
  // OpenSSL needs 128·r·(N + 2) bytes for V plus 128·r·p for B; add 1 MiB of slack. At the ceilings
  // (u 20, r 32, p 16) this is about 4 GiB, which is why the bounds are checked first.
  const maxmem = 128 * params.r * (N + params.p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), Buffer.from(saltText, 'utf8'), params.l, { N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}
