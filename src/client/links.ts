// The two links an upload hands out. The download link is `{server}/f/{id}#{fragment}`: the fragment
// carries the file's key (or a v1 passphrase) and, by the URL standard, never leaves the client. The
// manage link is `{server}/f/{id}/manage?token={ownerToken}`: whoever holds it may see and delete the file.
import { BlindvaultError } from '../protocol/errors.js';

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const OWNER_TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export interface DownloadLink {
  /** Where the server's routes start, without a trailing slash (it may have a path prefix). */
  serverUrl: string;
  id: string;
  /** The text after `#`, undefined when the link has none (a passphrase is then needed). */
  fragment: string | undefined;
}

export interface ManageLink {
  serverUrl: string;
  id: string;
  ownerToken: string;
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlindvaultError('INVALID_LINK');
    return url;
  } catch (error) {
    if (error instanceof BlindvaultError) throw error;
    throw new BlindvaultError('INVALID_LINK');
  }
}

/** Splits `…/f/{id}{suffix}` into the server URL and the id; undefined when the path is not that shape. */
function splitFilePath(url: URL, suffixes: string[]): { serverUrl: string; id: string } | undefined {
  const match = /^(.*)\/f\/([^/]+)(\/[a-z]+)?\/?$/.exec(url.pathname);
  if (!match) return undefined;
  const [, prefix = '', id = '', suffix = ''] = match;
  if (!FILE_ID.test(id) || !suffixes.includes(suffix)) return undefined;
  return { serverUrl: `${url.origin}${prefix}`, id };
}

/** Accepts `…/f/{id}`, `…/f/{id}/` and the seed's `…/f/{id}/encrypted`, each with or without a `#fragment`. */
export function parseDownloadLink(text: string): DownloadLink {
  const url = parseUrl(text);
  const parts = splitFilePath(url, ['', '/encrypted']);
  if (!parts) throw new BlindvaultError('INVALID_LINK');
  const fragment = url.hash.length > 1 ? url.hash.slice(1) : undefined;
  return { ...parts, fragment };
}

export function formatDownloadLink(link: DownloadLink): string {
  return `${link.serverUrl}/f/${link.id}${link.fragment !== undefined ? `#${link.fragment}` : ''}`;
}

export function parseManageLink(text: string): ManageLink {
  const url = parseUrl(text);
  const parts = splitFilePath(url, ['/manage']);
  const ownerToken = url.searchParams.get('token');
  if (!parts || ownerToken === null || !OWNER_TOKEN.test(ownerToken)) throw new BlindvaultError('INVALID_LINK');
  return { ...parts, ownerToken };
}

export function formatManageLink(link: ManageLink): string {
  return `${link.serverUrl}/f/${link.id}/manage?token=${link.ownerToken}`;
}

/** A server URL as the user gives it (`--server`, environment, config): http(s), no query or fragment. */
export function normalizeServerUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
