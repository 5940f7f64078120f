// The byte transfer of a v2 upload over tus (docs/uploads.md §2) with tus-js-client, which runs in
// Node and in browsers. Its source is our ciphertext, readable from any offset, so a retry or a resume
// in a new process sends exactly the bytes an uninterrupted run would have sent.
import { Upload, type DetailedError } from 'tus-js-client';
import { BlindvaultError } from '../protocol/errors.js';
import type { UploadSource } from './upload-source.js';

export const TUS_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * How a chunk's bytes become a request body. By default a chunk is read into one reused buffer; the Node adapter
 * streams it instead (`nodeStreamingBody`), so that large chunks cost no memory, and the page gathers it into a
 * Blob (web/chunk-blob.ts), which Chromium sends several times faster than a buffer. May answer a promise.
 */
export type ChunkBody = (chunk: ReadableStream<Uint8Array>, sizeBytes: number) => unknown;

/**
 * tus-js-client's FileSource over an offset-readable stream. tus asks for the next slice only once the server has
 * answered the PATCH that carried the previous one; after a failure it asks again from the server's offset, and
 * the source is reopened there.
 */
function chunkReader(source: UploadSource, chunkSizeBytes: number, chunkBody: ChunkBody | undefined, confirmed: Confirmed) {
  let buffer: Uint8Array | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let position = 0;
  let leftover: Uint8Array = new Uint8Array(0);
  let closing = false;
  const reopen = async (offset: number) => {
    await reader?.cancel().catch(() => {});
    reader = source.read(offset).getReader();
    position = offset;
    leftover = new Uint8Array(0);
  };
  /** The next `wanted` bytes of the source as a stream; `position` moves as they are read. */
  const take = (wanted: number): ReadableStream<Uint8Array> => {
    let left = wanted;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (left === 0) return controller.close();
          if (leftover.byteLength === 0) {
            // Closed by an abort: the request it fed is gone; ending quietly leaves no error for no one to hear.
            if (!reader) return controller.close();
            const next = await reader.read();
            if (next.done) return closing ? controller.close() : controller.error(new BlindvaultError('UPLOAD_CHANGED'));
            leftover = next.value;
          }
          const piece = leftover.subarray(0, Math.min(leftover.byteLength, left));
          leftover = leftover.subarray(piece.byteLength);
          left -= piece.byteLength;
          position += piece.byteLength;
          controller.enqueue(piece);
          if (left === 0) controller.close();
        },
      },
      { highWaterMark: 0 },
    );
  };
  return {
    size: source.sizeBytes,
    async slice(start: number, end: number) {
      // tus asks from the server's offset. Bytes below one it confirmed were sealed and sent already:
      // sealing them again (the source may have changed at the same size) would reuse a nonce.
      if (start < confirmed.highest) throw new BlindvaultError('UPLOAD_OFFSET_REWOUND');
      confirmed.raise(start);
      if (!reader || start !== position) await reopen(start);
      const wanted = Math.min(end, source.sizeBytes) - start;
      const done = start + wanted >= source.sizeBytes;
      if (chunkBody) {
        const body = (await chunkBody(take(wanted), wanted)) as object;
        // A Blob has its own (read-only) size.
        return { value: body instanceof Blob ? body : Object.assign(body, { size: wanted }), done };
      }
      buffer = buffer && buffer.byteLength >= wanted ? buffer : new Uint8Array(wanted);
      const chunk = buffer.subarray(0, wanted);
      const stream = take(wanted).getReader();
      for (let filled = 0; filled < wanted; ) {
        const next = await stream.read();
        if (next.done) throw new BlindvaultError('UPLOAD_CHANGED');
        chunk.set(next.value, filled);
        filled += next.value.byteLength;
      }
      // tus-js-client reads a body's length from `.size` (as on a Blob).
      return { value: Object.assign(chunk, { size: wanted }), done };
    },
    /** Also ours to call on abort and error, which tus-js-client leaves open: the source's file closes now, not at GC. */
    async close() {
      closing = true;
      const open = reader;
      reader = undefined;
      await open?.cancel().catch(() => {});
    },
  };
}

/** The highest offset the server confirmed, from this run and the saved ones. */
interface Confirmed {
  highest: number;
  raise(offset: number): void;
}

export interface TusTransferInput {
  uploadUrl: string;
  uploadToken: string;
  source: UploadSource;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  chunkSizeBytes?: number;
  chunkBody?: ChunkBody;
  /** The highest offset the server confirmed in an earlier run (from the resume state). */
  confirmedBytes?: number;
  /** Called when the server confirms a higher offset, to persist it in the resume state. */
  onConfirmed?: (offset: number) => void;
}

function errorOf(error: Error | DetailedError): Error {
  if (error instanceof BlindvaultError) return error;
  const detailed = error as DetailedError;
  // Our own refusal from inside a chunk read (UPLOAD_OFFSET_REWOUND, UPLOAD_CHANGED), wrapped by tus.
  if (detailed.causingError instanceof BlindvaultError) return detailed.causingError;
  const status = detailed.originalResponse?.getStatus();
  if (status === undefined || status === 0) return new BlindvaultError('NETWORK_ERROR', { url: '', cause: detailed.causingError?.message ?? error.message });
  let code: unknown;
  try {
    code = (JSON.parse(detailed.originalResponse?.getBody() ?? '') as { error?: unknown }).error;
  } catch {
    // not JSON
  }
  if (code === 'NOT_FOUND') return new BlindvaultError('NOT_FOUND', { status });
  if (code === 'PAYLOAD_TOO_LARGE') return new BlindvaultError('PAYLOAD_TOO_LARGE', { status });
  if (code === 'RATE_LIMITED') return new BlindvaultError('RATE_LIMITED', { status });
  return new BlindvaultError('UNEXPECTED_RESPONSE', { status });
}

// tus-js-client's own rule, which a custom onShouldRetry replaces: no answer, a 5xx, 409 or 423.
function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 0 || status >= 500 || status === 409 || status === 423 || status < 400;
}

/** Sends the source from the server's offset to the end; resolves when the server holds all of it. */
export function tusTransfer(input: TusTransferInput): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (input.signal?.aborted) return reject(input.signal.reason);
    // tus-js-client wants its own input type; our fileReader ignores it and reads input.source.
    const placeholder = { read: () => Promise.resolve({ done: true as const, value: undefined }) };
    const confirmed: Confirmed = {
      highest: input.confirmedBytes ?? 0,
      raise(offset) {
        if (offset <= this.highest) return;
        this.highest = offset;
        input.onConfirmed?.(offset);
      },
    };
    let opened: ReturnType<typeof chunkReader> | undefined;
    const closeSource = async () => {
      await opened?.close();
      opened = undefined;
    };
    const upload = new Upload(placeholder, {
      uploadUrl: input.uploadUrl,
      uploadSize: input.source.sizeBytes,
      chunkSize: input.chunkSizeBytes ?? TUS_CHUNK_BYTES,
      headers: { Authorization: `Bearer ${input.uploadToken}` },
      retryDelays: [0, 1000, 3000, 5000],
      // A refusal of ours is final: retrying would only meet it again.
      onShouldRetry: (error, attempt, options) =>
        !(error.causingError instanceof BlindvaultError) && attempt < (options.retryDelays?.length ?? 0) && isRetryableStatus(error.originalResponse?.getStatus()),
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      fileReader: { openFile: async () => (opened = chunkReader(input.source, input.chunkSizeBytes ?? TUS_CHUNK_BYTES, input.chunkBody, confirmed)) },
      onProgress: (sent, total) => input.onProgress?.(sent, total),
      onChunkComplete: (_chunk, accepted) => confirmed.raise(accepted),
      onSuccess: () => {
        input.signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      onError: (error) => {
        input.signal?.removeEventListener('abort', onAbort);
        void closeSource().finally(() => reject(errorOf(error)));
      },
    });
    const onAbort = () => {
      void upload
        .abort(false)
        .then(closeSource)
        .finally(() => reject(input.signal?.reason));
    };
    input.signal?.addEventListener('abort', onAbort, { once: true });
    upload.start();
  });
}
