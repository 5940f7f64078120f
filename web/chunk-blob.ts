// How the page hands a tus chunk to the browser: as a Blob, not a buffer. Chromium sends an XHR body given
// as an ArrayBuffer view at about 16 MiB/s on loopback and a Blob at well over 100 MiB/s (measured beside
// bench/web.ts); and a Blob's bytes live in the browser's blob store, not in this worker's JS heap.
import type { ChunkBody } from '../src/client/tus-transfer.js';
import { BlindvaultError } from '../src/protocol/errors.js';
import { gatherBlob, GatherLimitError } from './blob-gather.js';

/**
 * The page's tus chunk. Larger than the SDK's default: a chunk costs this worker no more heap than a small one
 * (it is a Blob), and each PATCH costs the server a few statements and a round trip (bench/web.ts: 8 MiB
 * 76 MiB/s, 16 MiB 86 MiB/s on 128 MiB). A dropped connection loses at most the part of one chunk not yet stored.
 */
export const PAGE_CHUNK_BYTES = 16 * 1024 * 1024;

export const blobChunkBody: ChunkBody = async (chunk, sizeBytes) => {
  const body = await gatherBlob(chunk, { maxBytes: sizeBytes }).catch((error: unknown) => {
    throw error instanceof GatherLimitError ? new BlindvaultError('UPLOAD_CHANGED') : error;
  });
  // The chunk stream errors itself when the source ends early; said once more here, where the body is made.
  if (body.size !== sizeBytes) throw new BlindvaultError('UPLOAD_CHANGED');
  return body;
};
