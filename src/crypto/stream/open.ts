// Opening side of format v2 (docs/formats/file-v2.md). `openRecord` is the pure function over one record;
// V2Decoder is the state machine (header, then records); createV2Decryptor and openV2 adapt it to WHATWG streams.
// No plaintext of a record is released before its tag verifies, and an error ends the stream: truncation,
// reordering, duplication, appended bytes and flipped bytes all fail (BAD_HEADER, WRONG_KEY, DECRYPTION_FAILED,
// TRUNCATED). Callers that write plaintext to a file write it under a temporary name and rename it at the end.
import { BlindvaultError } from '../../protocol/errors.js';
import type { Aes256GcmKey, CryptoBackend } from '../backend/crypto-backend.js';
import { webCryptoBackend } from '../backend/webcrypto.js';
import type { Secret } from '../secret.js';
import { ByteQueue } from './byte-queue.js';
import { HEADER_PREFIX_BYTES, MAX_RECORDS, TAG_BYTES, V2_MAGIC, V2_VERSION, derivePayloadKey, headerLengthFromPrefix, parseV2Header, verifyHeader, type V2Header } from './header.js';
import { fileKeyFor, recordNonce } from './seal.js';

/** Opens one record; undefined when its tag does not verify at this index with this last flag. */
export function openRecord(payloadKey: Aes256GcmKey, index: number, last: boolean, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  return payloadKey.open(recordNonce(index, last), sealed, new Uint8Array());
}

export interface V2OpenOptions {
  key?: Secret<Uint8Array> | Uint8Array;
  passphrase?: Secret<string> | string;
  /** Default: the portable WebCrypto backend. */
  backend?: CryptoBackend;
}

/** What a reader learns from a verified header. */
export interface V2HeaderInfo {
  keyMode: 'key' | 'passphrase';
  recordSize: number;
  headerLength: number;
}

const failed = (record: number) => new BlindvaultError('DECRYPTION_FAILED', { record });
const truncated = () => new BlindvaultError('TRUNCATED');

/** Header first (parsed, bounds checked, key derived, MAC verified), then records; push bytes in, get plaintext. */
export class V2Decoder {
  readonly #options: V2OpenOptions;
  readonly #backend: CryptoBackend;
  readonly #queue = new ByteQueue();
  #header: V2Header | undefined;
  #aead: Aes256GcmKey | undefined;
  #sealedSize = 0;
  /** Where a record that spans pieces of the input is assembled; reused, as each record is opened before the next. */
  #scratch: Uint8Array | undefined;
  #index = 0;
  #failed = false;

  constructor(options: V2OpenOptions) {
    this.#options = options;
    this.#backend = options.backend ?? webCryptoBackend;
  }

  /** The verified header, once it has arrived. */
  get header(): V2HeaderInfo | undefined {
    const header = this.#header;
    if (!header || !this.#aead) return undefined;
    return { keyMode: header.fields.keyMode, recordSize: header.fields.recordSize, headerLength: header.bytes.length };
  }

  /** Bytes in; the plaintext of every record that is known complete and verified out. */
  async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    this.#usable();
    this.#queue.push(chunk);
    try {
      if (!this.#aead && !(await this.#readHeader())) return [];
      const out: Uint8Array[] = [];
      // A record is opened as not-final only when a byte after it proves it is not the last.
      while (this.#queue.length > this.#sealedSize) out.push(await this.#open(this.#takeRecord(), false));
      return out;
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /** End of the stream: the final record's plaintext, or TRUNCATED / DECRYPTION_FAILED. */
  async end(): Promise<Uint8Array> {
    this.#usable();
    this.#failed = true; // single use from here on
    if (!this.#aead) {
      const seen = this.#queue.take(this.#queue.length);
      checkPrefixSoFar(seen);
      throw truncated();
    }
    const rest = this.#queue.length;
    // Nothing left (the last record was sealed as not-final, or there was none), or a stub shorter than a record.
    if (rest === 0 || rest < TAG_BYTES || (rest === TAG_BYTES && this.#index > 0)) throw truncated();
    const sealed = this.#queue.take(rest);
    const aead = this.#aead;
    const last = await openRecord(aead, this.#checkedIndex(), true, sealed);
    if (last) return last;
    if (rest === this.#sealedSize && (await openRecord(aead, this.#index, false, sealed))) throw truncated();
    throw failed(this.#index);
  }

  #usable(): void {
    if (this.#failed) throw new BlindvaultError('ENCRYPTOR_MISUSE', { reason: 'this decoder has ended or failed' });
  }

  async #readHeader(): Promise<boolean> {
    if (this.#queue.length < HEADER_PREFIX_BYTES) {
      checkPrefixSoFar(this.#queue.peek(this.#queue.length));
      return false;
    }
    const length = headerLengthFromPrefix(this.#queue.peek(HEADER_PREFIX_BYTES));
    if (this.#queue.length < length) return false;
    const header = parseV2Header(this.#queue.take(length));
    const fileKey = await fileKeyFor(header, this.#options, this.#backend);
    await verifyHeader(header, fileKey, this.#backend);
    this.#aead = await this.#backend.importAes256Gcm(await derivePayloadKey(fileKey, header.fields.streamNonce, this.#backend));
    fileKey.fill(0);
    this.#header = header;
    this.#sealedSize = header.fields.recordSize + TAG_BYTES;
    return true;
  }

  /** The next whole sealed record: a view of the input when it lies in one piece, else copied into #scratch. */
  #takeRecord(): Uint8Array {
    const size = this.#sealedSize;
    if (this.#queue.contiguous(size)) return this.#queue.take(size);
    return this.#queue.takeInto((this.#scratch ??= new Uint8Array(size)));
  }

  #checkedIndex(): number {
    if (this.#index >= MAX_RECORDS) throw failed(this.#index);
    return this.#index;
  }

  async #open(sealed: Uint8Array, last: boolean): Promise<Uint8Array> {
    const plaintext = await openRecord(this.#aead as Aes256GcmKey, this.#checkedIndex(), last, sealed);
    if (!plaintext) throw failed(this.#index);
    this.#index += 1;
    return plaintext;
  }
}

/** BAD_HEADER as soon as the bytes seen so far cannot start a v2 header (magic, version). */
function checkPrefixSoFar(seen: Uint8Array): void {
  const expected = Uint8Array.of(...V2_MAGIC, V2_VERSION);
  for (let i = 0; i < Math.min(seen.length, expected.length); i++) {
    if (seen[i] !== expected[i]) throw new BlindvaultError('BAD_HEADER', { reason: i < V2_MAGIC.length ? 'not a Blindvault v2 file (magic)' : 'unsupported version' });
  }
  if (seen.length >= HEADER_PREFIX_BYTES) headerLengthFromPrefix(seen);
}

/** ciphertext (header ‖ records) → verified plaintext, as a TransformStream. */
export function createV2Decryptor(options: V2OpenOptions): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new V2Decoder(options);
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      for (const plaintext of await decoder.push(chunk)) controller.enqueue(plaintext);
    },
    async flush(controller) {
      controller.enqueue(await decoder.end());
    },
  });
}

export interface OpenedV2 {
  header: V2HeaderInfo;
  /** The verified plaintext. It errors (and the source is cancelled) at the first record that fails. */
  plaintext: ReadableStream<Uint8Array>;
}

/**
 * Reads and verifies the header of a v2 ciphertext stream before answering, so a wrong key or passphrase fails
 * here, before a caller creates any output; then answers the plaintext as a pull stream (backpressure reaches
 * the source).
 */
export async function openV2(source: ReadableStream<Uint8Array>, options: V2OpenOptions): Promise<OpenedV2> {
  const reader = source.getReader();
  const decoder = new V2Decoder(options);
  const pending: Uint8Array[] = [];
  let ended = false;
  const fail = async (error: unknown): Promise<never> => {
    await reader.cancel().catch(() => undefined);
    throw error;
  };
  try {
    while (!decoder.header) {
      const next = await reader.read();
      if (next.done) {
        ended = true;
        pending.push(await decoder.end());
        break;
      }
      pending.push(...(await decoder.push(next.value)));
    }
  } catch (error) {
    return fail(error);
  }
  const header = decoder.header as V2HeaderInfo | undefined;
  if (!header) return fail(truncated());
  const plaintext = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          while (pending.length === 0 && !ended) {
            const next = await reader.read();
            if (next.done) {
              ended = true;
              pending.push(await decoder.end());
            } else pending.push(...(await decoder.push(next.value)));
          }
          const chunk = pending.shift();
          if (chunk) controller.enqueue(chunk);
          if (pending.length === 0 && ended) controller.close();
        } catch (error) {
          await reader.cancel().catch(() => undefined);
          controller.error(error);
        }
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { header, plaintext };
}
