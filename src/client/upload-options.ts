// What uploadFile takes and answers, for both formats.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import type { Fetch } from './files-api.js';
import type { ChunkBody } from './tus-transfer.js';
import type { ResumeStore } from './resume-store.js';

export interface UploadOptions {
  serverUrl: string;
  format?: 'v1' | 'v2';
  /** Encrypt with a key derived from this passphrase (Argon2id for v2; PBKDF2 for v1) instead of a random key. */
  passphrase?: string;
  expiresInSeconds?: number;
  maxDownloads?: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Where an interrupted v2 upload keeps its state; without one, an upload cannot be resumed. */
  resume?: ResumeStore;
  crypto?: CryptoBackend;
  fetch?: Fetch;
  signal?: AbortSignal;
  /** Bytes per tus PATCH; default 8 MiB (the server's UPLOAD_MAX_CHUNK_BYTES is the most). */
  chunkSizeBytes?: number;
  /** How a chunk becomes a request body: Node passes `nodeStreamingBody` (client/node), browsers the default. */
  chunkBody?: ChunkBody;
}

export interface UploadResult {
  id: string;
  /** `{server}/f/{id}#{key}`; without `#` when a passphrase was used. */
  downloadUrl: string;
  manageUrl: string;
  expiresAt: Date;
  maxDownloads: number | null;
  format: 'v1' | 'v2';
  /** An interrupted upload of the same source was continued. */
  resumed: boolean;
}
