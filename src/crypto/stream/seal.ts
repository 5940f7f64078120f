// Sealing side of format v2 (docs/formats/file-v2.md). `sealRecord` is the pure function over one record; the
// encryptor adapts it to a WHATWG TransformStream (Node 20 has them too). Callers never choose a nonce: the
// record nonce is the record's index and last flag, under a payload key unique to the header's stream nonce.
import { BlindvaultError } from '../../protocol/errors.js';
import type { Aes256GcmKey, Argon2idParams, CryptoBackend } from '../backend/crypto-backend.js';
import { webCryptoBackend } from '../backend/webcrypto.js';
import { concatBytes } from '../encoding.js';
import { Secret } from '../secret.js';
import { ByteQueue } from './byte-queue.js';
import {
  ARGON2ID_DEFAULT,
  DEFAULT_RECORD_SIZE,
  FILE_KEY_BYTES,
  KDF_SALT_BYTES,
  MAX_RECORDS,
  STREAM_NONCE_BYTES,
  TAG_BYTES,
  checkArgon2idParams,
  checkRecordSize,
  computeHeaderMac,
  deriveFileKeyFromPassphrase,
  derivePayloadKey,
  encodeHeaderFields,
  parseV2Header,
  verifyHeader,
  type V2Header,
  type V2HeaderFields,
} from './header.js';

/** nonce_i = uint88(i) ‖ last flag. */
export function recordNonce(index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_RECORDS) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'record index out of range' });
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(3, Math.floor(index / 2 ** 32));
  view.setUint32(7, index >>> 0);
  nonce[11] = last ? 0x01 : 0x00;
  return nonce;
}

/** Seals one record: AES-256-GCM(payload key, nonce_i, plaintext, no AAD). */
export function sealRecord(payloadKey: Aes256GcmKey, index: number, last: boolean, plaintext: Uint8Array): Promise<Uint8Array> {
  return payloadKey.seal(recordNonce(index, last), plaintext, new Uint8Array());
}

/** Where a resumed upload restarts, given how many ciphertext bytes the server already holds. */
export interface ResumePoint {
  /** The first record to seal again (`sealFrom(recordIndex)`). */
  recordIndex: number;
  /** Where in the plaintext that record starts: feed the sealer from here. */
  plaintextOffset: number;
  /** How many bytes of the sealer's output the server already has: drop them, send the rest. */
  skipBytes: number;
  /** The part of the header the server lacks (empty once it holds the whole header): send it first. */
  headerTail: Uint8Array;
}

export interface V2EncryptorOptions {
  /** A random 32-byte file key (createFileKey()), or a passphrase; never both. */
  key?: Secret<Uint8Array> | Uint8Array;
  passphrase?: Secret<string> | string;
  /** Plaintext bytes per record: one of RECORD_SIZES. Default 256 KiB. */
  recordSize?: number;
  /** Argon2id cost for a passphrase; default t = 3, m = 64 MiB; checked against the floors and ceilings. */
  kdfParams?: Argon2idParams;
  /** Default: the portable WebCrypto backend. The CLI passes the Node backend (src/crypto/node/). */
  backend?: CryptoBackend;
}

export interface V2Encryptor {
  /** The header bytes, which the stream from `transform()` starts with. */
  readonly header: Uint8Array;
  readonly headerLength: number;
  readonly recordSize: number;
  readonly keyMode: 'key' | 'passphrase';
  /** The file key (random or derived): keep it for a resume, put it in the link (random key only). */
  readonly fileKey: Secret<Uint8Array>;
  /** plaintext → header ‖ records. Single use: one encryptor makes one stream. */
  transform(): TransformStream<Uint8Array, Uint8Array>;
  /** plaintext from record `recordIndex` on (offset recordIndex·recordSize) → records from there, no header. */
  sealFrom(recordIndex: number): TransformStream<Uint8Array, Uint8Array>;
  /** The restart point for a server that holds `storedBytes` bytes of this file's ciphertext. */
  resumePoint(storedBytes: number): ResumePoint;
  /** Ciphertext size for a plaintext of this many bytes. */
  ciphertextSize(plaintextBytes: number): number;
}

const reveal = <T>(value: Secret<T> | T): T => (value instanceof Secret ? value.reveal() : value);

function keyOptions(options: { key?: Secret<Uint8Array> | Uint8Array; passphrase?: Secret<string> | string }) {
  if ((options.key === undefined) === (options.passphrase === undefined)) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'give a key or a passphrase, not both or neither' });
  if (options.key !== undefined && reveal(options.key).length !== FILE_KEY_BYTES) throw new BlindvaultError('INVALID_FILE_KEY');
}

/** A new v2 encryptor with a fresh header (fresh stream nonce, and salt for a passphrase). */
export async function createV2Encryptor(options: V2EncryptorOptions): Promise<V2Encryptor> {
  keyOptions(options);
  const backend = options.backend ?? webCryptoBackend;
  const recordSize = options.recordSize ?? DEFAULT_RECORD_SIZE;
  checkRecordSize(recordSize);
  const streamNonce = backend.randomBytes(STREAM_NONCE_BYTES);
  let fields: V2HeaderFields;
  let fileKey: Uint8Array;
  if (options.passphrase !== undefined) {
    const params = options.kdfParams ?? ARGON2ID_DEFAULT;
    checkArgon2idParams(params);
    const kdf = { id: 'argon2id' as const, opsLimit: params.opsLimit, memLimitKiB: params.memLimitKiB, salt: backend.randomBytes(KDF_SALT_BYTES) };
    fields = { keyMode: 'passphrase', recordSize, kdf, streamNonce };
    fileKey = await deriveFileKeyFromPassphrase(reveal(options.passphrase), kdf, backend);
  } else {
    fields = { keyMode: 'key', recordSize, streamNonce };
    fileKey = reveal(options.key as Secret<Uint8Array> | Uint8Array).slice();
  }
  const fieldBytes = encodeHeaderFields(fields);
  const header = concatBytes(fieldBytes, await computeHeaderMac(fileKey, fieldBytes, backend));
  return buildEncryptor(parseV2Header(header), fileKey, backend);
}

/**
 * An encryptor for an upload that already started: the same header and key give the same ciphertext, so
 * `sealFrom(resumePoint(stored).recordIndex)` continues it. WRONG_KEY if the key does not match the header.
 * Only for the same plaintext: see docs/formats/file-v2.md, "Resuming an upload".
 */
export async function resumeV2Encryptor(options: { header: Uint8Array; key?: Secret<Uint8Array> | Uint8Array; passphrase?: Secret<string> | string; backend?: CryptoBackend }): Promise<V2Encryptor> {
  keyOptions(options);
  const backend = options.backend ?? webCryptoBackend;
  const header = parseV2Header(options.header);
  if (header.bytes.length !== options.header.length) throw new BlindvaultError('BAD_HEADER', { reason: 'bytes after the header' });
  const fileKey = await fileKeyFor(header, options, backend);
  await verifyHeader(header, fileKey, backend);
  return buildEncryptor(header, fileKey, backend);
}

/** The file key for this header from a key or passphrase (KEY_MODE_MISMATCH if the wrong one was given). */
export async function fileKeyFor(header: V2Header, options: { key?: Secret<Uint8Array> | Uint8Array; passphrase?: Secret<string> | string }, backend: CryptoBackend): Promise<Uint8Array> {
  const { fields } = header;
  if (fields.keyMode === 'key') {
    if (options.key === undefined) throw new BlindvaultError('KEY_MODE_MISMATCH', { needs: 'key' });
    const key = reveal(options.key);
    if (key.length !== FILE_KEY_BYTES) throw new BlindvaultError('INVALID_FILE_KEY');
    return key.slice();
  }
  if (options.passphrase === undefined) throw new BlindvaultError('KEY_MODE_MISMATCH', { needs: 'passphrase' });
  return deriveFileKeyFromPassphrase(reveal(options.passphrase), fields.kdf, backend);
}

async function buildEncryptor(header: V2Header, fileKey: Uint8Array, backend: CryptoBackend): Promise<V2Encryptor> {
  const { recordSize } = header.fields;
  const aead = await backend.importAes256Gcm(await derivePayloadKey(fileKey, header.fields.streamNonce, backend));
  const headerLength = header.bytes.length;
  const sealed = recordSize + TAG_BYTES;
  let used = false;
  const once = () => {
    if (used) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'an encryptor seals one stream' });
    used = true;
  };
  return {
    header: header.bytes.slice(),
    headerLength,
    recordSize,
    keyMode: header.fields.keyMode,
    fileKey: new Secret(fileKey),
    transform() {
      once();
      return recordSealer(aead, recordSize, 0, header.bytes.slice());
    },
    sealFrom(recordIndex) {
      if (!Number.isSafeInteger(recordIndex) || recordIndex < 0 || recordIndex >= MAX_RECORDS) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'record index out of range' });
      once();
      return recordSealer(aead, recordSize, recordIndex, undefined);
    },
    resumePoint(storedBytes) {
      if (!Number.isSafeInteger(storedBytes) || storedBytes < 0) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'stored bytes must be a whole number' });
      if (storedBytes < headerLength) return { recordIndex: 0, plaintextOffset: 0, skipBytes: 0, headerTail: header.bytes.slice(storedBytes) };
      const recordIndex = Math.floor((storedBytes - headerLength) / sealed);
      return { recordIndex, plaintextOffset: recordIndex * recordSize, skipBytes: storedBytes - headerLength - recordIndex * sealed, headerTail: new Uint8Array() };
    },
    ciphertextSize(plaintextBytes) {
      return headerLength + plaintextBytes + TAG_BYTES * Math.max(1, Math.ceil(plaintextBytes / recordSize));
    },
  };
}

/**
 * Cuts the plaintext into records and seals each. A full record is held back until one more byte arrives (or the
 * stream ends), since only then is it known whether it is the final one.
 */
function recordSealer(aead: Aes256GcmKey, recordSize: number, firstIndex: number, header: Uint8Array | undefined): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  // A record's plaintext that spans input pieces is assembled here; sealing copies it, so one buffer serves all.
  let scratch: Uint8Array | undefined;
  let index = firstIndex;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      if (header) controller.enqueue(header);
    },
    async transform(chunk, controller) {
      queue.push(chunk);
      while (queue.length > recordSize) {
        const plaintext = queue.contiguous(recordSize) ? queue.take(recordSize) : queue.takeInto((scratch ??= new Uint8Array(recordSize)));
        controller.enqueue(await sealRecord(aead, index, false, plaintext));
        index += 1;
      }
    },
    async flush(controller) {
      // The final record: 1…recordSize bytes, or empty only when it is the whole (empty) file.
      if (queue.length === 0 && index > 0) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'no plaintext for the final record' });
      controller.enqueue(await sealRecord(aead, index, true, queue.take(queue.length)));
    },
  });
}
