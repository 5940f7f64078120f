// File keys of format v2 and their spelling in a share link's fragment (docs/formats/file-v2.md, "Links"):
// 32 bytes from the CSPRNG, written as exactly 43 characters of unpadded base64url.
import { BlindvaultError } from '../protocol/errors.js';
import type { CryptoBackend } from './backend/crypto-backend.js';
import { webCryptoBackend } from './backend/webcrypto.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { Secret } from './secret.js';
import { FILE_KEY_BYTES } from './stream/header.js';

export function createFileKey(backend: CryptoBackend = webCryptoBackend): Secret<Uint8Array> {
  return new Secret(backend.randomBytes(FILE_KEY_BYTES));
}

/** The link fragment for a file key (without the '#'). */
export function encodeLinkKey(key: Secret<Uint8Array> | Uint8Array): string {
  const bytes = key instanceof Secret ? key.reveal() : key;
  if (bytes.length !== FILE_KEY_BYTES) throw new BlindvaultError('INVALID_FILE_KEY');
  return toBase64Url(bytes);
}

/** The file key in a link fragment (with or without its '#'); INVALID_FILE_KEY for any other spelling. */
export function decodeLinkKey(fragment: string): Secret<Uint8Array> {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  const bytes = text.length === 43 ? fromBase64Url(text) : undefined;
  if (bytes?.length !== FILE_KEY_BYTES) throw new BlindvaultError('INVALID_FILE_KEY');
  return new Secret(bytes);
}
