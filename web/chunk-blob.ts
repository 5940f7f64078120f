// How the page hands a tus chunk to the browser: as a Blob, not a buffer. Chromium sends an XHR body given
// as an ArrayBuffer view at about 16 MiB/s on loopback (it copies and serializes it on the way out) and a
// Blob at well over 100 MiB/s (measured with bench/web.ts); and a Blob's bytes live in the browser's blob
// store, not in this worker's JS heap. Pieces are gathered into small Blobs as they come, so the worker
// holds at most PART_BYTES of a chunk whatever the chunk size.
import type { ChunkBody } from '../src/client/tus-transfer.js';
import { BlindvaultError } from '../src/protocol/errors.js';

const PART_BYTES = 1024 * 1024;

/**
 * The page's tus chunk. Larger than the SDK's default: a chunk costs this worker no more heap than a small one
 * (it is a Blob), and each PATCH costs the server a few statements and a round trip (bench/web.ts: 8 MiB
 * 76 MiB/s, 16 MiB 86 MiB/s on 128 MiB). A dropped connection loses at most the part of one chunk not yet stored.
 */
export const PAGE_CHUNK_BYTES = 16 * 1024 * 1024;

export const blobChunkBody: ChunkBody = async (chunk, sizeBytes) => {
  const parts: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const reader = chunk.getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    pending.push(next.value);
    pendingBytes += next.value.byteLength;
    total += next.value.byteLength;
    if (pendingBytes >= PART_BYTES) {
      parts.push(new Blob(pending as BlobPart[]));
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) parts.push(new Blob(pending as BlobPart[]));
  // The chunk stream errors itself when the source ends early; said once more here, where the body is made.
  if (total !== sizeBytes) throw new BlindvaultError('UPLOAD_CHANGED');
  return new Blob(parts);
};
