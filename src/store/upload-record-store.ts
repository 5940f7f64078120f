// Rows of resumable uploads: who may append (the upload token's hash), the declared length, the
// file's limits to apply on completion, and the lock that serializes appends across instances.
import type { NewFileInput } from './metadata-store.js';

export type UploadState = 'receiving' | 'complete';

export interface UploadRecord {
  /** The file id: the upload's row belongs to the file row of the same id. */
  id: string;
  blobKey: string;
  /** SHA-256 (hex) of the upload token; the token itself is never stored. */
  uploadTokenHash: string;
  state: UploadState;
  lengthBytes: number;
  ttlSeconds: number;
  maxDownloads: number | null;
  createdAt: Date;
}

export interface NewUploadInput {
  /** The pending file row (state 'uploading') made in the same transaction. */
  file: NewFileInput;
  uploadTokenHash: string;
  lengthBytes: number;
  ttlSeconds: number;
  maxDownloads: number | null;
  /** The client address, for the bound on unfinished uploads per address. */
  clientAddress: string;
}

export interface CompleteUploadInput {
  /** When the file came to be whole: its created_at from now on (expiry limits count from it). */
  completedAt: Date;
  sizeBytes: number;
  expiresAt: Date;
  maxDownloads: number | null;
}

export type LockAttempt = 'acquired' | 'busy' | 'absent';

export interface UploadRecordStore {
  /**
   * Records a new upload and its pending file row atomically (removing that file row through the
   * metadata store removes the upload row with it), unless the address already has
   * `maxPartialPerAddress` unfinished uploads: then nothing is written and the answer is false.
   * Concurrent creations from one address never pass the bound.
   */
  createUpload(input: NewUploadInput, maxPartialPerAddress: number): Promise<boolean>;
  /**
   * The upload with this id and upload token hash, if it is unfinished and received a byte after
   * `staleBefore`, or complete with its file still ready; undefined otherwise (a wrong token and a
   * missing upload look the same).
   */
  getUpload(id: string, uploadTokenHash: string, staleBefore: Date): Promise<UploadRecord | undefined>;
  /**
   * receiving → complete, and the pending file row → ready with the given size and limits, in one
   * transaction. False when either row is gone or not pending (swept meanwhile).
   */
  completeUpload(id: string, uploadTokenHash: string, input: CompleteUploadInput): Promise<boolean>;
  /**
   * Removes the row of an unfinished upload with this token hash (termination; the caller then
   * discards the pending file row through the metadata store). False when there is none.
   */
  removeUpload(id: string, uploadTokenHash: string): Promise<boolean>;
  /** Unfinished uploads whose file row received no byte since `staleBefore`. */
  listStaleUploads(staleBefore: Date, limit: number): Promise<Array<{ id: string; blobKey: string }>>;
  /** True while an unfinished upload of this id has its row. */
  isReceiving(id: string): Promise<boolean>;

  /**
   * Takes the append lock of the upload with this id and token hash for `lockToken` until
   * `leaseUntil`, if it is free or its lease ended before `now`. 'absent' when there is no such upload.
   */
  tryLock(id: string, uploadTokenHash: string, lockToken: string, now: Date, leaseUntil: Date): Promise<LockAttempt>;
  /** Asks the holder of the lock to let go (it sees it when it renews). */
  requestRelease(id: string, uploadTokenHash: string): Promise<void>;
  /** Extends the lease; says whether `lockToken` still holds the lock and whether another request asked for it. */
  renewLock(id: string, lockToken: string, leaseUntil: Date): Promise<{ held: boolean; releaseRequested: boolean }>;
  unlock(id: string, lockToken: string): Promise<void>;
}
