// The file API's field names, header names and small codecs (seed e2e-file-api), without the wire schemas of
// files.ts: what the SDK needs to upload and download, importable without typebox (the CLI loads less).
import { fromBase64, fromDecimalByteList, toDecimalByteList } from '../crypto/encoding.js';

export const E2E_SALT_BYTES = 16;
export const E2E_IV_BYTES = 12;

/** Multipart field names of POST /upload. */
export const UPLOAD_FIELDS = {
  file: 'file',
  e2e: 'e2e',
  salt: 'e2e_salt',
  iv: 'e2e_iv',
  expiresIn: 'expires_in',
  maxDownloads: 'max_downloads',
} as const;

export const E2E_HEADERS = { salt: 'x-e2e-salt', iv: 'x-e2e-iv' } as const;

/**
 * Sent with every counted download; a later ranged request of the same transfer presents it to be
 * served without counting again (README, "Resuming a download").
 */
export const RESUME_TOKEN_HEADER = 'x-resume-token';

/** The largest `expires_in` any configuration allows (ten years): the schema's own bound. */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 86400;

/**
 * e2e_salt / e2e_iv: comma-separated decimal byte values ("142,55,…") or standard base64.
 * A value with a comma is a list; anything else must be base64. Wrong length → undefined.
 */
export function parseE2eBytes(text: string, expectedLength: number): Uint8Array | undefined {
  const bytes = text.includes(',') ? fromDecimalByteList(text) : fromBase64(text);
  return bytes?.length === expectedLength ? bytes : undefined;
}

/** The download headers carry decimal byte lists: the seed's client parses them that way. */
export function formatE2eBytes(bytes: Uint8Array): string {
  return toDecimalByteList(bytes);
}

/** A whole number written in plain decimal (no sign, no leading zeros); undefined otherwise. */
export function parseWholeNumber(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,14})$/.test(text)) return undefined;
  return Number(text);
}
