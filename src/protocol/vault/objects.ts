// Request codecs of datastores, secrets, links, shares, share rights and API keys (spec §3.5–3.9).
import { BlindvaultError } from '../errors.js';
import { FieldReader, MESSAGES, pythonTypeName } from './fields.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
import { parseIsoTime } from './sessions.js';

export type Parent = { datastoreId: string; shareId?: undefined } | { shareId: string; datastoreId?: undefined };

/** Exactly one of a datastore and a share parent (the spec's EITHER_… codes). */
function parent(datastoreId: string | undefined, shareId: string | undefined, missing: 'EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED' | 'NO_PARENT_PROVIDED'): Parent {
  if (datastoreId && shareId) throw new BlindvaultError('EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED_NOT_BOTH');
  if (datastoreId) return { datastoreId };
  if (shareId) return { shareId };
  throw new BlindvaultError(missing);
}

/** hexct or "" (a new datastore has no content yet). */
function optionalCiphertext(f: FieldReader, name: string): string | undefined {
  const value = f.string(name, { allowBlank: true, maxLength: 50 * 1024 * 1024 });
  if (value === undefined || value === '') return value;
  if (!/^[0-9a-fA-F]*$/.test(value) || value.length % 2 !== 0) return f.fail(name, 'NO_VALID_HEX');
  return value.toLowerCase();
}

function optionalNonce(f: FieldReader, name: string): string | undefined {
  const value = f.string(name, { allowBlank: true, maxLength: 64 });
  if (value === undefined || value === '') return value;
  if (!/^[0-9a-fA-F]{48}$/.test(value)) return f.fail(name, value.length === 48 ? 'NO_VALID_HEX' : 'Ensure this field has exactly 48 characters.');
  return value.toLowerCase();
}

const must = <T>(value: T | undefined): T => value as T;

export function parseDatastoreCreate(body: unknown) {
  const f = new FieldReader(body);
  const type = f.string('type', { required: true, maxLength: 64 });
  const description = f.string('description', { required: true, maxLength: 64 });
  const data = optionalCiphertext(f, 'data') ?? '';
  const dataNonce = optionalNonce(f, 'data_nonce') ?? '';
  const secretKey = f.hex('secret_key', { required: true, minLength: 32, maxLength: 256 });
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const isDefault = f.boolean('is_default') ?? true;
  f.done();
  return { type: must(type), description: must(description), data, dataNonce, secretKey: must(secretKey), secretKeyNonce: must(secretKeyNonce), isDefault };
}

export function parseDatastoreUpdate(body: unknown) {
  const f = new FieldReader(body);
  const datastoreId = f.uuid('datastore_id', true);
  const data = optionalCiphertext(f, 'data');
  const dataNonce = optionalNonce(f, 'data_nonce');
  const secretKey = f.hex('secret_key', { minLength: 32, maxLength: 256 });
  const secretKeyNonce = f.nonce('secret_key_nonce', false);
  const description = f.string('description', { maxLength: 64 });
  const isDefault = f.boolean('is_default');
  const oldWriteDateText = f.string('old_write_date', { maxLength: 64 });
  const oldWriteDate = oldWriteDateText === undefined ? undefined : parseIsoTime(oldWriteDateText);
  if (oldWriteDateText !== undefined && !oldWriteDate) {
    f.fail('old_write_date', 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].');
  }
  f.done();
  return {
    datastoreId: must(datastoreId),
    changes: {
      ...(data !== undefined ? { data } : {}),
      ...(dataNonce !== undefined ? { dataNonce } : {}),
      ...(secretKey !== undefined ? { secretKey } : {}),
      ...(secretKeyNonce !== undefined ? { secretKeyNonce } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(isDefault !== undefined ? { isDefault } : {}),
    },
    oldWriteDate,
  };
}

export function parseDatastoreDelete(body: unknown) {
  const f = new FieldReader(body);
  const datastoreId = f.uuid('datastore_id', true);
  const authkey = f.string('authkey', { required: true, minLength: 128, maxLength: 128 });
  f.done();
  return { datastoreId: must(datastoreId), authkey: must(authkey) };
}

function callbacks(f: FieldReader) {
  const callbackUrl = f.string('callback_url', { allowBlank: true, maxLength: 2048 });
  const callbackUser = f.string('callback_user', { allowBlank: true, maxLength: 128 });
  const callbackPass = f.string('callback_pass', { allowBlank: true, maxLength: 128 });
  return {
    ...(callbackUrl !== undefined ? { callbackUrl } : {}),
    ...(callbackUser !== undefined ? { callbackUser } : {}),
    ...(callbackPass !== undefined ? { callbackPass } : {}),
  };
}

export function parseSecretCreate(body: unknown) {
  const f = new FieldReader(body);
  const data = f.hex('data', { required: true, minLength: 32, maxLength: 50 * 1024 * 1024 });
  const dataNonce = f.nonce('data_nonce');
  const linkId = f.uuid('link_id', true);
  const datastoreId = f.uuid('parent_datastore_id');
  const shareId = f.uuid('parent_share_id');
  const cb = callbacks(f);
  f.done();
  return { data: must(data), dataNonce: must(dataNonce), linkId: must(linkId), parent: parent(datastoreId, shareId, 'EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED'), ...cb };
}

/** BV: the most ids (secrets) one bulk request may carry (spec §3.12); the web client sends a whole vault at once. */
export const BULK_SECRETS_MAX = 5000;

/** `POST /bulk-secret-read/` (spec §3.12): the ids, lower-cased and each once. */
export function parseBulkSecretRead(body: unknown) {
  const f = new FieldReader(body);
  const raw = f.list('secret_ids', { required: true, maxItems: BULK_SECRETS_MAX });
  const ids = new Set<string>();
  for (const id of raw ?? []) {
    if (typeof id !== 'string' || !UUID.test(id)) {
      f.fail('secret_ids', MESSAGES.uuid);
      break;
    }
    ids.add(id.toLowerCase());
  }
  f.done();
  return { secretIds: [...ids] };
}

/**
 * `PUT /bulk-secret/` (spec §3.12): every secret as `PUT /secret/` reads it; a bad entry is reported as
 * `"<index>.<field>: <message>"` under `secrets` (BV: Psono nests the errors by index).
 */
export function parseBulkSecretCreate(body: unknown) {
  const f = new FieldReader(body);
  const datastoreId = f.uuid('parent_datastore_id');
  const shareId = f.uuid('parent_share_id');
  const raw = f.list('secrets', { required: true, allowEmpty: false, maxItems: BULK_SECRETS_MAX });
  const secrets: Array<{ data: string; dataNonce: string; linkId: string; callbackUrl?: string; callbackUser?: string; callbackPass?: string }> = [];
  for (const [index, item] of (raw ?? []).entries()) {
    let entry: FieldReader;
    try {
      entry = new FieldReader(item);
    } catch {
      f.fail('secrets', `${index}: ${MESSAGES.dict(pythonTypeName(item))}`);
      continue;
    }
    const data = entry.hex('data', { required: true, minLength: 32, maxLength: 50 * 1024 * 1024 });
    const dataNonce = entry.nonce('data_nonce');
    const linkId = entry.uuid('link_id', true);
    const cb = callbacks(entry);
    if (!entry.ok) {
      for (const [field, messages] of Object.entries(entry.errors)) for (const message of messages) f.fail('secrets', `${index}.${field}: ${message}`);
      continue;
    }
    secrets.push({ data: must(data), dataNonce: must(dataNonce), linkId: must(linkId), ...cb });
  }
  f.done();
  return { parent: parent(datastoreId, shareId, 'EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED'), secrets };
}

export function parseSecretUpdate(body: unknown) {
  const f = new FieldReader(body);
  const secretId = f.uuid('secret_id', true);
  const data = f.hex('data', { minLength: 32, maxLength: 50 * 1024 * 1024 });
  const dataNonce = f.nonce('data_nonce', false);
  const cb = callbacks(f);
  f.done();
  return { secretId: must(secretId), changes: { ...(data !== undefined ? { data } : {}), ...(dataNonce !== undefined ? { dataNonce } : {}), ...cb } };
}

export function parseLinkMove(body: unknown) {
  const f = new FieldReader(body);
  const linkId = f.uuid('link_id', true);
  const datastoreId = f.uuid('new_parent_datastore_id');
  const shareId = f.uuid('new_parent_share_id');
  f.done();
  return { linkId: must(linkId), parent: parent(datastoreId, shareId, 'NO_PARENT_PROVIDED') };
}

export function parseLinkId(body: unknown) {
  const f = new FieldReader(body);
  const linkId = f.uuid('link_id', true);
  f.done();
  return { linkId: must(linkId) };
}

export function parseShareCreate(body: unknown) {
  const f = new FieldReader(body);
  const linkId = f.uuid('link_id', true);
  const data = f.hex('data', { required: true, minLength: 32, maxLength: 50 * 1024 * 1024 });
  const dataNonce = f.nonce('data_nonce');
  const key = f.hex('key', { required: true, minLength: 32, maxLength: 256 });
  const keyNonce = f.nonce('key_nonce');
  const keyType = f.string('key_type', { maxLength: 16 }) ?? 'asymmetric';
  const datastoreId = f.uuid('parent_datastore_id');
  const shareId = f.uuid('parent_share_id');
  f.done();
  if (keyType !== 'symmetric' && keyType !== 'asymmetric') throw new BlindvaultError('VAULT_REFUSED', { text: 'Invalid Key Type' });
  return {
    linkId: must(linkId),
    data: must(data),
    dataNonce: must(dataNonce),
    key: must(key),
    keyNonce: must(keyNonce),
    keyType,
    parent: parent(datastoreId, shareId, 'EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED'),
  };
}

export function parseShareUpdate(body: unknown) {
  const f = new FieldReader(body);
  const shareId = f.uuid('share_id', true);
  const data = f.hex('data', { minLength: 32, maxLength: 50 * 1024 * 1024 });
  const dataNonce = f.nonce('data_nonce', false);
  const oldWriteDateText = f.string('old_write_date', { maxLength: 64 });
  const oldWriteDate = oldWriteDateText === undefined ? undefined : parseIsoTime(oldWriteDateText);
  if (oldWriteDateText !== undefined && !oldWriteDate) {
    f.fail('old_write_date', 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].');
  }
  f.done();
  return { shareId: must(shareId), changes: { ...(data !== undefined ? { data } : {}), ...(dataNonce !== undefined ? { dataNonce } : {}) }, oldWriteDate };
}

export function parseShareLinkCreate(body: unknown) {
  const f = new FieldReader(body);
  const linkId = f.uuid('link_id', true);
  const shareId = f.uuid('share_id', true);
  const datastoreId = f.uuid('parent_datastore_id');
  const parentShareId = f.uuid('parent_share_id');
  f.done();
  return { linkId: must(linkId), shareId: must(shareId), parent: parent(datastoreId, parentShareId, 'EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED') };
}

function expiration(f: FieldReader): Date | null | undefined {
  const text = f.string('expiration_date', { maxLength: 64 });
  if (text === undefined) return undefined;
  const when = parseIsoTime(text);
  if (!when) {
    f.fail('expiration_date', 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].');
    return undefined;
  }
  return when;
}

export function parseShareRightGrant(body: unknown) {
  const f = new FieldReader(body);
  const shareId = f.uuid('share_id', true);
  const userId = f.uuid('user_id');
  const groupId = f.uuid('group_id');
  const key = f.hex('key', { required: true, minLength: 32, maxLength: 256 });
  const keyNonce = f.nonce('key_nonce');
  const title = f.hex('title', { required: true, minLength: 32, maxLength: 512 });
  const titleNonce = f.nonce('title_nonce');
  const type = f.hex('type', { required: true, minLength: 32, maxLength: 512 });
  const typeNonce = f.nonce('type_nonce');
  const read = f.boolean('read', true);
  const write = f.boolean('write', true);
  const grant = f.boolean('grant', true);
  const expirationDate = expiration(f);
  f.done();
  if (userId && groupId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user or group share right needs to be specified, not both.' });
  if (!userId && !groupId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user or group share right needs to be specified.' });
  return {
    shareId: must(shareId),
    /** Exactly one of the two (a user's right, or a group's: §3.10). */
    target: userId ? ({ userId } as const) : ({ groupId: must(groupId) } as const),
    key: must(key),
    keyNonce: must(keyNonce),
    title: must(title),
    titleNonce: must(titleNonce),
    type: must(type),
    typeNonce: must(typeNonce),
    read: must(read),
    write: must(write),
    grant: must(grant),
    expirationDate: expirationDate ?? null,
  };
}

export function parseShareRightUpdate(body: unknown) {
  const f = new FieldReader(body);
  const shareId = f.uuid('share_id', true);
  const userId = f.uuid('user_id');
  const groupId = f.uuid('group_id');
  const read = f.boolean('read', true);
  const write = f.boolean('write', true);
  const grant = f.boolean('grant', true);
  const hasExpiration = typeof body === 'object' && body !== null && Object.hasOwn(body, 'expiration_date');
  const expirationDate = expiration(f);
  f.done();
  if (userId && groupId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user id or group id needs to be specified, not both.' });
  if (!userId && !groupId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user id or group id needs to be specified.' });
  return {
    shareId: must(shareId),
    target: userId ? ({ userId } as const) : ({ groupId: must(groupId) } as const),
    read: must(read),
    write: must(write),
    grant: must(grant),
    ...(hasExpiration ? { expirationDate: expirationDate ?? null } : {}),
  };
}

export function parseShareRightDelete(body: unknown) {
  const f = new FieldReader(body);
  const userRightId = f.uuid('user_share_right_id');
  const groupRightId = f.uuid('group_share_right_id');
  f.done();
  if (userRightId && groupRightId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user or group share right needs to be specified, not both.' });
  if (groupRightId) return { groupRightId } as const;
  if (!userRightId) throw new BlindvaultError('VAULT_REFUSED', { text: 'Either user or group share right needs to be specified.' });
  return { rightId: userRightId } as const;
}

export function parseShareRightAccept(body: unknown) {
  const f = new FieldReader(body);
  const rightId = f.uuid('share_right_id', true);
  const key = f.hex('key', { minLength: 32, maxLength: 256 });
  const keyNonce = f.nonce('key_nonce', false);
  const keyType = f.string('key_type', { maxLength: 16 }) ?? 'symmetric';
  f.done();
  if (keyType !== 'symmetric' && keyType !== 'asymmetric') throw new BlindvaultError('VAULT_REFUSED', { text: 'Invalid Key Type' });
  return { rightId: must(rightId), key, keyNonce, keyType };
}

export function parseShareRightId(body: unknown) {
  const f = new FieldReader(body);
  const rightId = f.uuid('share_right_id', true);
  f.done();
  return { rightId: must(rightId) };
}

export function parseApiKeyCreate(body: unknown) {
  const f = new FieldReader(body);
  const title = f.string('title', { required: true, maxLength: 256 });
  const publicKey = f.hex('public_key', { required: true, length: 64 });
  const privateKey = f.hex('private_key', { required: true, length: 160 });
  const privateKeyNonce = f.nonce('private_key_nonce');
  const secretKey = f.hex('secret_key', { required: true, length: 160 });
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const userPrivateKey = f.hex('user_private_key', { required: true, length: 160 });
  const userPrivateKeyNonce = f.nonce('user_private_key_nonce');
  const userSecretKey = f.hex('user_secret_key', { required: true, length: 160 });
  const userSecretKeyNonce = f.nonce('user_secret_key_nonce');
  const verifyKey = f.hex('verify_key', { required: true, length: 64 });
  const read = f.boolean('read') ?? true;
  const write = f.boolean('write') ?? false;
  const restrictToSecrets = f.boolean('restrict_to_secrets') ?? false;
  const allowInsecureAccess = f.boolean('allow_insecure_access') ?? false;
  f.done();
  return {
    title: must(title),
    publicKey: must(publicKey),
    privateKey: must(privateKey),
    privateKeyNonce: must(privateKeyNonce),
    secretKey: must(secretKey),
    secretKeyNonce: must(secretKeyNonce),
    userPrivateKey: must(userPrivateKey),
    userPrivateKeyNonce: must(userPrivateKeyNonce),
    userSecretKey: must(userSecretKey),
    userSecretKeyNonce: must(userSecretKeyNonce),
    verifyKey: must(verifyKey),
    read,
    write,
    restrictToSecrets,
    allowInsecureAccess,
  };
}

export function parseApiKeyUpdate(body: unknown) {
  const f = new FieldReader(body);
  const apiKeyId = f.uuid('api_key_id', true);
  const title = f.string('title', { maxLength: 256 });
  const read = f.boolean('read');
  const write = f.boolean('write');
  const restrictToSecrets = f.boolean('restrict_to_secrets');
  const allowInsecureAccess = f.boolean('allow_insecure_access');
  f.done();
  const changes = {
    ...(title !== undefined ? { title } : {}),
    ...(read !== undefined ? { read } : {}),
    ...(write !== undefined ? { write } : {}),
    ...(restrictToSecrets !== undefined ? { restrictToSecrets } : {}),
    ...(allowInsecureAccess !== undefined ? { allowInsecureAccess } : {}),
  };
  if (Object.keys(changes).length === 0) throw new BlindvaultError('NOTHING_TO_UPDATE');
  return { apiKeyId: must(apiKeyId), changes };
}

export function parseUuidField(body: unknown, name: string) {
  const f = new FieldReader(body);
  const id = f.uuid(name, true);
  f.done();
  return must(id);
}

export function parseApiKeySecretCreate(body: unknown) {
  const f = new FieldReader(body);
  const apiKeyId = f.uuid('api_key_id', true);
  const secretId = f.uuid('secret_id', true);
  const secretKey = f.hex('secret_key', { required: true, minLength: 32, maxLength: 256 });
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const title = f.hex('title', { required: true, minLength: 32, maxLength: 512 });
  const titleNonce = f.nonce('title_nonce');
  f.done();
  return {
    apiKeyId: must(apiKeyId),
    secretId: must(secretId),
    secretKey: must(secretKey),
    secretKeyNonce: must(secretKeyNonce),
    title: must(title),
    titleNonce: must(titleNonce),
  };
}

/** POST /api-key/login/: the signed info text is kept byte for byte (the signature covers it). */
export function parseApiKeyLogin(body: unknown) {
  const f = new FieldReader(body);
  const info = f.string('info', { required: true, trim: false, maxLength: 4096 });
  const signature = f.string('signature', { required: true, maxLength: 256 });
  f.done();
  return { info: must(info), signature: must(signature) };
}

export interface ApiKeyLoginInfo {
  apiKeyId: string;
  sessionPublicKey: string;
  deviceDescription: string | undefined;
  deviceFingerprint: string | undefined;
  deviceTime: Date | undefined;
  sessionDurationSeconds: number | undefined;
}

/** The signed info; undefined when anything in it is missing or malformed (one generic error, §3.9.3). */
export function parseApiKeyLoginInfo(text: string): ApiKeyLoginInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const info = value as Record<string, unknown>;
  if (Object.values(info).some((v) => typeof v === 'string' && v.includes('\u0000'))) return undefined;
  if (typeof info.device_fingerprint === 'string' && info.device_fingerprint.length > 128) return undefined;
  const apiKeyId = typeof info.api_key_id === 'string' && /^[0-9a-fA-F-]{36}$/.test(info.api_key_id) ? info.api_key_id.toLowerCase() : undefined;
  const sessionPublicKey = typeof info.session_public_key === 'string' && /^[0-9a-fA-F]{64}$/.test(info.session_public_key) ? info.session_public_key.toLowerCase() : undefined;
  if (!apiKeyId || !sessionPublicKey) return undefined;
  let deviceTime: Date | undefined;
  if (info.device_time !== undefined && info.device_time !== null) {
    deviceTime = typeof info.device_time === 'string' ? parseIsoTime(info.device_time) : undefined;
    if (!deviceTime) return undefined;
  }
  const duration = info.session_duration;
  if (duration !== undefined && duration !== null && (typeof duration !== 'number' || !Number.isSafeInteger(duration))) return undefined;
  const text256 = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined);
  return {
    apiKeyId,
    sessionPublicKey,
    deviceDescription: text256(info.device_description, 256),
    deviceFingerprint: text256(info.device_fingerprint, 128),
    deviceTime,
    sessionDurationSeconds: typeof duration === 'number' ? duration : undefined,
  };
}
