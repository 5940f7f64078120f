// Share links of files (docs/formats/file-v2.md, "Links"): `{server}/f/{id}#{key}` for a random key, `{server}/f/{id}`
// for a passphrase or a v1 file. The fragment never reaches a server; parseDownloadLink hands it back as a Secret.
import { decodeLinkKey, encodeLinkKey } from '../crypto/file-key.js';
import type { Secret } from '../crypto/secret.js';
import { BlindvaultError } from './errors.js';

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface DownloadLink {
  /** Origin plus any base path, without a trailing slash: where the API lives. */
  server: string;
  id: string;
  /** The file key from the fragment; undefined when the link has none (passphrase or v1). */
  key: Secret<Uint8Array> | undefined;
}

export function formatDownloadLink(server: string, id: string, key?: Secret<Uint8Array> | Uint8Array): string {
  const base = server.replace(/\/+$/, '');
  return `${base}/f/${id}${key === undefined ? '' : `#${encodeLinkKey(key)}`}`;
}

/** VALIDATION_FAILED for a link that is not `{server}/f/{id}[#key]`; INVALID_FILE_KEY for a malformed fragment. */
export function parseDownloadLink(link: string): DownloadLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new BlindvaultError('VALIDATION_FAILED', { reason: 'not a URL' });
  }
  const match = /^(.*)\/f\/([^/]+)\/?$/.exec(url.pathname);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !match || !FILE_ID.test(match[2] as string) || url.search !== '') {
    throw new BlindvaultError('VALIDATION_FAILED', { reason: 'not a download link (…/f/{id}#key)' });
  }
  return {
    server: `${url.origin}${match[1] as string}`,
    id: match[2] as string,
    key: url.hash === '' || url.hash === '#' ? undefined : decodeLinkKey(url.hash),
  };
}
