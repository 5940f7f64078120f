// The byte transfer of a v2 upload over tus (docs/uploads.md §2) with tus-js-client, which runs in
// Node and in browsers. Its source is our ciphertext, readable from any offset, so a retry or a resume
// in a new process sends exactly the bytes an uninterrupted run would have sent.
import { Upload, type DetailedError } from 'tus-js-client';
import { BlindvaultError } from '../protocol/errors.js';
import type { UploadSource } from './upload-source.js';

export const TUS_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * How a chunk's bytes become a request body. By default (browsers) a chunk is read into one reused buffer; the
 * Node adapter streams it instead (`nodeStreamingBody`), so that large chunks cost no memory.
 */
export type ChunkBody = (chunk: ReadableStream<Uint8Array>, sizeBytes: number) => unknown;

/**
 * tus-js-client's FileSource over an offset-readable stream. tus asks for the next slice only once the server has
 * answered the PATCH that carried the previous one; after a failure it asks again from the server's offset, and
 * the source is reopened there.
 */
function chunkReader(source: UploadSource, chunkSizeBytes: number, chunkBody: ChunkBody | undefined) {
  let buffer: Uint8Array | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let position = 0;
  let leftover: Uint8Array = new Uint8Array(0);
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
            const next = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
            if (next.done) return controller.error(new BlindvaultError('UPLOAD_CHANGED'));
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
      if (!reader || start !== position) await reopen(start);
      const wanted = Math.min(end, source.sizeBytes) - start;
      const done = start + wanted >= source.sizeBytes;
      if (chunkBody) return { value: Object.assign(chunkBody(take(wanted), wanted) as object, { size: wanted }), done };
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
    close() {
      void reader?.cancel().catch(() => {});
      reader = undefined;
    },
  };
}

export interface TusTransferInput {
  uploadUrl: string;
  uploadToken: string;
  source: UploadSource;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  chunkSizeBytes?: number;
  chunkBody?: ChunkBody;
}

function errorOf(error: Error | DetailedError): Error {
  if (error instanceof BlindvaultError) return error;
  const detailed = error as DetailedError;
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

/** Sends the source from the server's offset to the end; resolves when the server holds all of it. */
export function tusTransfer(input: TusTransferInput): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (input.signal?.aborted) return reject(input.signal.reason);
    // tus-js-client wants its own input type; our fileReader ignores it and reads input.source.
    const placeholder = { read: () => Promise.resolve({ done: true as const, value: undefined }) };
    const upload = new Upload(placeholder, {
      uploadUrl: input.uploadUrl,
      uploadSize: input.source.sizeBytes,
      chunkSize: input.chunkSizeBytes ?? TUS_CHUNK_BYTES,
      headers: { Authorization: `Bearer ${input.uploadToken}` },
      retryDelays: [0, 1000, 3000, 5000],
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      fileReader: { openFile: async () => chunkReader(input.source, input.chunkSizeBytes ?? TUS_CHUNK_BYTES, input.chunkBody) },
      onProgress: (sent, total) => input.onProgress?.(sent, total),
      onSuccess: () => {
        input.signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      onError: (error) => {
        input.signal?.removeEventListener('abort', onAbort);
        reject(errorOf(error));
      },
    });
    const onAbort = () => {
      void upload.abort(false).finally(() => reject(input.signal?.reason));
    };
    input.signal?.addEventListener('abort', onAbort, { once: true });
    upload.start();
  });
}
