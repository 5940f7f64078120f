// downloadFile: fetch a file's ciphertext and return a stream of verified plaintext. The link's
// #fragment (the key, or a v1 passphrase) is never sent: only `/f/{id}/encrypted` is requested.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { BlindvaultError } from '../protocol/errors.js';
import { E2E_HEADERS, E2E_IV_BYTES, E2E_SALT_BYTES, parseE2eBytes } from '../protocol/files.js';
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

export async function downloadFile(linkText: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const link = parseDownloadLink(linkText);
  const response = await request(options.fetch ?? fetch, `${link.serverUrl}/f/${link.id}/encrypted`, {
    method: 'GET',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status !== 200) throw await errorFrom(response);
  const length = Number(response.headers.get('content-length'));
  if (!response.body || !Number.isSafeInteger(length) || length < 0) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'Content-Length' });
  const body = counting(response.body, length, options.onProgress);
  const salt = response.headers.get(E2E_HEADERS.salt);
  const format = response.headers.get(FORMAT_HEADER) ?? (salt !== null ? 'v1' : undefined);

  if (format === 'v1') {
    const saltBytes = salt === null ? undefined : parseE2eBytes(salt, E2E_SALT_BYTES);
    const iv = response.headers.get(E2E_HEADERS.iv);
    const ivBytes = iv === null ? undefined : parseE2eBytes(iv, E2E_IV_BYTES);
    if (!saltBytes || !ivBytes) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'X-E2E-Salt / X-E2E-IV' });
    if (length > V1_MAX_BYTES + 16) {
      await body.cancel();
      throw new BlindvaultError('V1_TOO_LARGE', { maxBytes: V1_MAX_BYTES });
    }
    const passphrase = await passphraseOf(link.fragment, options);
    const ciphertext = await readV1Body(body);
    const plaintext = await openFileV1(ciphertext, saltBytes, ivBytes, passphrase, options.crypto);
    return {
      id: link.id,
      format: 'v1',
      ciphertextBytes: length,
      plaintext: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(plaintext);
          controller.close();
        },
      }),
    };
  }
  if (format === 'v2') {
    const plaintext = await openFileV2(body, {
      fragment: link.fragment,
      passphrase: () => passphraseOf(undefined, options),
      ...(options.crypto ? { crypto: options.crypto } : {}),
    });
    return { id: link.id, format: 'v2', ciphertextBytes: length, plaintext };
  }
  await body.cancel();
  throw new BlindvaultError('UNSUPPORTED_FORMAT', { format: format ?? 'none' });
}
