import { createId, createToken, hashToken, tokenMatchesHash } from '../../crypto/token.js';
import type { Secret } from '../../crypto/secret.js';
import { resolveRange } from '../../protocol/byte-range.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { E2E_IV_BYTES, E2E_SALT_BYTES, UPLOAD_FIELDS, parseE2eBytes, parseWholeNumber } from '../../protocol/files.js';
import type { BlobStore, StoredBlob } from '../../store/blob-store.js';
import type { FileRecord, MetadataStore } from '../../store/metadata-store.js';

export interface FilesConfig {
  maxUploadBytes: number;
  fileDefaultTtlSeconds: number;
  fileMaxTtlSeconds: number;
  fileDefaultMaxDownloads: number | null;
  fileMaxDownloads: number;
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
}

export type FilesService = ReturnType<typeof createFilesService>;

const FORMAT_V1 = 'v1';
const E2E_FIELDS = new Set<string>([UPLOAD_FIELDS.e2e, UPLOAD_FIELDS.salt, UPLOAD_FIELDS.iv, UPLOAD_FIELDS.expiresIn, UPLOAD_FIELDS.maxDownloads]);

export function createFilesService({ metadata, blobs, config, clock = () => new Date(), onCleanupError = () => {} }: FilesServiceDeps) {
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

  async function cleanup(id: string, blobKey: string, blobWritten: boolean): Promise<void> {
    try {
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
  async function upload(parts: AsyncIterable<UploadPart>): Promise<UploadResult> {
    const fields = new Map<string, string>();
    const id = createId();
    const blobKey = id;
    const ownerToken = createToken();
    let pending = false;
    let blobWritten = false;
    let sizeBytes: number | undefined;
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
        ({ sizeBytes } = await blobs.put(blobKey, limited(id, part.stream)));
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
        expiresAt: new Date(now.getTime() + (ttlSeconds ?? config.fileDefaultTtlSeconds) * 1000),
        maxDownloads: maxDownloads ?? config.fileDefaultMaxDownloads,
      });
      // The row is gone only if the sweeper took the upload for abandoned: the client must send it again.
      const record = finalized ? await metadata.getAvailableFile(id, now) : undefined;
      if (!record) throw new BlindvaultError('UPLOAD_ABORTED');
      return { record, ownerToken };
    } catch (error) {
      if (pending) await cleanup(id, blobKey, blobWritten);
      throw error;
    }
  }

  function etagOf(record: FileRecord): string {
    return `"${record.format}-${record.id}"`;
  }

  const resumeWindowMs = config.fileResumeWindowSeconds * 1000;

  /** An available file, or one whose last counted download is recent enough to be resumed. */
  async function findDownloadable(id: string, now: Date): Promise<FileRecord> {
    const record =
      (await metadata.getAvailableFile(id, now)) ?? (await metadata.getResumableFile(id, now, new Date(now.getTime() - resumeWindowMs)));
    if (!record) throw new BlindvaultError('NOT_FOUND');
    return record;
  }

  /** Metadata for HEAD: counts nothing. */
  async function inspectDownload(id: string): Promise<{ record: FileRecord; etag: string }> {
    const record = await findDownloadable(id, clock());
    return { record, etag: etagOf(record) };
  }

  /**
   * Opens the ciphertext for download. Every request counts as one download (atomically, against the
   * limit), except a range that starts past byte 0 within FILE_RESUME_WINDOW_SECONDS of the last
   * counted download: the resume of a broken transfer, as Bitwarden Send allows through its
   * short-lived download URLs. So a limit cannot be dodged with ranges, and a recipient whose
   * download broke can still finish it.
   */
  async function download(id: string, rangeHeader: string | undefined, ifRange: string | undefined): Promise<Download> {
    const now = clock();
    let record = await findDownloadable(id, now);
    const etag = etagOf(record);
    const range = resolveRange(rangeHeader, record.sizeBytes ?? 0, ifRange, etag);
    if (range.kind === 'unsatisfiable') throw new BlindvaultError('RANGE_NOT_SATISFIABLE', { sizeBytes: record.sizeBytes ?? 0 });
    const resumes =
      range.kind === 'partial' && range.start > 0 && record.lastDownloadAt !== null && now.getTime() - record.lastDownloadAt.getTime() < resumeWindowMs;
    if (!resumes) {
      const claimed = await metadata.claimDownload(id, now);
      if (!claimed) throw new BlindvaultError('NOT_FOUND');
      record = claimed;
    }
    const blobRange = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
    const blob = await blobs.get(record.blobKey, blobRange);
    // Deleted by its owner or the sweeper an instant ago.
    if (!blob) throw new BlindvaultError('NOT_FOUND');
    return { record, etag, blob, ...(blobRange ? { range: blobRange } : {}) };
  }

  /** The owner's view, also of a used-up file. A wrong token and a missing file look the same. */
  async function describe(id: string, ownerToken: Secret<string>): Promise<FileRecord> {
    const record = await metadata.getOwnedFile(id, hashToken(ownerToken), clock());
    // The store matched the hash; the constant-time check keeps that from being the only guard.
    if (!record || !tokenMatchesHash(ownerToken, record.ownerTokenHash)) throw new BlindvaultError('NOT_FOUND');
    return record;
  }

  /** New limits; the expiry stays within FILE_MAX_TTL_SECONDS of the upload, as at upload time. */
  async function update(id: string, ownerToken: Secret<string>, change: { expiresInSeconds?: number; maxDownloads?: number | null }): Promise<FileRecord> {
    if (change.expiresInSeconds === undefined && change.maxDownloads === undefined) throw new BlindvaultError('VALIDATION_FAILED');
    const record = await describe(id, ownerToken);
    const now = clock();
    const expiresAt = change.expiresInSeconds === undefined ? undefined : new Date(now.getTime() + change.expiresInSeconds * 1000);
    if (expiresAt && expiresAt.getTime() > record.createdAt.getTime() + config.fileMaxTtlSeconds * 1000) {
      throw new BlindvaultError('INVALID_EXPIRES_IN');
    }
    if (change.maxDownloads != null && change.maxDownloads > config.fileMaxDownloads) {
      throw new BlindvaultError('INVALID_MAX_DOWNLOADS');
    }
    const updated = await metadata.updateFileLimits(
      id,
      record.ownerTokenHash,
      { ...(expiresAt ? { expiresAt } : {}), ...(change.maxDownloads !== undefined ? { maxDownloads: change.maxDownloads } : {}) },
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
