// The byte transfer of a v2 upload over tus (docs/uploads.md §2) with tus-js-client, which runs in
// Node and in browsers. Its source is our ciphertext, readable from any offset, so a retry or a resume
// in a new process sends exactly the bytes an uninterrupted run would have sent.
import { Upload, type DetailedError } from 'tus-js-client';
import { BlindvaultError } from '../protocol/errors.js';
import type { UploadSource } from './upload-source.js';

export const TUS_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * tus-js-client's FileSource over an offset-readable stream. One chunk buffer is reused: tus asks for the next
 * slice only once the server has answered the PATCH that carried the previous one, so its bytes are sent.
 */
function chunkReader(source: UploadSource, chunkSizeBytes: number) {
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
  return {
    size: source.sizeBytes,
    async slice(start: number, end: number) {
      if (!reader || start !== position) await reopen(start);
      const wanted = Math.min(end, source.sizeBytes) - start;
      if (!buffer || buffer.byteLength < wanted) buffer = new Uint8Array(Math.max(wanted, Math.min(chunkSizeBytes, source.sizeBytes)));
      const chunk = buffer.subarray(0, wanted);
      let filled = 0;
      while (filled < wanted) {
        if (leftover.byteLength === 0) {
          const next = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
          if (next.done) break;
          leftover = next.value;
        }
        const take = Math.min(leftover.byteLength, wanted - filled);
        chunk.set(leftover.subarray(0, take), filled);
        leftover = leftover.subarray(take);
        filled += take;
      }
      if (filled !== wanted) throw new BlindvaultError('UPLOAD_CHANGED');
      position = start + filled;
      // tus-js-client reads a body's length from `.size` (as on a Blob).
      return { value: Object.assign(chunk, { size: chunk.byteLength }), done: position >= source.sizeBytes };
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
      fileReader: { openFile: async () => chunkReader(input.source, input.chunkSizeBytes ?? TUS_CHUNK_BYTES) },
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
