// Wire of link shares (docs/vault-protocol.md §3.16). The server opens nothing: `node` is the client's ciphertext of
// the entry's key under the link secret (which never reaches the server); the passphrase is checked, never kept.
import { BlindvaultError } from '../errors.js';
import { FieldReader } from './fields.js';
import { parseIsoTime } from './sessions.js';

/** BV: the web client's node (an entry's id, key and type in JSON) is about 400 hex characters; this bounds it. */
export const MAX_NODE_HEX = 16_384;
/** BV: bounds on what Psono leaves unbounded. */
export const MAX_PASSPHRASE_LENGTH = 1024;
export const MAX_ALLOWED_READS = 2_147_483_647;
const MAX_PUBLIC_TITLE = 256;
const DATETIME = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

function readAllowedReads(f: FieldReader): number | null {
  const reads = f.integer('allowed_reads');
  if (reads !== undefined && reads < 0) f.fail('allowed_reads', 'Ensure this value is greater than or equal to 0.');
  if (reads !== undefined && reads > MAX_ALLOWED_READS) f.fail('allowed_reads', `Ensure this value is less than or equal to ${MAX_ALLOWED_READS}.`);
  return reads ?? null;
}

function readValidTill(f: FieldReader): Date | null {
  const text = f.string('valid_till', { maxLength: 64 });
  if (text === undefined) return null;
  const when = parseIsoTime(text);
  if (!when) f.fail('valid_till', DATETIME);
  return when ?? null;
}

/** Absent, null or blank: no passphrase (the reader's side and the creation); a string: the passphrase. */
function readPassphrase(f: FieldReader): string | undefined {
  const passphrase = f.string('passphrase', { allowBlank: true, maxLength: MAX_PASSPHRASE_LENGTH });
  return passphrase === '' ? undefined : passphrase;
}

/** BV: writable link shares are not offered (§3.16). */
function refuseWrite(f: FieldReader): void {
  if (f.boolean('allow_write') === true && f.ok) throw new BlindvaultError('LINK_SHARE_WRITE_NOT_SUPPORTED');
}

export interface LinkShareCreateRequest {
  secretId: string;
  node: string;
  nodeNonce: string;
  publicTitle: string;
  allowedReads: number | null;
  passphrase: string | undefined;
  validTill: Date | null;
}

/** PUT /link-share/ */
export function parseLinkShareCreateRequest(body: unknown): LinkShareCreateRequest {
  const f = new FieldReader(body);
  const secretId = f.uuid('secret_id');
  const fileId = f.uuid('file_id');
  const node = f.hex('node', { required: true, minLength: 34, maxLength: MAX_NODE_HEX });
  const nodeNonce = f.nonce('node_nonce');
  const publicTitle = f.string('public_title', { required: true, maxLength: MAX_PUBLIC_TITLE });
  const allowedReads = readAllowedReads(f);
  const passphrase = readPassphrase(f);
  const validTill = readValidTill(f);
  f.done();
  if (secretId === undefined && fileId === undefined) throw new BlindvaultError('EITHER_SECRET_OR_FILE_REQUIRED');
  if (secretId !== undefined && fileId !== undefined) throw new BlindvaultError('EITHER_SECRET_OR_FILE_REQUIRED_NOT_BOTH');
  // BV: file entries are not built yet (§3.16).
  if (fileId !== undefined) throw new BlindvaultError('FILE_LINK_SHARES_NOT_SUPPORTED');
  refuseWrite(f);
  f.done();
  return { secretId: secretId as string, node: node as string, nodeNonce: nodeNonce as string, publicTitle: publicTitle as string, allowedReads, passphrase, validTill };
}

export interface LinkShareUpdateRequest {
  linkShareId: string;
  publicTitle: string;
  allowedReads: number | null;
  /** Undefined: unchanged; null: removed; a string: the new passphrase. */
  passphrase: string | null | undefined;
  validTill: Date | null;
}

/** POST /link-share/: absent `allowed_reads` and `valid_till` mean no limit and no expiry (Psono). */
export function parseLinkShareUpdateRequest(body: unknown): LinkShareUpdateRequest {
  const f = new FieldReader(body);
  const linkShareId = f.uuid('link_share_id', true);
  const publicTitle = f.string('public_title', { required: true, maxLength: MAX_PUBLIC_TITLE });
  const allowedReads = readAllowedReads(f);
  const passphrase = f.string('passphrase', { allowBlank: true, maxLength: MAX_PASSPHRASE_LENGTH });
  const validTill = readValidTill(f);
  f.done();
  refuseWrite(f);
  f.done();
  return { linkShareId: linkShareId as string, publicTitle: publicTitle as string, allowedReads, passphrase: passphrase === '' ? null : passphrase, validTill };
}

/** DELETE /link-share/ */
export function parseLinkShareDeleteRequest(body: unknown): { linkShareId: string } {
  const f = new FieldReader(body);
  const linkShareId = f.uuid('link_share_id', true);
  f.done();
  return { linkShareId: linkShareId as string };
}

export interface LinkShareAccessRequest {
  linkShareId: string;
  passphrase: string | undefined;
}

/** POST /link-share-access/ (anonymous: the body is bounded by the route, every field here). */
export function parseLinkShareAccessRequest(body: unknown): LinkShareAccessRequest {
  const f = new FieldReader(body);
  const linkShareId = f.uuid('link_share_id', true);
  const passphrase = readPassphrase(f);
  f.done();
  return { linkShareId: linkShareId as string, passphrase };
}
