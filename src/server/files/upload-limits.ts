// The rules every upload route obeys, in one place: expiry arithmetic, download limits, and the
// storage bounds (per-address byte quota, global storage cap, free-space floor). POST /upload uses
// them; a second upload route (resumable uploads) must call the same functions.
import { BlindvaultError } from '../../protocol/errors.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { MetadataStore, ReserveOutcome, UploadQuotaWindow } from '../../store/metadata-store.js';
import { addressSubject } from '../edge/address-subject.js';

export interface UploadLimitsConfig {
  maxUploadBytes: number;
  fileMaxTtlSeconds: number;
  fileMaxDownloads: number;
  fileUploadQuota: { limitBytes: number; windowSeconds: number };
  fileStorageCapBytes: number;
  fileMinFreeBytes: number;
}

export interface UploadLimitsDeps {
  metadata: MetadataStore;
  blobs: BlobStore;
  config: UploadLimitsConfig;
  clock: () => Date;
}

/** The latest instant a JavaScript Date (and so every stored time) can hold. */
const MAX_TIME_MS = 8.64e15;

/**
 * Room is reserved ahead in steps of this size, so a large upload costs one transaction per step,
 * not per chunk; what is not used is given back when the upload ends.
 */
export const RESERVE_STEP_BYTES = 8 * 1024 * 1024;

/**
 * The expiry `ttlSeconds` after `now`, never later than FILE_MAX_TTL_SECONDS after `createdAt` (the
 * upload). Total: any other value (not a whole number, below 1, too far, or beyond what a time can
 * hold) is INVALID_EXPIRES_IN, never an invalid Date.
 */
export function expiryAfter(now: Date, ttlSeconds: number, createdAt: Date, maxTtlSeconds: number): Date {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) throw new BlindvaultError('INVALID_EXPIRES_IN');
  const expiresAtMs = now.getTime() + ttlSeconds * 1000;
  const latestMs = createdAt.getTime() + maxTtlSeconds * 1000;
  if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs > MAX_TIME_MS || !(expiresAtMs <= latestMs)) {
    throw new BlindvaultError('INVALID_EXPIRES_IN');
  }
  return new Date(expiresAtMs);
}

/**
 * The download limit to store. Every file has one: `null` (the owner's "no limit of mine") and an
 * absent value mean the operator's FILE_MAX_DOWNLOADS (or `fallback`); more is INVALID_MAX_DOWNLOADS.
 */
export function downloadLimit(requested: number | null | undefined, maxDownloads: number, fallback = maxDownloads): number {
  if (requested === undefined) return Math.min(fallback, maxDownloads);
  if (requested === null) return maxDownloads;
  if (!Number.isSafeInteger(requested) || requested < 1 || requested > maxDownloads) throw new BlindvaultError('INVALID_MAX_DOWNLOADS');
  return requested;
}

/** What one upload has reserved, and the calls that move it. Not shared between requests. */
export interface UploadBudget {
  /** Reserves room for `totalBytes` received so far, before any of them is written. */
  cover(totalBytes: number): Promise<void>;
  /** Passes chunks on, each covered before it goes; `startBytes` are those the file already has. */
  meter(source: AsyncIterable<Uint8Array>, startBytes?: number): AsyncGenerator<Uint8Array>;
  /** The upload is stored with `sizeBytes`: gives back what was reserved beyond it. */
  settle(sizeBytes: number): Promise<void>;
  /** The upload failed: gives back everything it reserved. */
  release(): Promise<void>;
}

export type UploadLimits = ReturnType<typeof createUploadLimits>;

export function createUploadLimits({ metadata, blobs, config, clock }: UploadLimitsDeps) {
  const cap = config.fileStorageCapBytes;
  const quotaLimit = config.fileUploadQuota.limitBytes;
  const windowMs = config.fileUploadQuota.windowSeconds * 1000;

  function quotaWindow(clientAddress: string, now: Date): UploadQuotaWindow {
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    return { subject: addressSubject(clientAddress), windowStart: new Date(windowStart), expiresAt: new Date(windowStart + windowMs), limitBytes: quotaLimit };
  }

  function quotaExceeded(window: UploadQuotaWindow, now: Date): BlindvaultError {
    const retryAfterSeconds = Math.max(1, Math.ceil((window.expiresAt.getTime() - now.getTime()) / 1000));
    return new BlindvaultError('UPLOAD_QUOTA_EXCEEDED', { retryAfterSeconds });
  }

  /** Whether the disk keeps FILE_MIN_FREE_BYTES once `bytes` more are written. */
  async function diskHasRoom(bytes: number): Promise<boolean> {
    const free = await blobs.freeBytes();
    return free === undefined || free - bytes >= config.fileMinFreeBytes;
  }

  /**
   * Refuses an upload before a byte of it is stored when the address has used its quota, storage is
   * at its cap or the disk at its floor; otherwise answers the budget that reserves its bytes as
   * they arrive. `reservedBytes` is what the file row already holds (a resumed upload);
   * `minimumBytes` what the request will bring at least (its declared length less framing).
   */
  async function admit(fileId: string, clientAddress: string, options: { reservedBytes?: number; minimumBytes?: number } = {}): Promise<UploadBudget> {
    const now = clock();
    const window = quotaWindow(clientAddress, now);
    const usage = await metadata.uploadUsage(window);
    // What the request itself says it will bring (a declared length) is refused before it is read.
    const coming = options.minimumBytes ?? 0;
    // Refused also when nothing is left at all: the upload would be refused at its first byte.
    if (usage.quotaBytes + Math.max(1, coming) > quotaLimit) throw quotaExceeded(window, now);
    if (usage.storedBytes + Math.max(1, coming) > cap || !(await diskHasRoom(coming))) throw new BlindvaultError('STORAGE_FULL');
    let reserved = options.reservedBytes ?? 0;

    async function reserve(bytes: number): Promise<ReserveOutcome | 'disk_full'> {
      if (!(await diskHasRoom(bytes))) return 'disk_full';
      const outcome = await metadata.reserveUploadBytes(fileId, bytes, { storageCapBytes: cap, quota: window });
      // The row is gone: the sweeper took the upload for abandoned.
      if (outcome === 'gone') throw new BlindvaultError('UPLOAD_ABORTED');
      return outcome;
    }

    async function cover(totalBytes: number): Promise<void> {
      if (totalBytes <= reserved) return;
      if (totalBytes > config.maxUploadBytes) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
      const need = totalBytes - reserved;
      let amount = Math.min(Math.max(need, RESERVE_STEP_BYTES), config.maxUploadBytes - reserved);
      let outcome = await reserve(amount);
      // Near a limit, the step ahead may not fit where the bytes themselves still do.
      if (outcome !== 'reserved' && amount > need) {
        amount = need;
        outcome = await reserve(amount);
      }
      if (outcome === 'reserved') {
        reserved += amount;
        return;
      }
      if (outcome === 'quota_exceeded') throw quotaExceeded(window, clock());
      throw new BlindvaultError('STORAGE_FULL');
    }

    return {
      cover,
      async *meter(source, startBytes = 0) {
        let total = startBytes;
        for await (const chunk of source) {
          total += chunk.byteLength;
          await cover(total);
          yield chunk;
        }
      },
      async settle(sizeBytes) {
        const surplus = reserved - sizeBytes;
        if (surplus <= 0) return;
        await metadata.releaseUploadBytes(fileId, surplus, window);
        reserved = sizeBytes;
      },
      async release() {
        const all = reserved;
        reserved = 0;
        await metadata.releaseUploadBytes(fileId, all, window);
      },
    };
  }

  return { admit };
}
