// Fernet (the article seed's format; github.com/fernet/spec), interoperable with Python's `cryptography.fernet`:
// token = base64url(0x80 ‖ timestamp (u64, seconds) ‖ IV (16) ‖ AES-128-CBC(PKCS#7) ciphertext ‖ HMAC-SHA-256 (32)),
// under a 32-byte key whose first half signs and second half encrypts. Portable (WebCrypto by default).
//
//   const key = fernet.generateKey()                       // 44 characters of url-safe base64, as Python makes them
//   const token = await fernet.encrypt(key, 'text or bytes')
//   const bytes = await fernet.decrypt(key, token, { ttlSeconds: 3600 })   // FERNET_INVALID_TOKEN on any failure
//
// The IV comes from the CSPRNG; the MAC is checked (in constant time) before anything is decrypted. Like Python,
// the timestamp is checked only when a TTL is given: older than the TTL, or more than 60 s in the future, fails.
import { BlindvaultError } from '../protocol/errors.js';
import type { CryptoBackend } from './backend/crypto-backend.js';
import { webCryptoBackend } from './backend/webcrypto.js';
import { concatBytes, fromBase64, toBase64, utf8Bytes } from './encoding.js';
import { Secret } from './secret.js';

const VERSION = 0x80;
const KEY_BYTES = 32;
const IV_BYTES = 16;
const MAC_BYTES = 32;
const BLOCK = 16;
const HEADER_BYTES = 1 + 8 + IV_BYTES;
/** Python's _MAX_CLOCK_SKEW. */
export const FERNET_MAX_CLOCK_SKEW_SECONDS = 60;

export interface FernetOptions {
  backend?: CryptoBackend;
  /** The time to stamp or check against; default now. */
  now?: Date;
}

type KeyInput = Secret<string> | string;

const toUrlSafe = (b64: string) => b64.replaceAll('+', '-').replaceAll('/', '_');

/** Padded url-safe base64, canonical (what Python's base64.urlsafe_b64encode writes); undefined otherwise. */
function fromUrlSafeBase64(text: string): Uint8Array | undefined {
  if (/[+/]/.test(text)) return undefined;
  return fromBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
}

function splitKey(key: KeyInput): { signingKey: Uint8Array; encryptionKey: Uint8Array } {
  const bytes = fromUrlSafeBase64(key instanceof Secret ? key.reveal() : key);
  if (bytes?.length !== KEY_BYTES) throw new BlindvaultError('FERNET_INVALID_KEY');
  return { signingKey: bytes.slice(0, 16), encryptionKey: bytes.slice(16) };
}

export function generateKey(backend: CryptoBackend = webCryptoBackend): string {
  return toUrlSafe(toBase64(backend.randomBytes(KEY_BYTES)));
}

export async function encrypt(key: KeyInput, data: Uint8Array | string, options: FernetOptions = {}): Promise<string> {
  const backend = options.backend ?? webCryptoBackend;
  const { signingKey, encryptionKey } = splitKey(key);
  const iv = backend.randomBytes(IV_BYTES);
  const stamp = new Uint8Array(8);
  new DataView(stamp.buffer).setBigUint64(0, BigInt(Math.floor((options.now ?? new Date()).getTime() / 1000)));
  const ciphertext = await backend.aesCbcEncrypt(encryptionKey, iv, typeof data === 'string' ? utf8Bytes(data) : data);
  const signed = concatBytes(Uint8Array.of(VERSION), stamp, iv, ciphertext);
  return toUrlSafe(toBase64(concatBytes(signed, await backend.hmacSha256(signingKey, signed))));
}

/** The token's plaintext; FERNET_INVALID_TOKEN for every failure, as Python's InvalidToken. */
export async function decrypt(key: KeyInput, token: string, options: FernetOptions & { ttlSeconds?: number } = {}): Promise<Uint8Array> {
  const backend = options.backend ?? webCryptoBackend;
  const { signingKey, encryptionKey } = splitKey(key);
  const invalid = (reason: string) => new BlindvaultError('FERNET_INVALID_TOKEN', { reason });
  const data = fromUrlSafeBase64(token);
  if (!data) throw invalid('not url-safe base64');
  if (data.length < HEADER_BYTES + BLOCK + MAC_BYTES || (data.length - HEADER_BYTES - MAC_BYTES) % BLOCK !== 0) throw invalid('wrong length');
  if (data[0] !== VERSION) throw invalid('unknown version');
  if (options.ttlSeconds !== undefined) {
    const timestamp = Number(new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0));
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    if (timestamp + options.ttlSeconds < now) throw invalid('expired');
    if (now + FERNET_MAX_CLOCK_SKEW_SECONDS < timestamp) throw invalid('from the future');
  }
  const signed = data.subarray(0, data.length - MAC_BYTES);
  if (!backend.constantTimeEqual(await backend.hmacSha256(signingKey, signed), data.subarray(data.length - MAC_BYTES))) throw invalid('bad MAC');
  const plaintext = await backend.aesCbcDecrypt(encryptionKey, data.slice(9, HEADER_BYTES), data.slice(HEADER_BYTES, data.length - MAC_BYTES));
  if (!plaintext) throw invalid('bad padding');
  return plaintext;
}

/** The Fernet codec as one object: `fernet.generateKey`, `fernet.encrypt`, `fernet.decrypt`. */
export const fernet = Object.freeze({ generateKey, encrypt, decrypt });
