import type { Readable } from 'node:stream';

/** The partial's length is not the offset the caller wanted to append at (a lost or raced chunk). */
export class UploadOffsetConflict extends Error {
  override name = 'UploadOffsetConflict';
  constructor(readonly actualOffset: number) {
    super('the partial upload is not at that offset');
  }
}

/**
 * The bytes of unfinished resumable uploads. A partial grows only by `append` at its current end;
 * bytes received before a source breaks stay (the client resumes after them). Nothing here is ever
 * served: `complete` hands the whole partial to the blob store, atomically, as one blob. Keys follow
 * the blob store's rule ([A-Za-z0-9_-]{1,128}). Callers serialize appends to one key (a lock).
 */
export interface UploadStore {
  /** Makes an empty partial; refuses a key that exists. */
  create(key: string): Promise<void>;
  /** Bytes stored so far; undefined when there is no such partial. */
  offset(key: string): Promise<number | undefined>;
  /**
   * Appends the source at `offset`, which must be the partial's length (else UploadOffsetConflict,
   * nothing written). Resolves to the new length; when the source fails, the bytes received before
   * the failure are kept, made durable, and the failure is rethrown.
   */
  append(key: string, offset: number, source: AsyncIterable<Uint8Array> | Readable): Promise<number>;
  /**
   * Makes the whole partial the blob `blobKey` of the blob store it is paired with, atomically (the
   * blob is whole or absent), and forgets the partial. Resolves to the blob's size.
   */
  complete(key: string, blobKey: string): Promise<{ sizeBytes: number }>;
  /** Idempotent: deleting a missing partial is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes partials that have not grown since `before` (left by a crash, or by a row removed
   * first), except those `keep` claims. Returns how many.
   */
  sweepStale(before: Date, keep: (key: string) => Promise<boolean>): Promise<number>;
  /** The unfinished uploads held: how many partials and their bytes (the operator's storage report). */
  usage(): Promise<UploadUsage>;
  ping(): Promise<void>;
}

export interface UploadUsage {
  /** Partials that exist (created and neither completed nor deleted). */
  partials: number;
  /** The bytes they hold, with any a crash left for the sweeper. */
  bytes: number;
}
