// downloadFile: fetch a file's ciphertext and return a stream of verified plaintext. The link's
// #fragment (the key, or a v1 passphrase) is never sent: only `/f/{id}/encrypted` is requested.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { BlindvaultError } from '../protocol/errors.js';
import { E2E_HEADERS, E2E_IV_BYTES, E2E_SALT_BYTES, parseE2eBytes } from '../protocol/file-fields.js';
import { errorFrom, request, type Fetch } from './files-api.js';
import { openFileV1 } from './file-v1.js';
import { openFileV2 } from './file-v2.js';
import { parseDownloadLink } from './links.js';
import { readV1Body, V1_MAX_BYTES } from '../crypto/v1.js';

export const FORMAT_HEADER = 'x-blindvault-format';

export interface DownloadOptions {
  /** Asked only when the file needs a passphrase and the link carries no key. */
  passphrase?: () => Promise<string | undefined>;
  crypto?: CryptoBackend;
  fetch?: Fetch;
  /** Ciphertext bytes received so far, and the total. */
  onProgress?: (receivedBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  id: string;
  format: 'v1' | 'v2';
  ciphertextBytes: number;
  /** Verified plaintext: no byte of a record is released before its tag verifies; errors are DECRYPTION_FAILED. */
  plaintext: ReadableStream<Uint8Array>;
}

function counting(body: ReadableStream<Uint8Array>, total: number, onProgress: DownloadOptions['onProgress']): ReadableStream<Uint8Array> {
  let received = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > total) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'body longer than Content-Length' });
        onProgress?.(received, total);
        controller.enqueue(chunk);
      },
      flush() {
        if (received !== total) throw new BlindvaultError('NETWORK_ERROR', { url: '', cause: `the body ended after ${received} of ${total} bytes` });
      },
    }),
  );
}

async function passphraseOf(fragment: string | undefined, options: DownloadOptions): Promise<string> {
  if (fragment !== undefined) {
    try {
      return decodeURIComponent(fragment);
    } catch {
      throw new BlindvaultError('INVALID_LINK');
    }
  }
  const given = await options.passphrase?.();
  if (given === undefined) throw new BlindvaultError('PASSPHRASE_REQUIRED');
  return given;
}

/** What the server said about a file's ciphertext: enough to decrypt it later, from any copy of its bytes. */
export interface CiphertextInfo {
  id: string;
  format: 'v1' | 'v2';
  /** The whole ciphertext's size. */
  sizeBytes: number;
  etag: string | undefined;
  /** X-Resume-Token of a counted download: a later range request sends it back to finish that download. */
  resumeToken?: string;
  /** v1 only: PBKDF2 salt and GCM IV from X-E2E-Salt / X-E2E-IV. */
  salt?: Uint8Array;
  iv?: Uint8Array;
}

export interface FetchedCiphertext {
  info: CiphertextInfo;
  /** Where `body` starts in the ciphertext: 0, or the asked offset when the server answered a range. */
  offset: number;
  body: ReadableStream<Uint8Array>;
}

function infoFrom(response: Response, id: string, sizeBytes: number): CiphertextInfo {
  const salt = response.headers.get(E2E_HEADERS.salt);
  const format = response.headers.get(FORMAT_HEADER) ?? (salt !== null ? 'v1' : undefined);
  const etag = response.headers.get('etag') ?? undefined;
  const token = response.headers.get('x-resume-token');
  const resumeToken = token !== null && /^[A-Za-z0-9_-]{43}$/.test(token) ? { resumeToken: token } : {};
  if (format === 'v2') return { id, format, sizeBytes, etag, ...resumeToken };
  if (format !== 'v1') throw new BlindvaultError('UNSUPPORTED_FORMAT', { format: format ?? 'none' });
  const saltBytes = salt === null ? undefined : parseE2eBytes(salt, E2E_SALT_BYTES);
  const iv = response.headers.get(E2E_HEADERS.iv);
  const ivBytes = iv === null ? undefined : parseE2eBytes(iv, E2E_IV_BYTES);
  if (!saltBytes || !ivBytes) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'X-E2E-Salt / X-E2E-IV' });
  return { id, format, sizeBytes, etag, ...resumeToken, salt: saltBytes, iv: ivBytes };
}

/**
 * GET /f/{id}/encrypted, from byte 0 or, to finish a broken download, from `resume.offset` of the version named by
 * `resume.etag` (the server counts such a range within its resume window as the same download). A server that
 * answers the whole file instead (another version, the window passed) gets offset 0 in the answer.
 */
export async function fetchCiphertext(
  linkText: string,
  options: Pick<DownloadOptions, 'fetch' | 'signal' | 'onProgress'> & { resume?: { offset: number; etag: string; token?: string } } = {},
): Promise<FetchedCiphertext> {
  const link = parseDownloadLink(linkText);
  const headers: Record<string, string> = options.resume
    ? { range: `bytes=${options.resume.offset}-`, 'if-range': options.resume.etag, ...(options.resume.token ? { 'x-resume-token': options.resume.token } : {}) }
    : {};
  const response = await request(options.fetch ?? fetch, `${link.serverUrl}/f/${link.id}/encrypted`, { method: 'GET', headers, ...(options.signal ? { signal: options.signal } : {}) });
  const length = Number(response.headers.get('content-length'));
  if (response.status !== 200 && response.status !== 206) throw await errorFrom(response);
  if (!response.body || !Number.isSafeInteger(length) || length < 0) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'Content-Length' });
  let offset = 0;
  let sizeBytes = length;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    const [start, end, total] = range ? [Number(range[1]), Number(range[2]), Number(range[3])] : [NaN, NaN, NaN];
    if (!options.resume || start !== options.resume.offset || end !== total - 1 || end - start + 1 !== length) {
      await response.body.cancel();
      throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'Content-Range' });
    }
    offset = start;
    sizeBytes = total;
  }
  const info = infoFrom(response, link.id, sizeBytes);
  if (info.format === 'v1' && sizeBytes > V1_MAX_BYTES + 16) {
    await response.body.cancel();
    throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
  }
  const onProgress = options.onProgress;
  return { info, offset, body: counting(response.body, length, onProgress ? (received) => onProgress(offset + received, sizeBytes) : undefined) };
}

/** The whole ciphertext of a file (from the server or a local copy) → verified plaintext. */
export async function decryptCiphertext(linkText: string, info: CiphertextInfo, ciphertext: ReadableStream<Uint8Array>, options: Pick<DownloadOptions, 'passphrase' | 'crypto'> = {}): Promise<ReadableStream<Uint8Array>> {
  const link = parseDownloadLink(linkText);
  if (info.format === 'v1') {
    const passphrase = await passphraseOf(link.fragment, options);
    const plaintext = await openFileV1(await readV1Body(ciphertext), info.salt as Uint8Array, info.iv as Uint8Array, passphrase, options.crypto);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(plaintext);
        controller.close();
      },
    });
  }
  return openFileV2(ciphertext, {
    fragment: link.fragment,
    passphrase: () => passphraseOf(undefined, options),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
}

export async function downloadFile(linkText: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { info, body } = await fetchCiphertext(linkText, options);
  try {
    const plaintext = await decryptCiphertext(linkText, info, body, options);
    return { id: info.id, format: info.format, ciphertextBytes: info.sizeBytes, plaintext };
  } catch (error) {
    await body.cancel().catch(() => undefined);
    throw error;
  }
}
