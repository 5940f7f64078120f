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

/** What a counted download leaves behind so that a broken transfer can be finished. */
export interface NewResume {
  /** SHA-256 (hex) of the resume token returned with the counted answer. */
  tokenHash: string;
  expiresAt: Date;
}

/** The limits one byte reservation is checked against, in the same transaction. */
export interface UploadLimits {
  /** Bytes all files together may hold (reserved uploads included). */
  storageCapBytes: number;
  /** The client address's window: bytes it may upload from windowStart until expiresAt. */
  quota?: UploadQuotaWindow;
}

export interface UploadQuotaWindow {
  subject: string;
  windowStart: Date;
  expiresAt: Date;
  limitBytes: number;
}

export type ReserveOutcome = 'reserved' | 'storage_full' | 'quota_exceeded' | 'gone';

export interface SweepCandidate {
  id: string;
  blobKey: string;
}

/**
 * Every time given to a store is a finite instant within the range of `Date`: a store refuses
 * (throws RangeError) an invalid `Date`, so no row ever holds an expiry that no query can compare.
 */
export interface MetadataStore {
  readonly backend: 'sqlite' | 'postgres';

  /** Records an upload in progress. It is never served; a crash leaves it to `listSweepable`. */
  createPendingFile(input: NewFileInput): Promise<void>;
  /** Marks a pending upload as alive (it is receiving bytes), so the sweeper leaves it alone. */
  touchPendingFile(id: string, now: Date): Promise<void>;
  /** uploading → ready. False when the row is gone or not pending. */
  finalizeFile(id: string, input: FinalizeFileInput): Promise<boolean>;
  /** Removes a pending row (failed upload) and gives back what it reserved. */
  discardPendingFile(id: string): Promise<void>;

  /** A ready, unexpired, not used-up file; undefined otherwise. */
  getAvailableFile(id: string, now: Date): Promise<FileRecord | undefined>;
  /** A ready, unexpired file with this owner token hash, used up or not; undefined otherwise. */
  getOwnedFile(id: string, ownerTokenHash: string, now: Date): Promise<FileRecord | undefined>;
  /** A ready, unexpired file, used up or not (a resume may still finish it); undefined otherwise. */
  getServableFile(id: string, now: Date): Promise<FileRecord | undefined>;
  /**
   * Atomically counts one download of an available file and returns it as it is after the count;
   * undefined when the file is missing, expired or used up. One statement: concurrent downloads
   * never exceed the limit. With `resume`, records in the same transaction the resume credential of
   * this download, good for the file's size in bytes until `resume.expiresAt`.
   */
  claimDownload(id: string, now: Date, resume?: NewResume): Promise<FileRecord | undefined>;
  /**
   * Atomically spends `bytes` of the resume credential with this hash, on a ready, unexpired file
   * (used up or not); answers the file and the stored hash, or undefined when the credential is
   * unknown, of another file, expired or has fewer bytes left.
   */
  spendResume(id: string, tokenHash: string, bytes: number, now: Date): Promise<{ record: FileRecord; tokenHash: string } | undefined>;
  /** Removes resume credentials that expired before `now`. */
  sweepResumes(now: Date): Promise<number>;

  /**
   * Reserves `bytes` more for a pending upload, in one transaction against the storage cap and the
   * address quota: either all counters move or none does.
   */
  reserveUploadBytes(id: string, bytes: number, limits: UploadLimits): Promise<ReserveOutcome>;
  /** Gives back bytes reserved by a pending or just-finalized upload (never more than it holds). */
  releaseUploadBytes(id: string, bytes: number, quota?: Pick<UploadQuotaWindow, 'subject' | 'windowStart'>): Promise<void>;
  /** Bytes reserved by all files together, and by the address in its window (0 when unknown). */
  uploadUsage(quota?: Pick<UploadQuotaWindow, 'subject' | 'windowStart'>): Promise<{ storedBytes: number; quotaBytes: number }>;
  /** Removes quota windows that ended before `now`. */
  sweepUploadQuota(now: Date): Promise<number>;
  /** Changes the limits of a ready, unexpired file whose owner token hash matches; undefined when there is none. */
  updateFileLimits(id: string, ownerTokenHash: string, update: FileLimitsUpdate, now: Date): Promise<FileRecord | undefined>;
  /** ready → deleted for the owner: no longer served; the sweeper removes blob and row. */
  markFileDeleted(id: string, ownerTokenHash: string): Promise<SweepCandidate | undefined>;

  /**
   * Deleted rows, expired files (and ready rows without an expiry, which no request can reach), files used up with no counted download since `resumableSince`, and
   * uploads that have not received a byte since `staleUploadBefore`.
   */
  listSweepable(now: Date, staleUploadBefore: Date, resumableSince: Date, limit: number): Promise<SweepCandidate[]>;
  /** Removes a row for good (after its blob is gone), its resume credentials and its reserved bytes. */
  removeFile(id: string): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
