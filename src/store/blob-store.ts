import type { Readable } from 'node:stream';

/** Inclusive byte range, as in HTTP: bytes start..end. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredBlob {
  sizeBytes: number;
  /** The bytes of the whole blob, or of the requested range. Destroy it to release the handle early. */
  stream: Readable;
}

/** The backing store failed or did not answer (a put, a get, or a download stream mid-way). */
export class BlobStoreUnavailable extends Error {
  override name = 'BlobStoreUnavailable';
  constructor() {
    super('the blob store does not answer');
  }
}

/**
 * Where ciphertext lives. `put` is atomic: until it resolves nobody can read the blob, and if it
 * rejects (source error, abort, full disk) nothing of it remains. Keys are chosen by the caller
 * from [A-Za-z0-9_-]{1,128}; any other key is refused. A store that fails rejects (or fails the
 * download stream) with BlobStoreUnavailable.
 */
export interface BlobStore {
  put(key: string, source: AsyncIterable<Uint8Array> | Readable, options?: { signal?: AbortSignal }): Promise<{ sizeBytes: number }>;
  /** undefined when the blob does not exist. */
  get(key: string, range?: ByteRange): Promise<StoredBlob | undefined>;
  /** Idempotent: deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Removes partial writes left by a crash that are older than the given age. Returns how many. */
  sweepPartials(olderThanMs: number): Promise<number>;
  /** Bytes still free where new blobs are written, or undefined when the store cannot tell. */
  freeBytes(): Promise<number | undefined>;
  ping(): Promise<void>;
  /** What the store holds (the admin command's storage report); may walk every blob. */
  usage?(): Promise<BlobUsage>;
}

export interface BlobUsage {
  backend: 'folder' | 's3';
  blobs: number;
  bytes: number;
  /** Partial writes (temporaries, unfinished multipart uploads). */
  partials: number;
}

export const BLOB_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function assertBlobKey(key: string): void {
  if (!BLOB_KEY_PATTERN.test(key)) throw new TypeError('invalid blob key');
}
