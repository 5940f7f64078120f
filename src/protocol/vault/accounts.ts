// Request codecs of registration and the user endpoints (spec §3.2, §3.4).
import { DEFAULT_HASHING_PARAMETERS, HASHING_PARAMETER_BOUNDS, type HashingParameters } from '../../crypto/psono-kdf.js';
import { BlindvaultError } from '../errors.js';
import { FieldReader } from './fields.js';

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const RESERVED_LOCAL_PARTS = new Set(
  'postmaster hostmaster usenet news webmaster www uucp ftp info marketing support sales security abuse noc admin administrator contact smtp mail remote blog webmail ns1 ns2 ns3 cdn api secure dev web cloud stage staging repository autodiscover irc'.split(
    ' ',
  ),
);

export function isEmail(text: string): boolean {
  return text.length <= 254 && EMAIL.test(text);
}

/** The username rules of §3.2 (3a–3f); undefined when the username is acceptable. */
export function usernameProblem(username: string, allowedDomains: readonly string[]): string | undefined {
  if (!isEmail(username)) return 'INVALID_USERNAME_FORMAT';
  const at = username.lastIndexOf('@');
  const local = username.slice(0, at);
  const domain = username.slice(at + 1);
  if (!allowedDomains.includes('*') && !allowedDomains.includes(domain)) return 'PROVIDED_DOMAIN_NOT_ALLOWED_FOR_REGISTRATION';
  if (!/^[a-z0-9.-]*$/.test(local)) return 'USERNAME_VALIDATION_NAME_CONTAINS_INVALID_CHARS';
  if (local.length < 2) return 'Usernames may not be shorter than 2 chars.';
  if (local.startsWith('-')) return 'Usernames may not start with a dash.';
  if (local.endsWith('-')) return 'Usernames may not end with a dash.';
  if (local.includes('--')) return 'Usernames may not contain consecutive dashes.';
  if (local.includes('.-')) return 'Usernames may not contain periods followed by dashes.';
  if (local.includes('-.')) return 'Usernames may not contain dashes followed by periods.';
  if (RESERVED_LOCAL_PARTS.has(local)) return 'Usernames like admin@ info@ webmaster@ and so on are forbidden.';
  return undefined;
}

/** Hashing parameters: all four keys, integers, no lower than the defaults, no higher than the bounds, no others. */
export function parseHashingParameters(value: Record<string, unknown> | undefined): HashingParameters {
  if (value === undefined) return { ...DEFAULT_HASHING_PARAMETERS };
  const keys = Object.keys(HASHING_PARAMETER_BOUNDS) as Array<keyof HashingParameters>;
  if (Object.keys(value).some((k) => !keys.includes(k as keyof HashingParameters))) throw new BlindvaultError('INVALID_HASHING_PARAMETER');
  const params = {} as HashingParameters;
  for (const key of keys) {
    const n = value[key];
    const [min, max] = HASHING_PARAMETER_BOUNDS[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new BlindvaultError('INVALID_HASHING_PARAMETER');
    params[key] = n;
  }
  return params;
}

export interface RegisterRequest {
  email: string;
  username: string;
  authkey: string;
  publicKey: string;
  privateKey: string;
  privateKeyNonce: string;
  secretKey: string;
  secretKeyNonce: string;
  userSauce: string;
  hashingAlgorithm: 'scrypt';
  hashingParameters: HashingParameters;
}

/** Field checks of §3.2 (3, 3a–3f); the hashing parameters (6) after them. */
export function parseRegisterRequest(body: unknown, allowedDomains: readonly string[]): RegisterRequest {
  const f = new FieldReader(body);
  const email = f.string('email', { required: true, lower: true, maxLength: 254 });
  if (email !== undefined && !isEmail(email)) f.fail('email', 'INVALID_EMAIL_FORMAT');
  const username = f.string('username', { required: true, lower: true, maxLength: 254 });
  const problem = username === undefined ? undefined : usernameProblem(username, allowedDomains);
  if (problem) f.fail('username', problem);
  const authkey = f.string('authkey', { required: true, minLength: 128, maxLength: 128 });
  const publicKey = f.hex('public_key', { required: true, length: 64 });
  const privateKey = f.hex('private_key', { required: true, length: 160 });
  const privateKeyNonce = f.nonce('private_key_nonce');
  const secretKey = f.hex('secret_key', { required: true, length: 160 });
  const secretKeyNonce = f.nonce('secret_key_nonce');
  const userSauce = f.hex('user_sauce', { required: true, length: 64 });
  const algorithm = f.string('hashing_algorithm') ?? 'scrypt';
  if (algorithm !== 'scrypt') f.fail('hashing_algorithm', `"${algorithm}" is not a valid choice.`);
  const parameters = f.object('hashing_parameters');
  f.done();
  return {
    email: email as string,
    username: username as string,
    authkey: authkey as string,
    publicKey: publicKey as string,
    privateKey: privateKey as string,
    privateKeyNonce: privateKeyNonce as string,
    secretKey: secretKey as string,
    secretKeyNonce: secretKeyNonce as string,
    userSauce: userSauce as string,
    hashingAlgorithm: 'scrypt',
    hashingParameters: parseHashingParameters(parameters),
  };
}

export function parsePreloginRequest(body: unknown): { username: string } {
  const f = new FieldReader(body);
  const username = f.string('username', { required: true, lower: true, maxLength: 254 });
  if (username !== undefined && !isEmail(username)) f.fail('username', 'INVALID_USERNAME_FORMAT');
  f.done();
  return { username: username as string };
}

export interface UserUpdateRequest {
  email?: string;
  authkey?: string;
  authkeyOld?: string;
  privateKey?: string;
  privateKeyNonce?: string;
  secretKey?: string;
  secretKeyNonce?: string;
  hashing?: { algorithm: 'scrypt'; parameters: HashingParameters };
  userSauce?: string;
  language?: string;
  zoneinfo?: string;
}

const ZONEINFO = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

/** §3.4: only given fields change; protected ones need `authkey_old`. */
export function parseUserUpdateRequest(body: unknown): UserUpdateRequest {
  const f = new FieldReader(body);
  const email = f.string('email', { lower: true, maxLength: 254 });
  if (email !== undefined && !isEmail(email)) f.fail('email', 'INVALID_EMAIL_FORMAT');
  const authkey = f.string('authkey', { minLength: 128, maxLength: 128 });
  const authkeyOld = f.string('authkey_old', { maxLength: 128 });
  const privateKey = f.hex('private_key', { length: 160 });
  const privateKeyNonce = f.nonce('private_key_nonce', false);
  const secretKey = f.hex('secret_key', { length: 160 });
  const secretKeyNonce = f.nonce('secret_key_nonce', false);
  const algorithm = f.string('hashing_algorithm');
  if (algorithm !== undefined && algorithm !== 'scrypt') f.fail('hashing_algorithm', `"${algorithm}" is not a valid choice.`);
  const parameters = f.object('hashing_parameters');
  // Psono stores user_sauce unchecked; no client sends it; BV: 64 hex or a field error (§3.4).
  const userSauce = f.hex('user_sauce', { length: 64 });
  const language = f.string('language', { maxLength: 16 });
  const zoneinfo = f.string('zoneinfo', { maxLength: 64 });
  if (f.ok && (privateKey === undefined) !== (privateKeyNonce === undefined)) f.fail('private_key_nonce', 'This field is required.');
  if (f.ok && (secretKey === undefined) !== (secretKeyNonce === undefined)) f.fail('secret_key_nonce', 'This field is required.');
  f.done();
  if ((algorithm === undefined) !== (parameters === undefined)) throw new BlindvaultError('INVALID_HASHING_PARAMETER');
  return {
    ...(email !== undefined ? { email } : {}),
    ...(authkey !== undefined ? { authkey } : {}),
    ...(authkeyOld !== undefined ? { authkeyOld } : {}),
    ...(privateKey !== undefined && privateKeyNonce !== undefined ? { privateKey, privateKeyNonce } : {}),
    ...(secretKey !== undefined && secretKeyNonce !== undefined ? { secretKey, secretKeyNonce } : {}),
    ...(parameters !== undefined ? { hashing: { algorithm: 'scrypt' as const, parameters: parseHashingParameters(parameters) } } : {}),
    ...(userSauce !== undefined ? { userSauce } : {}),
    ...(language !== undefined ? { language } : {}),
    // Unknown time zones are ignored (§3.4).
    ...(zoneinfo !== undefined && ZONEINFO.test(zoneinfo) ? { zoneinfo } : {}),
  };
}

export function parseUserSearchRequest(body: unknown): { userId?: string; username?: string; email?: string } {
  const f = new FieldReader(body);
  const userId = f.uuid('user_id');
  const username = f.string('user_username', { allowBlank: true, lower: true, maxLength: 254 });
  const email = f.string('user_email', { allowBlank: true, lower: true, maxLength: 254 });
  f.done();
  return {
    ...(userId !== undefined ? { userId } : {}),
    ...(username ? { username } : {}),
    ...(email ? { email } : {}),
  };
}

export function parseUserDeleteRequest(body: unknown): { authkey: string } {
  const f = new FieldReader(body);
  const authkey = f.string('authkey', { required: true, minLength: 128, maxLength: 128 });
  f.done();
  return { authkey: authkey as string };
}
