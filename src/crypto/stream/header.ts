// The v2 header (docs/formats/file-v2.md): encode, parse with every bound checked before any work, derive the
// file's keys and its header MAC. Pure functions; no stream here.
import { BlindvaultError } from '../../protocol/errors.js';
import type { Argon2idParams, CryptoBackend } from '../backend/crypto-backend.js';
import { concatBytes, utf8Bytes } from '../encoding.js';

export const V2_MAGIC = utf8Bytes('BVFILE');
export const V2_VERSION = 0x02;
export const KEY_MODE_RANDOM = 0x01;
export const KEY_MODE_PASSPHRASE = 0x02;
export const KDF_ARGON2ID = 0x01;
export const FILE_KEY_BYTES = 32;
export const STREAM_NONCE_BYTES = 16;
export const KDF_SALT_BYTES = 16;
export const HEADER_MAC_BYTES = 32;
export const TAG_BYTES = 16;
/** Bytes 0–8: magic, version, key mode, record size exponent: enough to know the header's length. */
export const HEADER_PREFIX_BYTES = 9;
export const RANDOM_KEY_HEADER_BYTES = HEADER_PREFIX_BYTES + STREAM_NONCE_BYTES + HEADER_MAC_BYTES; // 57
export const PASSPHRASE_HEADER_BYTES = HEADER_PREFIX_BYTES + 1 + 4 + 4 + KDF_SALT_BYTES + STREAM_NONCE_BYTES + HEADER_MAC_BYTES; // 82
export const MAX_HEADER_BYTES = PASSPHRASE_HEADER_BYTES;

/** The allowed record sizes (plaintext bytes per record), by exponent: 16 KiB, 64 KiB, 256 KiB, 1 MiB. */
export const RECORD_SIZE_EXPONENTS = [14, 16, 18, 20] as const;
export const RECORD_SIZES: readonly number[] = RECORD_SIZE_EXPONENTS.map((e) => 2 ** e);
export const DEFAULT_RECORD_SIZE = 2 ** 18;
/** At most 2^32 records per file. */
export const MAX_RECORDS = 2 ** 32;

export const ARGON2ID_FLOOR: Readonly<Argon2idParams> = Object.freeze({ opsLimit: 2, memLimitKiB: 19_456 });
export const ARGON2ID_CEILING: Readonly<Argon2idParams> = Object.freeze({ opsLimit: 10, memLimitKiB: 262_144 });
export const ARGON2ID_DEFAULT: Readonly<Argon2idParams> = Object.freeze({ opsLimit: 3, memLimitKiB: 65_536 });

export type V2Kdf = { id: 'argon2id'; opsLimit: number; memLimitKiB: number; salt: Uint8Array };

/** The header's fields as parsed or about to be encoded (without its MAC). */
export type V2HeaderFields =
  | { keyMode: 'key'; recordSize: number; streamNonce: Uint8Array }
  | { keyMode: 'passphrase'; recordSize: number; kdf: V2Kdf; streamNonce: Uint8Array };

export interface V2Header {
  fields: V2HeaderFields;
  /** The whole header as it is on the wire: fields ‖ MAC. */
  bytes: Uint8Array;
  mac: Uint8Array;
}

const badHeader = (reason: string) => new BlindvaultError('BAD_HEADER', { reason });

export function checkRecordSize(recordSize: number): number {
  const exponent = Math.log2(recordSize);
  if (!(RECORD_SIZE_EXPONENTS as readonly number[]).includes(exponent)) throw new BlindvaultError('INVALID_KDF_PARAMETERS', { reason: `record size must be one of ${RECORD_SIZES.join(', ')}` });
  return exponent;
}

/** Throws INVALID_KDF_PARAMETERS unless t and m are integers inside the floors and ceilings. */
export function checkArgon2idParams(params: Argon2idParams): void {
  const { opsLimit, memLimitKiB } = params;
  if (!Number.isInteger(opsLimit) || opsLimit < ARGON2ID_FLOOR.opsLimit || opsLimit > ARGON2ID_CEILING.opsLimit) {
    throw new BlindvaultError('INVALID_KDF_PARAMETERS', { reason: `Argon2id opsLimit must be in [${ARGON2ID_FLOOR.opsLimit}, ${ARGON2ID_CEILING.opsLimit}]` });
  }
  if (!Number.isInteger(memLimitKiB) || memLimitKiB < ARGON2ID_FLOOR.memLimitKiB || memLimitKiB > ARGON2ID_CEILING.memLimitKiB) {
    throw new BlindvaultError('INVALID_KDF_PARAMETERS', { reason: `Argon2id memLimitKiB must be in [${ARGON2ID_FLOOR.memLimitKiB}, ${ARGON2ID_CEILING.memLimitKiB}]` });
  }
}

export function headerLengthOf(keyMode: V2HeaderFields['keyMode']): number {
  return keyMode === 'key' ? RANDOM_KEY_HEADER_BYTES : PASSPHRASE_HEADER_BYTES;
}

/** The header fields' bytes (everything the MAC covers). */
export function encodeHeaderFields(fields: V2HeaderFields): Uint8Array {
  const exponent = checkRecordSize(fields.recordSize);
  if (fields.streamNonce.length !== STREAM_NONCE_BYTES) throw new RangeError('stream nonce must be 16 bytes');
  const prefix = concatBytes(V2_MAGIC, Uint8Array.of(V2_VERSION, fields.keyMode === 'key' ? KEY_MODE_RANDOM : KEY_MODE_PASSPHRASE, exponent));
  if (fields.keyMode === 'key') return concatBytes(prefix, fields.streamNonce);
  checkArgon2idParams(fields.kdf);
  if (fields.kdf.salt.length !== KDF_SALT_BYTES) throw new RangeError('KDF salt must be 16 bytes');
  const costs = new Uint8Array(9);
  const view = new DataView(costs.buffer);
  costs[0] = KDF_ARGON2ID;
  view.setUint32(1, fields.kdf.opsLimit);
  view.setUint32(5, fields.kdf.memLimitKiB);
  return concatBytes(prefix, costs, fields.kdf.salt, fields.streamNonce);
}

/**
 * The header length announced by its first 9 bytes, or BAD_HEADER if they are not a v2 header.
 * Lets a streaming reader know how much to wait for before parsing.
 */
export function headerLengthFromPrefix(prefix: Uint8Array): number {
  if (prefix.length < HEADER_PREFIX_BYTES) throw new RangeError('need the 9-byte header prefix');
  // The magic is public: a plain comparison.
  if (V2_MAGIC.some((byte, i) => prefix[i] !== byte)) throw badHeader('not a Blindvault v2 file (magic)');
  if (prefix[6] !== V2_VERSION) throw badHeader(`unsupported version ${prefix[6]}`);
  const exponent = prefix[8] as number;
  if (!(RECORD_SIZE_EXPONENTS as readonly number[]).includes(exponent)) throw badHeader(`record size exponent ${exponent} is not allowed`);
  if (prefix[7] === KEY_MODE_RANDOM) return RANDOM_KEY_HEADER_BYTES;
  if (prefix[7] === KEY_MODE_PASSPHRASE) return PASSPHRASE_HEADER_BYTES;
  throw badHeader(`unknown key mode ${prefix[7]}`);
}

/**
 * Parses a v2 header from the start of `bytes` (extra bytes after it are ignored). Every value is checked against
 * the allowed set and the floors and ceilings before anything is derived. BAD_HEADER when malformed or short.
 * The MAC is not checked here: that needs the key (verifyHeader).
 */
export function parseV2Header(bytes: Uint8Array): V2Header {
  if (bytes.length < HEADER_PREFIX_BYTES) throw badHeader('shorter than a header');
  const length = headerLengthFromPrefix(bytes);
  if (bytes.length < length) throw badHeader('shorter than a header');
  const header = bytes.slice(0, length);
  const recordSize = 2 ** (header[8] as number);
  const mac = header.slice(length - HEADER_MAC_BYTES);
  if (header[7] === KEY_MODE_RANDOM) {
    return { fields: { keyMode: 'key', recordSize, streamNonce: header.slice(9, 25) }, bytes: header, mac };
  }
  if (header[9] !== KDF_ARGON2ID) throw badHeader(`unknown KDF ${header[9]}`);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const opsLimit = view.getUint32(10);
  const memLimitKiB = view.getUint32(14);
  try {
    checkArgon2idParams({ opsLimit, memLimitKiB });
  } catch {
    throw badHeader('Argon2id parameters outside the floors and ceilings');
  }
  return {
    fields: { keyMode: 'passphrase', recordSize, kdf: { id: 'argon2id', opsLimit, memLimitKiB, salt: header.slice(18, 34) }, streamNonce: header.slice(34, 50) },
    bytes: header,
    mac,
  };
}

/** file_key = Argon2id(NFC(passphrase) as UTF-8, salt, t, m): the parameters are checked first. */
export async function deriveFileKeyFromPassphrase(passphrase: string, kdf: V2Kdf, backend: CryptoBackend): Promise<Uint8Array> {
  checkArgon2idParams(kdf);
  if (kdf.salt.length !== KDF_SALT_BYTES) throw new RangeError('KDF salt must be 16 bytes');
  return backend.argon2id(utf8Bytes(passphrase.normalize('NFC')), kdf.salt, kdf, FILE_KEY_BYTES);
}

const HEADER_INFO = utf8Bytes('blindvault/file-v2/header');
const PAYLOAD_INFO = utf8Bytes('blindvault/file-v2/payload');

export async function computeHeaderMac(fileKey: Uint8Array, fieldBytes: Uint8Array, backend: CryptoBackend): Promise<Uint8Array> {
  const macKey = await backend.hkdfSha256(fileKey, new Uint8Array(), HEADER_INFO, 32);
  return backend.hmacSha256(macKey, fieldBytes);
}

export async function derivePayloadKey(fileKey: Uint8Array, streamNonce: Uint8Array, backend: CryptoBackend): Promise<Uint8Array> {
  return backend.hkdfSha256(fileKey, streamNonce, PAYLOAD_INFO, 32);
}

/** WRONG_KEY unless the header's MAC verifies under this file key (constant-time comparison). */
export async function verifyHeader(header: V2Header, fileKey: Uint8Array, backend: CryptoBackend): Promise<void> {
  const expected = await computeHeaderMac(fileKey, header.bytes.subarray(0, header.bytes.length - HEADER_MAC_BYTES), backend);
  if (!backend.constantTimeEqual(expected, header.mac)) throw new BlindvaultError('WRONG_KEY');
}

/** The ciphertext size of a plaintext of `plaintextBytes` under a header of this length and record size. */
export function v2CiphertextSize(plaintextBytes: number, headerBytes: number, recordSize: number): number {
  const records = Math.max(1, Math.ceil(plaintextBytes / recordSize));
  return headerBytes + plaintextBytes + TAG_BYTES * records;
}

/** The plaintext size of a well-formed v2 ciphertext of `ciphertextBytes`, or undefined if no plaintext has it. */
export function v2PlaintextSize(ciphertextBytes: number, headerBytes: number, recordSize: number): number | undefined {
  const body = ciphertextBytes - headerBytes;
  if (!Number.isSafeInteger(body) || body < TAG_BYTES) return undefined;
  const sealedRecord = recordSize + TAG_BYTES;
  const fullRecords = Math.floor((body - 1) / sealedRecord);
  const last = body - fullRecords * sealedRecord;
  if (last <= TAG_BYTES && fullRecords > 0) return undefined;
  if (fullRecords + 1 > MAX_RECORDS) return undefined;
  return fullRecords * recordSize + (last - TAG_BYTES);
}
