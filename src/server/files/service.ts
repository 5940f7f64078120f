import { createId, createToken, hashToken, tokenMatchesHash } from '../../crypto/token.js';
import type { Secret } from '../../crypto/secret.js';
import { resolveRange } from '../../protocol/byte-range.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { E2E_IV_BYTES, E2E_SALT_BYTES, UPLOAD_FIELDS, parseE2eBytes, parseWholeNumber } from '../../protocol/files.js';
import type { BlobStore, StoredBlob } from '../../store/blob-store.js';
import type { FileRecord, MetadataStore } from '../../store/metadata-store.js';
import { openBlob } from './open-blob.js';
import { createUploadLimits, downloadLimit, expiryAfter, type UploadBudget, type UploadLimitsConfig } from './upload-limits.js';

export interface FilesConfig extends UploadLimitsConfig {
  fileDefaultTtlSeconds: number;
  fileDefaultMaxDownloads: number;
  fileResumeWindowSeconds: number;
  staleUploadSeconds: number;
}

export interface FilesServiceDeps {
  metadata: MetadataStore;
  blobs: BlobStore;
  config: FilesConfig;
  clock?: () => Date;
  /** Told about cleanup failures that must not hide the error being answered. */
  onCleanupError?: (error: unknown) => void;
}

/** One part of a multipart upload, as the HTTP edge hands it over (framework errors already mapped). */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; name: string; stream: AsyncIterable<Uint8Array> };

export interface UploadResult {
  record: FileRecord;
  ownerToken: Secret<string>;
}

export interface Download {
  record: FileRecord;
  etag: string;
  /** Present for a partial (206) answer. */
  range?: { start: number; end: number };
  blob: StoredBlob;
  /** With a counted download: the credential its resumes must present (X-Resume-Token). */
  resumeToken?: Secret<string>;
}

export interface DownloadRequest {
  range?: string | undefined;
  ifRange?: string | undefined;
  /** The X-Resume-Token of the counted download this request continues. */
  resumeToken?: Secret<string> | undefined;
}

export type FilesService = ReturnType<typeof createFilesService>;

const FORMAT_V1 = 'v1';
const E2E_FIELDS = new Set<string>([UPLOAD_FIELDS.e2e, UPLOAD_FIELDS.salt, UPLOAD_FIELDS.iv, UPLOAD_FIELDS.expiresIn, UPLOAD_FIELDS.maxDownloads]);

export function createFilesService({ metadata, blobs, config, clock = () => new Date(), onCleanupError = () => {} }: FilesServiceDeps) {
  const limits = createUploadLimits({ metadata, blobs, config, clock });

  /** Checks the fields seen so far; with `complete`, also that the required ones are there. */
  function checkFields(fields: Map<string, string>, complete: boolean) {
    const e2e = fields.get(UPLOAD_FIELDS.e2e);
    if ((e2e !== undefined || complete) && e2e !== 'true') throw new BlindvaultError('E2E_REQUIRED');
    const saltText = fields.get(UPLOAD_FIELDS.salt);
    const salt = saltText === undefined ? undefined : parseE2eBytes(saltText, E2E_SALT_BYTES);
    if ((saltText !== undefined || complete) && !salt) throw new BlindvaultError('INVALID_E2E_SALT');
    const ivText = fields.get(UPLOAD_FIELDS.iv);
    const iv = ivText === undefined ? undefined : parseE2eBytes(ivText, E2E_IV_BYTES);
    if ((ivText !== undefined || complete) && !iv) throw new BlindvaultError('INVALID_E2E_IV');
    const ttlSeconds = optionalNumber(fields.get(UPLOAD_FIELDS.expiresIn), 1, config.fileMaxTtlSeconds, 'INVALID_EXPIRES_IN');
    const maxDownloads = optionalNumber(fields.get(UPLOAD_FIELDS.maxDownloads), 1, config.fileMaxDownloads, 'INVALID_MAX_DOWNLOADS');
    return { salt, iv, ttlSeconds, maxDownloads };
  }

  // A pending upload that receives bytes says so at this pace, so the sweeper never takes a slow
  // upload for an abandoned one.
  const touchEveryMs = Math.min(60_000, (config.staleUploadSeconds * 1000) / 4);

  /**
   * Counts ciphertext bytes as they stream past, stops the upload the moment the limit is passed,
   * and keeps the pending row alive while bytes arrive.
   */
  async function* limited(id: string, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let total = 0;
    let touchedAt = clock().getTime();
    for await (const chunk of source) {
      total += chunk.byteLength;
      if (total > config.maxUploadBytes) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
      const now = clock();
      if (now.getTime() - touchedAt >= touchEveryMs) {
        touchedAt = now.getTime();
        await metadata.touchPendingFile(id, now);
      }
      yield chunk;
    }
  }

  async function cleanup(id: string, blobKey: string, blobWritten: boolean, budget: UploadBudget): Promise<void> {
    try {
      await budget.release();
      if (blobWritten) await blobs.delete(blobKey);
      await metadata.discardPendingFile(id);
    } catch (error) {
      onCleanupError(error);
    }
  }

  /**
   * Streams one client-encrypted file into the blob store. Fields may come before or after the file
   * part; those already seen are checked before a byte is stored. On any failure the pending row and
   * the blob are removed, so nothing half-written remains or is ever served.
   */
  async function upload(parts: AsyncIterable<UploadPart>, clientAddress: string, options: { minimumBytes?: number } = {}): Promise<UploadResult> {
    const fields = new Map<string, string>();
    const id = createId();
    const blobKey = id;
    const ownerToken = createToken();
    let pending = false;
    let blobWritten = false;
    let sizeBytes: number | undefined;
    // Before a part is read: quota, storage cap and free-space floor.
    const budget: UploadBudget = await limits.admit(id, clientAddress, options);
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (!E2E_FIELDS.has(part.name)) continue; // unknown fields are dropped, never trusted
          if (fields.has(part.name)) throw new BlindvaultError('DUPLICATE_FIELD', { field: part.name });
          fields.set(part.name, part.value);
          continue;
        }
        if (part.name !== UPLOAD_FIELDS.file) throw new BlindvaultError('MISSING_FILE');
        if (pending) throw new BlindvaultError('MULTIPLE_FILES');
        checkFields(fields, false);
        pending = true;
        await metadata.createPendingFile({ id, blobKey, ownerTokenHash: hashToken(ownerToken), format: FORMAT_V1, createdAt: clock() });
        ({ sizeBytes } = await blobs.put(blobKey, budget.meter(limited(id, part.stream))));
        blobWritten = true;
      }
      if (sizeBytes === undefined) throw new BlindvaultError('MISSING_FILE');
      const { salt, iv, ttlSeconds, maxDownloads } = checkFields(fields, true);
      if (!salt || !iv) throw new BlindvaultError('VALIDATION_FAILED'); // unreachable: checked above
      const now = clock();
      const finalized = await metadata.finalizeFile(id, {
        salt,
        iv,
        sizeBytes,
        expiresAt: expiryAfter(now, ttlSeconds ?? config.fileDefaultTtlSeconds, now, config.fileMaxTtlSeconds),
        maxDownloads: downloadLimit(maxDownloads, config.fileMaxDownloads, config.fileDefaultMaxDownloads),
      });
      // The row is gone only if the sweeper took the upload for abandoned: the client must send it again.
      if (finalized) await budget.settle(sizeBytes);
      const record = finalized ? await metadata.getAvailableFile(id, now) : undefined;
      if (!record) throw new BlindvaultError('UPLOAD_ABORTED');
      return { record, ownerToken };
    } catch (error) {
      if (pending) await cleanup(id, blobKey, blobWritten, budget);
      throw error;
    }
  }

  function etagOf(record: FileRecord): string {
    return `"${record.format}-${record.id}"`;
  }

  const resumeWindowMs = config.fileResumeWindowSeconds * 1000;

  /** Metadata for HEAD: counts nothing, and a used-up file is gone (404) as for GET. */
  async function inspectDownload(id: string): Promise<{ record: FileRecord; etag: string }> {
    const record = await metadata.getAvailableFile(id, clock());
    if (!record) throw new BlindvaultError('NOT_FOUND');
    return { record, etag: etagOf(record) };
  }

  /**
   * Opens the ciphertext for download. Every request counts as one download (atomically, against the
   * limit) and its answer carries a resume credential, except a range that presents the credential
   * of a counted download made within FILE_RESUME_WINDOW_SECONDS: the resume of that transfer. The
   * resumes of one counted download serve at most the file's size in bytes between them. So a
   * limit cannot be dodged with ranges, and a recipient whose download broke can still finish it.
   * A request whose blob the store fails to open (or to start reading) counts nothing.
   */
  async function download(id: string, request: DownloadRequest = {}): Promise<Download> {
    const now = clock();
    if (request.resumeToken && request.range !== undefined) {
      const resumed = await resume(id, request, request.resumeToken, now);
      if (resumed) return resumed;
    }
    return countedDownload(id, request, now);
  }

  /** A resume, or undefined when the credential does not hold (the request is then counted). */
  async function resume(id: string, request: DownloadRequest, token: Secret<string>, now: Date): Promise<Download | undefined> {
    const record = await metadata.getServableFile(id, now);
    if (!record) return undefined;
    const etag = etagOf(record);
    const range = resolveRange(request.range, record.sizeBytes ?? 0, request.ifRange, etag);
    if (range.kind !== 'partial') return undefined;
    const blobRange = { start: range.start, end: range.end };
    // Opened before the bytes are spent: a store that fails costs the credential nothing.
    const blob = await openBlob(blobs, record.blobKey, blobRange);
    if (!blob) throw new BlindvaultError('NOT_FOUND');
    const spent = await whileOpen(blob, () => metadata.spendResume(id, hashToken(token), range.end - range.start + 1, now));
    // The store matched the hash; the constant-time check keeps that from being the only guard.
    if (!spent || !tokenMatchesHash(token, spent.tokenHash)) {
      blob.stream.destroy();
      return undefined;
    }
    return { record: spent.record, etag, blob, range: blobRange };
  }

  /** Runs a metadata step while `blob` is open; on a failure the blob is released before rethrowing. */
  async function whileOpen<T>(blob: StoredBlob, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      blob.stream.destroy();
      throw error;
    }
  }

  async function countedDownload(id: string, request: DownloadRequest, now: Date): Promise<Download> {
    const available = await metadata.getAvailableFile(id, now);
    if (!available) throw new BlindvaultError('NOT_FOUND');
    const etag = etagOf(available);
    const range = resolveRange(request.range, available.sizeBytes ?? 0, request.ifRange, etag);
    if (range.kind === 'unsatisfiable') throw new BlindvaultError('RANGE_NOT_SATISFIABLE', { sizeBytes: available.sizeBytes ?? 0 });
    const blobRange = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
    // The blob is opened (its first bytes read) before the download is counted, so a store that is
    // down or fails before the first byte costs the file none of its downloads. The count itself
    // stays one atomic statement, so concurrent requests on any instance still never pass the limit;
    // a request refused there only releases the blob it opened.
    const blob = await openBlob(blobs, available.blobKey, blobRange);
    // Deleted by its owner or the sweeper an instant ago.
    if (!blob) throw new BlindvaultError('NOT_FOUND');
    const resumeToken = resumeWindowMs > 0 ? createToken() : undefined;
    const resumeUntil = Math.min(now.getTime() + resumeWindowMs, available.expiresAt?.getTime() ?? now.getTime());
    const record = await whileOpen(blob, () =>
      metadata.claimDownload(id, now, resumeToken && { tokenHash: hashToken(resumeToken), expiresAt: new Date(resumeUntil) }),
    );
    if (!record) {
      blob.stream.destroy();
      throw new BlindvaultError('NOT_FOUND');
    }
    return { record, etag, blob, ...(blobRange ? { range: blobRange } : {}), ...(resumeToken ? { resumeToken } : {}) };
  }

  /** The owner's view, also of a used-up file. A wrong token and a missing file look the same. */
  async function describe(id: string, ownerToken: Secret<string>): Promise<FileRecord> {
    const record = await metadata.getOwnedFile(id, hashToken(ownerToken), clock());
    // The store matched the hash; the constant-time check keeps that from being the only guard.
    if (!record || !tokenMatchesHash(ownerToken, record.ownerTokenHash)) throw new BlindvaultError('NOT_FOUND');
    return record;
  }

  /**
   * New limits; the expiry stays within FILE_MAX_TTL_SECONDS of the upload, as at upload time, and
   * `max_downloads: null` means the operator's FILE_MAX_DOWNLOADS, never unlimited.
   */
  async function update(id: string, ownerToken: Secret<string>, change: { expiresInSeconds?: number; maxDownloads?: number | null }): Promise<FileRecord> {
    if (change.expiresInSeconds === undefined && change.maxDownloads === undefined) throw new BlindvaultError('VALIDATION_FAILED');
    const record = await describe(id, ownerToken);
    const now = clock();
    const expiresAt =
      change.expiresInSeconds === undefined ? undefined : expiryAfter(now, change.expiresInSeconds, record.createdAt, config.fileMaxTtlSeconds);
    const maxDownloads = change.maxDownloads === undefined ? undefined : downloadLimit(change.maxDownloads, config.fileMaxDownloads);
    const updated = await metadata.updateFileLimits(
      id,
      record.ownerTokenHash,
      { ...(expiresAt ? { expiresAt } : {}), ...(maxDownloads !== undefined ? { maxDownloads } : {}) },
      now,
    );
    if (!updated) throw new BlindvaultError('NOT_FOUND');
    return updated;
  }

  /** Ends the file at once (404 from now on), then removes its blob and row. */
  async function remove(id: string, ownerToken: Secret<string>): Promise<void> {
    const record = await describe(id, ownerToken);
    const deleted = await metadata.markFileDeleted(id, record.ownerTokenHash);
    if (!deleted) throw new BlindvaultError('NOT_FOUND');
    await blobs.delete(deleted.blobKey);
    await metadata.removeFile(deleted.id);
  }

  /**
   * Deletes expired, used-up and owner-deleted files and abandoned uploads: blob first, then row, so
   * a crash in between is finished by the next sweep. Safe to run in several instances at once.
   */
  async function sweep(batchSize = 100): Promise<number> {
    let removed = 0;
    for (;;) {
      const now = clock();
      const staleBefore = new Date(now.getTime() - config.staleUploadSeconds * 1000);
      const batch = await metadata.listSweepable(now, staleBefore, new Date(now.getTime() - resumeWindowMs), batchSize);
      for (const candidate of batch) {
        await blobs.delete(candidate.blobKey);
        await metadata.removeFile(candidate.id);
        removed += 1;
      }
      if (batch.length < batchSize) break;
    }
    await metadata.sweepResumes(clock());
    await metadata.sweepUploadQuota(clock());
    await blobs.sweepPartials(config.staleUploadSeconds * 1000);
    return removed;
  }

  return { upload, inspectDownload, download, describe, update, remove, sweep };
}

function optionalNumber(
  text: string | undefined,
  min: number,
  max: number,
  code: 'INVALID_EXPIRES_IN' | 'INVALID_MAX_DOWNLOADS',
): number | undefined {
  if (text === undefined) return undefined;
  const value = parseWholeNumber(text);
  if (value === undefined || value < min || value > max) throw new BlindvaultError(code);
  return value;
}
