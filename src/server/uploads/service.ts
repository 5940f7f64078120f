import { createId, createToken, hashToken, hexEqual } from '../../crypto/token.js';
import type { Secret } from '../../crypto/secret.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { parseWholeNumber } from '../../protocol/files.js';
import { UPLOAD_METADATA_KEYS, parseUploadMetadata } from '../../protocol/uploads.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { MetadataStore } from '../../store/metadata-store.js';
import type { UploadRecord, UploadRecordStore } from '../../store/upload-record-store.js';
import { UploadOffsetConflict, type UploadStore } from '../../store/upload-store.js';
import { createUploadLimits, downloadLimit, expiryAfter, type UploadLimitsConfig } from '../files/upload-limits.js';

/** The file API's limits (upload-limits.ts) apply to resumable uploads alike. */
export interface UploadsConfig extends UploadLimitsConfig {
  fileDefaultTtlSeconds: number;
  fileDefaultMaxDownloads: number;
  staleUploadSeconds: number;
  uploadMaxChunkBytes: number;
  uploadMaxPartialPerAddress: number;
}

export interface UploadsServiceDeps {
  records: UploadRecordStore;
  uploads: UploadStore;
  metadata: MetadataStore;
  blobs: BlobStore;
  config: UploadsConfig;
  clock?: () => Date;
  /** Told about cleanup failures that must not hide the error being answered. */
  onCleanupError?: (error: unknown) => void;
}

export interface CreateUploadInput {
  lengthBytes: number;
  /** The raw Upload-Metadata header, if any. */
  metadata: string | undefined;
  clientAddress: string;
}

export interface CreatedUpload {
  id: string;
  createdAt: Date;
  lengthBytes: number;
  ttlSeconds: number;
  maxDownloads: number | null;
  uploadToken: Secret<string>;
  ownerToken: Secret<string>;
}

/** Who asks: the upload id and the SHA-256 of the upload token presented with it. */
export interface UploadCaller {
  id: string;
  uploadTokenHash: string;
}

export interface UploadProgress {
  lengthBytes: number;
  offset: number;
  createdAt: Date;
  complete: boolean;
}

export type UploadsService = ReturnType<typeof createUploadsService>;

const FORMAT_V2 = 'v2';

export function createUploadsService({ records, uploads, metadata, blobs, config, clock = () => new Date(), onCleanupError = () => {} }: UploadsServiceDeps) {
  const staleBefore = () => new Date(clock().getTime() - config.staleUploadSeconds * 1000);
  // A receiving upload says so at this pace, so the sweeper never takes a slow one for abandoned.
  const touchEveryMs = Math.min(60_000, (config.staleUploadSeconds * 1000) / 4);
  const uploadLimits = createUploadLimits({ metadata, blobs, config, clock });

  function limits(text: string | undefined): { ttlSeconds: number; maxDownloads: number } {
    const entries = text === undefined ? new Map<string, string | null>() : parseUploadMetadata(text);
    if (!entries) throw new BlindvaultError('VALIDATION_FAILED', { field: 'Upload-Metadata' });
    const number = (key: string, max: number, code: 'INVALID_EXPIRES_IN' | 'INVALID_MAX_DOWNLOADS'): number | undefined => {
      if (!entries.has(key)) return undefined;
      const value = parseWholeNumber(entries.get(key) ?? '');
      if (value === undefined || value < 1 || value > max) throw new BlindvaultError(code);
      return value;
    };
    const format = entries.get(UPLOAD_METADATA_KEYS.format);
    if (entries.has(UPLOAD_METADATA_KEYS.format) && format !== FORMAT_V2) throw new BlindvaultError('VALIDATION_FAILED', { field: 'format' });
    const ttlSeconds = number(UPLOAD_METADATA_KEYS.expiresIn, config.fileMaxTtlSeconds, 'INVALID_EXPIRES_IN') ?? config.fileDefaultTtlSeconds;
    const maxDownloads = downloadLimit(number(UPLOAD_METADATA_KEYS.maxDownloads, config.fileMaxDownloads, 'INVALID_MAX_DOWNLOADS'), config.fileMaxDownloads, config.fileDefaultMaxDownloads);
    return { ttlSeconds, maxDownloads };
  }

  /**
   * Creates an upload before any byte is sent: the caller gets the file id, the upload token and
   * the owner token in the answer, and keeps them. Nothing of it is served until it completes.
   */
  async function create(input: CreateUploadInput): Promise<CreatedUpload> {
    if (input.lengthBytes > config.maxUploadBytes) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
    if (input.lengthBytes < 1) throw new BlindvaultError('VALIDATION_FAILED', { field: 'Upload-Length' });
    const { ttlSeconds, maxDownloads } = limits(input.metadata);
    const id = createId();
    const uploadToken = createToken();
    const ownerToken = createToken();
    const createdAt = clock();
    const created = await records.createUpload(
      {
        file: { id, blobKey: id, ownerTokenHash: hashToken(ownerToken), format: FORMAT_V2, createdAt },
        uploadTokenHash: hashToken(uploadToken),
        lengthBytes: input.lengthBytes,
        ttlSeconds,
        maxDownloads,
        clientAddress: input.clientAddress,
      },
      config.uploadMaxPartialPerAddress,
    );
    if (!created) throw new BlindvaultError('TOO_MANY_PARTIAL_UPLOADS');
    try {
      // The whole declared length counts against the address's quota, the storage cap and the
      // free-space floor from creation on, before any byte is stored; discarding the pending row
      // (termination, abandonment, a failure here) gives it back.
      const budget = await uploadLimits.admit(id, input.clientAddress, { minimumBytes: input.lengthBytes });
      await budget.cover(input.lengthBytes);
      await uploads.create(id);
    } catch (error) {
      await metadata.discardPendingFile(id).catch(onCleanupError);
      throw error;
    }
    return { id, createdAt, lengthBytes: input.lengthBytes, ttlSeconds, maxDownloads, uploadToken, ownerToken };
  }

  async function find(caller: UploadCaller) {
    const record = await records.getUpload(caller.id, caller.uploadTokenHash, staleBefore());
    // The store matched the hash; the constant-time check keeps that from being the only guard.
    if (!record || !hexEqual(record.uploadTokenHash, caller.uploadTokenHash)) return undefined;
    return record;
  }

  /** Where the caller's upload stands; undefined for a missing, abandoned or foreign one. */
  async function progress(caller: UploadCaller): Promise<UploadProgress | undefined> {
    const record = await find(caller);
    if (!record) return undefined;
    const base = { lengthBytes: record.lengthBytes, createdAt: record.createdAt };
    if (record.state === 'complete') return { ...base, offset: record.lengthBytes, complete: true };
    const offset = await uploads.offset(caller.id);
    return offset === undefined ? undefined : { ...base, offset, complete: false };
  }

  /**
   * Counts a chunk's bytes as they stream past, stops it past UPLOAD_MAX_CHUNK_BYTES, and keeps the
   * pending file row alive while bytes arrive.
   */
  async function* chunk(id: string, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let total = 0;
    let touchedAt = clock().getTime();
    for await (const bytes of source) {
      total += bytes.byteLength;
      if (total > config.uploadMaxChunkBytes) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
      const now = clock();
      if (now.getTime() - touchedAt >= touchEveryMs) {
        touchedAt = now.getTime();
        await metadata.touchPendingFile(id, now);
      }
      yield bytes;
    }
  }

  /**
   * Appends one chunk at `offset`; the caller holds the upload's lock. The chunk that brings the
   * upload to its length completes it, still under the lock. Resolves to the new offset.
   */
  async function append(caller: UploadCaller, offset: number, source: AsyncIterable<Uint8Array>): Promise<number> {
    const record = await find(caller);
    if (!record) throw new BlindvaultError('NOT_FOUND');
    if (record.state === 'complete') throw new BlindvaultError('UPLOAD_COMPLETE');
    await metadata.touchPendingFile(caller.id, clock());
    let reached: number;
    try {
      reached = await uploads.append(caller.id, offset, chunk(caller.id, source));
    } catch (error) {
      if (error instanceof UploadOffsetConflict) throw new BlindvaultError(error.actualOffset < 0 ? 'NOT_FOUND' : 'UPLOAD_OFFSET_MISMATCH');
      throw error;
    } finally {
      await metadata.touchPendingFile(caller.id, clock()).catch(onCleanupError);
    }
    if (reached === record.lengthBytes) await finish(caller, record);
    return reached;
  }

  /**
   * The last byte is in: the partial becomes the file's blob, then the file row becomes ready with
   * its expiry counted from now. Until that commit nothing of it is served.
   */
  async function finish(caller: UploadCaller, record: UploadRecord): Promise<void> {
    let sizeBytes: number;
    try {
      ({ sizeBytes } = await uploads.complete(caller.id, record.blobKey));
    } catch (error) {
      // Swept as abandoned while its last chunk arrived: the client must send it again.
      if ((await uploads.offset(caller.id)) === undefined && !(await records.isReceiving(caller.id))) throw new BlindvaultError('UPLOAD_ABORTED');
      throw error;
    }
    if (sizeBytes !== record.lengthBytes) throw new Error(`upload ${caller.id} completed with ${sizeBytes} of ${record.lengthBytes} bytes`);
    const now = clock();
    const completed = await records.completeUpload(caller.id, caller.uploadTokenHash, {
      completedAt: now,
      sizeBytes,
      // Counted from completion, within FILE_MAX_TTL_SECONDS of it.
      expiresAt: expiryAfter(now, record.ttlSeconds, now, config.fileMaxTtlSeconds),
      maxDownloads: record.maxDownloads,
    });
    if (!completed) {
      // Swept or ended an instant ago: the client must send it again.
      await blobs.delete(record.blobKey).catch(onCleanupError);
      throw new BlindvaultError('UPLOAD_ABORTED');
    }
  }

  /** tus termination: ends an unfinished upload and removes its bytes. */
  async function terminate(caller: UploadCaller): Promise<void> {
    const record = await find(caller);
    if (!record) throw new BlindvaultError('NOT_FOUND');
    if (record.state === 'complete') throw new BlindvaultError('UPLOAD_COMPLETE');
    if (!(await records.removeUpload(caller.id, caller.uploadTokenHash))) throw new BlindvaultError('NOT_FOUND');
    // Rows first, then bytes: a crash in between leaves a partial that no row claims (swept).
    await metadata.discardPendingFile(caller.id);
    await uploads.delete(caller.id);
  }

  /**
   * Removes abandoned uploads (no byte for STALE_UPLOAD_SECONDS): bytes first, then rows, and then
   * any partial left without a row by a crash. Safe to run in several instances at once.
   */
  async function sweep(batchSize = 100): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await records.listStaleUploads(staleBefore(), batchSize);
      for (const stale of batch) {
        await uploads.delete(stale.id);
        // The upload row goes with its file row (ON DELETE CASCADE).
        await metadata.discardPendingFile(stale.id);
        removed += 1;
      }
      if (batch.length < batchSize) break;
    }
    // A partial whose row is alive is the row's to expire (above), whatever its file's mtime says.
    removed += await uploads.sweepStale(staleBefore(), (key) => records.isReceiving(key));
    return removed;
  }

  return { create, progress, append, terminate, sweep };
}
