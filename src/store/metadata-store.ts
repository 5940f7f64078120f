// The metadata store: rows that describe ciphertext, never the ciphertext itself.

/** 'sent': claimed by a send to a vault user (docs/send.md), served only to its recipient. */
export type FileState = 'uploading' | 'ready' | 'sent' | 'deleted';

/** A file as its owner and the download route see it. Byte fields are raw bytes. */
export interface FileRecord {
  id: string;
  blobKey: string;
  state: FileState;
  /** SHA-256 (hex) of the owner token; the token itself is never stored. */
  ownerTokenHash: string;
  /** Client-side format of the ciphertext: 'v1' is the seed's PBKDF2 + one-shot AES-256-GCM. */
  format: string;
  salt: Uint8Array | null;
  iv: Uint8Array | null;
  sizeBytes: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  downloads: number;
  maxDownloads: number | null;
  /** When the last counted download started: resumes are free for a while after it. */
  lastDownloadAt: Date | null;
}

export interface NewFileInput {
  id: string;
  blobKey: string;
  ownerTokenHash: string;
  format: string;
  createdAt: Date;
}

export interface FinalizeFileInput {
  salt: Uint8Array;
  iv: Uint8Array;
  sizeBytes: number;
  expiresAt: Date;
  maxDownloads: number | null;
}

export interface FileLimitsUpdate {
  expiresAt?: Date;
  maxDownloads?: number | null;
}

export interface SweepCandidate {
  id: string;
  blobKey: string;
}

export interface MetadataStore {
  readonly backend: 'sqlite' | 'postgres';

  /** Records an upload in progress. It is never served; a crash leaves it to `listSweepable`. */
  createPendingFile(input: NewFileInput): Promise<void>;
  /** Marks a pending upload as alive (it is receiving bytes), so the sweeper leaves it alone. */
  touchPendingFile(id: string, now: Date): Promise<void>;
  /** uploading → ready. False when the row is gone or not pending. */
  finalizeFile(id: string, input: FinalizeFileInput): Promise<boolean>;
  /** Removes a pending row (failed upload). */
  discardPendingFile(id: string): Promise<void>;

  /** A ready, unexpired, not used-up file; undefined otherwise. */
  getAvailableFile(id: string, now: Date): Promise<FileRecord | undefined>;
  /** A ready, unexpired file with this owner token hash, used up or not; undefined otherwise. */
  getOwnedFile(id: string, ownerTokenHash: string, now: Date): Promise<FileRecord | undefined>;
  /**
   * A ready, unexpired file, used up or not, whose last counted download started after `since`:
   * the resume of a download in progress.
   */
  getResumableFile(id: string, now: Date, since: Date): Promise<FileRecord | undefined>;
  /**
   * Atomically counts one download of an available file and returns it as it is after the count;
   * undefined when the file is missing, expired or used up. One statement: concurrent downloads
   * never exceed the limit.
   */
  claimDownload(id: string, now: Date): Promise<FileRecord | undefined>;
  /** Changes the limits of a ready, unexpired file whose owner token hash matches; undefined when there is none. */
  updateFileLimits(id: string, ownerTokenHash: string, update: FileLimitsUpdate, now: Date): Promise<FileRecord | undefined>;
  /** ready → deleted for the owner: no longer served; the sweeper removes blob and row. */
  markFileDeleted(id: string, ownerTokenHash: string): Promise<SweepCandidate | undefined>;

  /**
   * Deleted rows, expired files, files used up with no counted download since `resumableSince`, and
   * uploads that have not received a byte since `staleUploadBefore`.
   */
  listSweepable(now: Date, staleUploadBefore: Date, resumableSince: Date, limit: number): Promise<SweepCandidate[]>;
  /** Removes a row for good (after its blob is gone). */
  removeFile(id: string): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
