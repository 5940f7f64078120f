// uploadFile: encrypt a source here and upload the ciphertext. v2 (default) streams through the
// resumable tus endpoint, with constant memory; v1 is the seed's one-shot format through POST /upload.
import { fromBase64Url, toBase64Url } from '../crypto/encoding.js';
import { BlindvaultError } from '../protocol/errors.js';
import { getFileInfo } from './files-api.js';
import type { UploadOptions, UploadResult } from './upload-options.js';
import { formatDownloadLink, formatManageLink } from './links.js';
import type { UploadResumeRecord } from './resume-store.js';
import { createUpload, terminateUpload, uploadOffset } from './uploads-api.js';
import { tusTransfer } from './tus-transfer.js';
import type { UploadSource } from './upload-source.js';
import { encodeLinkKey, sealFileV2, type SealedFileV2 } from './file-v2.js';
import { uploadV1 } from './upload-v1.js';

export type { UploadOptions, UploadResult } from './upload-options.js';

export async function uploadFile(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
  return (options.format ?? 'v2') === 'v1' ? uploadV1(source, options) : uploadV2(source, options);
}

/** What must be equal for an upload to be the continuation of a saved one. */
function matchOf(source: UploadSource, options: UploadOptions): string | undefined {
  if (source.location === undefined || source.identity === undefined) return undefined;
  return JSON.stringify([options.serverUrl, source.location, options.passphrase !== undefined, options.expiresInSeconds ?? null, options.maxDownloads ?? null]);
}

async function uploadV2(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
  const fetchImpl = options.fetch ?? fetch;
  const match = matchOf(source, options);
  const store = match !== undefined ? options.resume : undefined;
  let saved = match !== undefined ? await store?.find(match) : undefined;
  let sealed: SealedFileV2 | undefined;
  if (saved) {
    sealed = await resumeSaved(source, saved, options).catch((error: unknown) => {
      // Without a connection nothing can be judged: keep the state for the next run.
      if (options.signal?.aborted || (error instanceof BlindvaultError && error.code === 'NETWORK_ERROR')) throw error;
      return undefined;
    });
    if (!sealed) {
      // Changed source, another passphrase, or an upload the server no longer has: end it and start afresh.
      await terminateUpload(fetchImpl, saved).catch(() => undefined);
      await store?.remove(saved.match);
      saved = undefined;
    }
  }
  const resumed = saved !== undefined;
  if (!saved || !sealed) {
    sealed = await sealFileV2(source, { ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}), ...(options.crypto ? { crypto: options.crypto } : {}) });
    const created = await createUpload(
      fetchImpl,
      options.serverUrl,
      {
        sizeBytes: sealed.ciphertextBytes,
        ...(options.expiresInSeconds !== undefined ? { expiresInSeconds: options.expiresInSeconds } : {}),
        ...(options.maxDownloads !== undefined ? { maxDownloads: options.maxDownloads } : {}),
      },
      options.signal,
    );
    saved = {
      match: match ?? '',
      identity: source.identity ?? '',
      serverUrl: options.serverUrl,
      id: created.id,
      uploadUrl: created.uploadUrl,
      uploadToken: created.uploadToken,
      ownerToken: created.ownerToken,
      sizeBytes: created.sizeBytes,
      header: toBase64Url(sealed.header),
      ...(sealed.keyMode === 'key' ? { fileKey: toBase64Url(sealed.fileKey) } : {}),
      createdAt: new Date().toISOString(),
    } satisfies UploadResumeRecord;
    // Saved before the first byte goes out (docs/uploads.md §1): a crash from here on can be resumed.
    if (store) await store.save(saved);
  }
  await tusTransfer({
    uploadUrl: saved.uploadUrl,
    uploadToken: saved.uploadToken,
    source: { sizeBytes: sealed.ciphertextBytes, read: (offset) => (sealed as SealedFileV2).read(offset) },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.chunkSizeBytes !== undefined ? { chunkSizeBytes: options.chunkSizeBytes } : {}),
    ...(options.chunkBody ? { chunkBody: options.chunkBody } : {}),
  });
  const info = await getFileInfo(fetchImpl, options.serverUrl, saved.id, saved.ownerToken);
  if (store) await store.remove(saved.match);
  return {
    id: saved.id,
    downloadUrl: formatDownloadLink({ serverUrl: options.serverUrl, id: saved.id, fragment: sealed.keyMode === 'key' ? encodeLinkKey(sealed.fileKey) : undefined }),
    manageUrl: formatManageLink({ serverUrl: options.serverUrl, id: saved.id, ownerToken: saved.ownerToken }),
    expiresAt: info.expiresAt,
    maxDownloads: info.maxDownloads,
    format: 'v2',
    resumed,
  };
}

/** The sealer of a saved upload, if it may go on: same source, same key or passphrase, still on the server. */
async function resumeSaved(source: UploadSource, saved: UploadResumeRecord, options: UploadOptions): Promise<SealedFileV2 | undefined> {
  if (saved.identity !== source.identity) return undefined;
  const header = fromBase64Url(saved.header);
  const fileKey = saved.fileKey !== undefined ? fromBase64Url(saved.fileKey) : undefined;
  if (!header || (fileKey === undefined) !== (options.passphrase !== undefined)) return undefined;
  if ((await uploadOffset(options.fetch ?? fetch, saved, options.signal)) === undefined) return undefined;
  const sealed = await sealFileV2(source, {
    header,
    ...(fileKey ? { fileKey } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  return sealed.ciphertextBytes === saved.sizeBytes ? sealed : undefined;
}
