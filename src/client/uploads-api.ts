// Creation of a resumable v2 upload (docs/uploads.md §1): POST /uploads with the tus headers; the JSON
// answer carries the file id, the upload URL and token, and the owner token, before any byte is sent.
import { BlindvaultError } from '../protocol/errors.js';
import { expectJson, request, type Fetch } from './files-api.js';

export interface CreatedUpload {
  id: string;
  uploadUrl: string;
  uploadToken: string;
  ownerToken: string;
  sizeBytes: number;
}

export interface CreateUploadInput {
  sizeBytes: number;
  expiresInSeconds?: number;
  maxDownloads?: number;
}

const base64 = (text: string) => btoa(text);

/** tus Upload-Metadata: `key base64value` pairs, comma separated. */
function metadata(input: CreateUploadInput): string {
  const pairs: [string, string][] = [['format', 'v2']];
  if (input.expiresInSeconds !== undefined) pairs.push(['expires_in', String(input.expiresInSeconds)]);
  if (input.maxDownloads !== undefined) pairs.push(['max_downloads', String(input.maxDownloads)]);
  return pairs.map(([key, value]) => `${key} ${base64(value)}`).join(',');
}

const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export async function createUpload(fetchImpl: Fetch, serverUrl: string, input: CreateUploadInput, signal?: AbortSignal): Promise<CreatedUpload> {
  const response = await request(fetchImpl, `${serverUrl}/uploads`, {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': String(input.sizeBytes), 'upload-metadata': metadata(input), accept: 'application/json' },
    ...(signal ? { signal } : {}),
  });
  const body = await expectJson(response, 201);
  const { id, upload_url: uploadUrl, upload_token: uploadToken, owner_token: ownerToken, size_bytes: sizeBytes } = body;
  if (
    typeof id !== 'string' ||
    typeof uploadUrl !== 'string' ||
    typeof uploadToken !== 'string' ||
    !TOKEN.test(uploadToken) ||
    typeof ownerToken !== 'string' ||
    !TOKEN.test(ownerToken) ||
    sizeBytes !== input.sizeBytes
  ) {
    throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'creation answer' });
  }
  // The upload must stay on the server we chose: a redirect elsewhere would hand it our bytes and token.
  if (new URL(uploadUrl).origin !== new URL(serverUrl).origin) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'upload_url' });
  return { id, uploadUrl, uploadToken, ownerToken, sizeBytes };
}

/** How many bytes of the upload the server holds (tus HEAD); undefined when it no longer knows it. */
export async function uploadOffset(fetchImpl: Fetch, upload: Pick<CreatedUpload, 'uploadUrl' | 'uploadToken'>, signal?: AbortSignal): Promise<number | undefined> {
  const response = await request(fetchImpl, upload.uploadUrl, {
    method: 'HEAD',
    headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${upload.uploadToken}` },
    ...(signal ? { signal } : {}),
  });
  if (response.status === 404 || response.status === 410) return undefined;
  if (response.status !== 200) throw new BlindvaultError('UNEXPECTED_RESPONSE', { status: response.status });
  const offset = Number(response.headers.get('upload-offset'));
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'Upload-Offset' });
  return offset;
}

/** tus termination: ends an unfinished upload and frees what the server holds of it. */
export async function terminateUpload(fetchImpl: Fetch, upload: Pick<CreatedUpload, 'uploadUrl' | 'uploadToken'>): Promise<void> {
  const response = await request(fetchImpl, upload.uploadUrl, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${upload.uploadToken}` } });
  await response.body?.cancel();
}
