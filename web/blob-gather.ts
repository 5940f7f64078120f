// A stream gathered into a Blob in small parts: the bytes move into the browser's blob store part by part,
// so the JS heap holds at most PART_BYTES of them however long the stream is. Used for the page's tus
// chunk bodies and for the in-memory download fallback.

const PART_BYTES = 1024 * 1024;

export class GatherLimitError extends Error {
  constructor(readonly limitBytes: number) {
    super(`more than ${limitBytes} bytes`);
  }
}

/** All of `stream` as one Blob; past `maxBytes` the stream is cancelled and GatherLimitError thrown. */
export async function gatherBlob(stream: ReadableStream<Uint8Array>, options: { maxBytes?: number; type?: string } = {}): Promise<Blob> {
  const parts: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    total += next.value.byteLength;
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      await reader.cancel();
      throw new GatherLimitError(options.maxBytes);
    }
    pending.push(next.value);
    pendingBytes += next.value.byteLength;
    if (pendingBytes >= PART_BYTES) {
      parts.push(new Blob(pending as BlobPart[]));
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) parts.push(new Blob(pending as BlobPart[]));
  return new Blob(parts, options.type !== undefined ? { type: options.type } : {});
}
