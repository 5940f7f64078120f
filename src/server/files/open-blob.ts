import { Readable } from 'node:stream';
import type { BlobStore, ByteRange, StoredBlob } from '../../store/blob-store.js';

/**
 * Opens a blob and reads its first chunk, so that a store that is down, answers an error, or breaks
 * before the first byte fails here, before a download is counted. The stream handed back yields
 * that chunk and then the rest. Undefined when the blob does not exist.
 *
 * The first chunk is taken out of the store's stream rather than left in its buffer: if the store
 * fails while the download is being counted, a failed stream drops what it buffered, and the
 * client would get an error answer for a counted download instead of a started transfer (with its
 * resume credential) that breaks.
 */
export async function openBlob(blobs: BlobStore, key: string, range?: ByteRange): Promise<StoredBlob | undefined> {
  const blob = await blobs.get(key, range);
  if (!blob) return undefined;
  const chunks = blob.stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (error) {
    blob.stream.destroy();
    throw error;
  }
  // Reads nothing until the reply pipes it; destroying it (a client gone) destroys the store's stream.
  const stream = Readable.from(replay(first, chunks), { objectMode: false, highWaterMark: blob.stream.readableHighWaterMark });
  // Also when it is destroyed before its first read (a refused count): the generator never ran.
  stream.once('close', () => blob.stream.destroy());
  return { sizeBytes: blob.sizeBytes, stream };
}

async function* replay(first: IteratorResult<Uint8Array>, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}
