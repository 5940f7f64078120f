// The SDK's side of format v2 (docs/formats/file-v2.md): the encryptor and decryptor of src/crypto/stream
// adapted to what an upload reads (ciphertext from any offset, for tus retries and resumes) and what a
// download gets (a body whose header tells the key mode). No cipher is called here.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { createFileKey, decodeLinkKey as decodeKey, encodeLinkKey as encodeKey } from '../crypto/file-key.js';
import { HEADER_PREFIX_BYTES, KEY_MODE_RANDOM } from '../crypto/stream/header.js';
import { openV2 } from '../crypto/stream/open.js';
import { createV2Encryptor, resumeV2Encryptor, type V2Encryptor } from '../crypto/stream/seal.js';
import { BlindvaultError } from '../protocol/errors.js';
import type { UploadSource } from './upload-source.js';

export interface SealedFileV2 {
  header: Uint8Array;
  keyMode: 'key' | 'passphrase';
  fileKey: Uint8Array;
  ciphertextBytes: number;
  /** The ciphertext from `offset` on: the same bytes at the same offsets every time. */
  read(offset: number): ReadableStream<Uint8Array>;
}

export interface SealV2Options {
  passphrase?: string;
  /** To continue an interrupted upload: its header, and its key for a random-key file. */
  header?: Uint8Array;
  fileKey?: Uint8Array;
  crypto?: CryptoBackend;
}

/** `#` of a download link: the 32-byte key as 43 characters of unpadded base64url (crypto/file-key.ts). */
export function encodeLinkKey(fileKey: Uint8Array): string {
  return encodeKey(fileKey);
}

export function decodeLinkKey(fragment: string): Uint8Array {
  return decodeKey(fragment).reveal();
}

/** A stream made on first pull: the encryptor behind it is asynchronous to make. */
function lazyStream(make: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: Promise<ReadableStreamDefaultReader<Uint8Array>> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= make().then((stream) => stream.getReader());
        const next = await (await reader).read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel(reason) {
        // A cancel may come while the stream is still being made: it reaches that stream too (its file closes).
        await (await reader?.catch(() => undefined))?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A stage that holds up to `bytes` ahead of its reader, so that reading, sealing and sending overlap instead of
 * taking turns (each WHATWG stage alone hands over one chunk at a time).
 */
export function readAhead(bytes: number): TransformStream<Uint8Array, Uint8Array> {
  const strategy = () => new ByteLengthQueuingStrategy({ highWaterMark: bytes });
  return new TransformStream<Uint8Array, Uint8Array>({}, strategy(), strategy());
}

const READ_AHEAD_BYTES = 1024 * 1024;

/** Exactly `expected` bytes must come through; more or fewer means the source changed under us. */
function exactly(expected: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > expected) throw new BlindvaultError('UPLOAD_CHANGED');
      controller.enqueue(chunk);
    },
    flush() {
      if (seen !== expected) throw new BlindvaultError('UPLOAD_CHANGED');
    },
  });
}

/** Prepends `head` and drops the first `skip` bytes of what follows. */
function framed(head: Uint8Array, skip: number): TransformStream<Uint8Array, Uint8Array> {
  let toSkip = skip;
  return new TransformStream({
    start(controller) {
      if (head.byteLength > 0) controller.enqueue(head);
    },
    transform(chunk, controller) {
      if (toSkip >= chunk.byteLength) {
        toSkip -= chunk.byteLength;
        return;
      }
      controller.enqueue(toSkip > 0 ? chunk.subarray(toSkip) : chunk);
      toSkip = 0;
    },
  });
}

export async function sealFileV2(source: UploadSource, options: SealV2Options): Promise<SealedFileV2> {
  const backend = options.crypto ? { backend: options.crypto } : {};
  const keyOrPassphrase = options.passphrase !== undefined ? { passphrase: options.passphrase } : { key: options.fileKey ?? createFileKey(options.crypto).reveal() };
  const first: V2Encryptor = options.header
    ? await resumeV2Encryptor({ header: options.header, ...keyOrPassphrase, ...backend })
    : await createV2Encryptor({ ...keyOrPassphrase, ...backend });
  const header = first.header;
  const fileKey = first.fileKey.reveal();
  let fresh: V2Encryptor | undefined = first;
  // An encryptor seals one stream; every further read (a retry, a resume) gets its own, from the same header and key.
  const encryptor = async () => {
    const unused = fresh;
    fresh = undefined;
    return unused ?? resumeV2Encryptor({ header, ...(first.keyMode === 'key' ? { key: fileKey } : keyOrPassphrase), ...backend });
  };
  return {
    header,
    keyMode: first.keyMode,
    fileKey,
    ciphertextBytes: first.ciphertextSize(source.sizeBytes),
    read: (offset) =>
      lazyStream(async () => {
        // Nothing is left past the end (a record cannot be sealed from no plaintext).
        if (offset >= first.ciphertextSize(source.sizeBytes)) return new Blob([]).stream() as ReadableStream<Uint8Array>;
        const sealer = await encryptor();
        const point = sealer.resumePoint(offset);
        return source
          .read(point.plaintextOffset)
          .pipeThrough(readAhead(READ_AHEAD_BYTES))
          .pipeThrough(exactly(source.sizeBytes - point.plaintextOffset))
          .pipeThrough(sealer.sealFrom(point.recordIndex))
          .pipeThrough(framed(point.headerTail, point.skipBytes))
          .pipeThrough(readAhead(READ_AHEAD_BYTES));
      }),
  };
}

/** Reads until the first `count` bytes are in; answers them and a stream of everything (nothing lost). */
async function peek(body: ReadableStream<Uint8Array>, count: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < count) {
    const next = await reader.read();
    if (next.done) break;
    chunks.push(next.value);
    have += next.value.byteLength;
  }
  const head = new Uint8Array(have);
  let at = 0;
  for (const chunk of chunks) {
    head.set(chunk, at);
    at += chunk.byteLength;
  }
  let replayed = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!replayed) {
          replayed = true;
          if (head.byteLength > 0) return controller.enqueue(head);
        }
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return { head, stream };
}

export interface OpenV2Options {
  fragment: string | undefined;
  /** Asked only for a passphrase file. */
  passphrase: () => Promise<string>;
  crypto?: CryptoBackend;
}

/** Verifies the header (and so the key) before answering; the plaintext stream fails at the first bad record. */
export async function openFileV2(body: ReadableStream<Uint8Array>, options: OpenV2Options): Promise<ReadableStream<Uint8Array>> {
  const { head, stream } = await peek(body, HEADER_PREFIX_BYTES);
  const randomKey = head.byteLength >= HEADER_PREFIX_BYTES && head[7] === KEY_MODE_RANDOM;
  const backend = options.crypto ? { backend: options.crypto } : {};
  try {
    if (randomKey && options.fragment === undefined) throw new BlindvaultError('KEY_MODE_MISMATCH', { needs: 'key' });
    const keyOrPassphrase = options.fragment !== undefined ? { key: decodeLinkKey(options.fragment) } : { passphrase: await options.passphrase() };
    const opened = await openV2(stream.pipeThrough(readAhead(READ_AHEAD_BYTES)), { ...keyOrPassphrase, ...backend });
    return opened.plaintext.pipeThrough(readAhead(READ_AHEAD_BYTES));
  } catch (error) {
    await stream.cancel().catch(() => undefined);
    throw error;
  }
}
