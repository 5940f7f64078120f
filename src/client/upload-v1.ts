// Format v1 (docs/formats/file-v1.md), the seed's: PBKDF2 and one-shot AES-256-GCM through POST /upload,
// so that the seed's Python download snippet decrypts it unchanged. The whole file is in memory, so it
// is refused above V1_MAX_BYTES. Without a passphrase, a random one is made and carried in the link's #.
import { BlindvaultError } from '../protocol/errors.js';
import { UPLOAD_FIELDS, formatE2eBytes } from '../protocol/file-fields.js';
import { concat, expectJson, readUploadAnswer, request } from './files-api.js';
import { randomPassphrase, sealFileV1, V1_MAX_BYTES } from './file-v1.js';

export { V1_MAX_BYTES };
import { formatDownloadLink, formatManageLink } from './links.js';
import type { UploadOptions, UploadResult } from './upload-options.js';
import type { UploadSource } from './upload-source.js';


export async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number, onBytes?: (n: number) => void): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BlindvaultError('V1_TOO_LARGE', { maxBytes });
    }
    chunks.push(value);
    onBytes?.(total);
  }
  return concat(chunks);
}

export async function uploadV1(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
  if (source.sizeBytes > V1_MAX_BYTES) throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
  // The whole file is read (v1 is one-shot), then encrypted in one call: the reason for its size limit.
  const plaintext = await readAll(source.read(0), V1_MAX_BYTES);
  if (plaintext.byteLength !== source.sizeBytes) throw new BlindvaultError('UPLOAD_CHANGED');
  const passphrase = options.passphrase ?? randomPassphrase(options.crypto);
  const { salt, iv, ciphertext } = await sealFileV1(plaintext, passphrase, options.crypto);
  const form = new FormData();
  form.set(UPLOAD_FIELDS.e2e, 'true');
  form.set(UPLOAD_FIELDS.salt, formatE2eBytes(salt));
  form.set(UPLOAD_FIELDS.iv, formatE2eBytes(iv));
  if (options.expiresInSeconds !== undefined) form.set(UPLOAD_FIELDS.expiresIn, String(options.expiresInSeconds));
  if (options.maxDownloads !== undefined) form.set(UPLOAD_FIELDS.maxDownloads, String(options.maxDownloads));
  // The file part comes last: the server reads the fields before the body (no name: none is stored).
  form.set(UPLOAD_FIELDS.file, new Blob([ciphertext as Uint8Array<ArrayBuffer>]), 'blob');
  options.onProgress?.(0, ciphertext.byteLength);
  const response = await request(options.fetch ?? fetch, `${options.serverUrl}/upload`, { method: 'POST', body: form, ...(options.signal ? { signal: options.signal } : {}) });
  const answer = readUploadAnswer(await expectJson(response, 200));
  options.onProgress?.(ciphertext.byteLength, ciphertext.byteLength);
  return {
    id: answer.id,
    downloadUrl: formatDownloadLink({ serverUrl: options.serverUrl, id: answer.id, fragment: options.passphrase === undefined ? encodeURIComponent(passphrase) : undefined }),
    manageUrl: formatManageLink({ serverUrl: options.serverUrl, id: answer.id, ownerToken: answer.ownerToken }),
    expiresAt: answer.expiresAt,
    maxDownloads: answer.maxDownloads,
    format: 'v1',
    resumed: false,
  };
}
