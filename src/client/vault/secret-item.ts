// Secret content (spec §2.8) and the item node that points to it (§2.6), for the types the CLI writes:
// the field names and value types are the web client's.
import { sha1HexPrefix } from '../../crypto/digests.js';
import type { ItemNode } from './nodes.js';

export type SecretContent = Record<string, unknown>;

/** The short field names the CLI takes (`--field password`) and what they are called in each type. */
export const FIELD_NAMES = ['title', 'username', 'password', 'url', 'notes'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export const WRITABLE_TYPES = ['website_password', 'application_password', 'note', 'bookmark'] as const;
export type WritableType = (typeof WRITABLE_TYPES)[number];

/** The secret key of a short field name in an item of `type`, or the name itself when it is a full key. */
export function fieldKey(type: string, field: string): string {
  return field.startsWith(`${type}_`) || field === 'tags' || field === 'custom_fields' ? field : `${type}_${field}`;
}

export function readField(type: string, secret: SecretContent, field: string): unknown {
  return secret[fieldKey(type, field)];
}

/** The hostname of a URL as the web client derives `urlfilter` from it. */
function urlFilter(url: string): string {
  return url === '' ? '' : (url.split('//').at(-1) ?? '').split('/')[0] ?? '';
}

/** Changes the given short fields of a secret; the empty string removes a field (absent when empty, §2.8). */
export function applyFields(type: string, secret: SecretContent, fields: Partial<Record<FieldName, string>>): SecretContent {
  const next: SecretContent = { ...secret };
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const key = fieldKey(type, field);
    if (value === '') delete next[key];
    else next[key] = value;
  }
  if (type === 'website_password') {
    const url = typeof next.website_password_url === 'string' ? next.website_password_url : '';
    if (fields.url !== undefined) {
      if (url !== '') next.website_password_url_filter = urlFilter(url);
      else delete next.website_password_url_filter;
    }
    next.website_password_auto_submit ??= false;
    next.website_password_allow_http ??= false;
  }
  if (type === 'bookmark' && fields.url !== undefined) {
    const url = typeof next.bookmark_url === 'string' ? next.bookmark_url : '';
    if (url !== '') next.bookmark_url_filter = urlFilter(url);
    else delete next.bookmark_url_filter;
  }
  return next;
}

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Sets `key` of a node to `value`, or removes it when empty: the web client leaves empty summaries out. */
function setOrDrop(node: ItemNode, key: 'description' | 'urlfilter', value: string): void {
  if (value === '') delete node[key];
  else node[key] = value;
}

/** The item node's summary fields for a secret, as the web client's entry dialog computes them. */
export async function describeItem(node: ItemNode, secret: SecretContent): Promise<ItemNode> {
  const type = node.type;
  const next: ItemNode = { ...node, name: str(secret[`${type}_title`]) || node.name };
  if (type === 'website_password') {
    setOrDrop(next, 'description', str(secret.website_password_username));
    setOrDrop(next, 'urlfilter', str(secret.website_password_url_filter));
    next.autosubmit = secret.website_password_auto_submit === true;
    next.allow_http = secret.website_password_allow_http === true;
    next.password_hash = await sha1HexPrefix(str(secret.website_password_password));
  } else if (type === 'application_password') {
    setOrDrop(next, 'description', str(secret.application_password_username));
    next.password_hash = await sha1HexPrefix(str(secret.application_password_password));
  } else if (type === 'bookmark') {
    setOrDrop(next, 'urlfilter', str(secret.bookmark_url_filter));
  }
  if (Array.isArray(secret.tags)) next.tags = secret.tags.filter((t): t is string => typeof t === 'string');
  return next;
}
