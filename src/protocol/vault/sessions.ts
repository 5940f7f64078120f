// Request codecs of login, token activation and logout (spec §3.3).
import { BlindvaultError } from '../errors.js';
import { FieldReader } from './fields.js';

export interface LoginRequest {
  publicKey: string;
  loginInfo: string;
  loginInfoNonce: string;
  sessionDurationSeconds: number | undefined;
}

export function parseLoginRequest(body: unknown): LoginRequest {
  const f = new FieldReader(body);
  const publicKey = f.hex('public_key', { required: true, length: 64 });
  // Bad hex in the login info or its nonce is "cannot be decrypted" (§3.3), checked when opening it.
  const loginInfo = f.string('login_info', { required: true, maxLength: 65_536 });
  const loginInfoNonce = f.string('login_info_nonce', { required: true, maxLength: 64 });
  const sessionDurationSeconds = f.integer('session_duration');
  f.done();
  return { publicKey: publicKey as string, loginInfo: loginInfo as string, loginInfoNonce: loginInfoNonce as string, sessionDurationSeconds };
}

/** What the client put inside `login_info` (decrypted). */
export interface LoginInfo {
  username: string;
  authkey: string;
  deviceTime: Date | undefined;
  deviceFingerprint: string | undefined;
  deviceDescription: string | undefined;
  clientType: string | undefined;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO 8601 time; a naive one is UTC (§0.2). undefined when malformed. */
export function parseIsoTime(text: string): Date | undefined {
  if (!ISO_8601.test(text)) return undefined;
  const naive = !/(?:Z|[+-]\d{2}:?\d{2})$/.test(text);
  const ms = Date.parse(naive ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const optionalText = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;

export function parseLoginInfo(value: unknown): LoginInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
  const info = value as Record<string, unknown>;
  // No NUL anywhere (PostgreSQL cannot store it), and no fingerprint that would be stored cut short
  // and then never match its validators.
  if (Object.values(info).some((v) => typeof v === 'string' && v.includes('\u0000'))) throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
  if (typeof info.device_fingerprint === 'string' && info.device_fingerprint.length > 128) throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
  const username = typeof info.username === 'string' ? info.username.trim().toLowerCase() : '';
  if (!username) throw new BlindvaultError('USERNAME_REQUIRED');
  const authkey = typeof info.authkey === 'string' ? info.authkey : '';
  if (!authkey) throw new BlindvaultError('AUTHKEY_REQUIRED');
  let deviceTime: Date | undefined;
  if (info.device_time !== undefined && info.device_time !== null) {
    deviceTime = typeof info.device_time === 'string' ? parseIsoTime(info.device_time) : undefined;
    if (!deviceTime) throw new BlindvaultError('DEVICE_TIME_INVALID');
  }
  return {
    username: username.slice(0, 254),
    authkey: authkey.slice(0, 256),
    deviceTime,
    deviceFingerprint: optionalText(info.device_fingerprint, 128),
    deviceDescription: optionalText(info.device_description, 256),
    clientType: optionalText(info.client_type, 32),
  };
}

export function parseActivateTokenRequest(body: unknown): { verification: string; verificationNonce: string } {
  const f = new FieldReader(body);
  const verification = f.hex('verification', { required: true, minLength: 32, maxLength: 1024 });
  const verificationNonce = f.nonce('verification_nonce');
  f.done();
  return { verification: verification as string, verificationNonce: verificationNonce as string };
}

export function parseLogoutRequest(body: unknown): { sessionId: string | undefined } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { sessionId: undefined };
  const sessionId = (body as Record<string, unknown>).session_id;
  if (sessionId === undefined || sessionId === null || sessionId === '') return { sessionId: undefined };
  // A malformed id is "not yours or does not exist" (§3.3; Psono answers 500).
  if (typeof sessionId !== 'string' || !/^[0-9a-fA-F-]{36}$/.test(sessionId)) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
  return { sessionId: sessionId.toLowerCase() };
}

/** The Authorization-Validator header's inner JSON (§1.3). */
export interface ValidatorPayload {
  requestTime: Date | undefined;
  requestTimePresent: boolean;
  fingerprint: string | undefined;
}

export function parseValidatorPayload(value: unknown): ValidatorPayload {
  const inner = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const fingerprint = inner.request_device_session ?? inner.request_device_fingerprint;
  const time = inner.request_time;
  return {
    requestTime: typeof time === 'string' ? parseIsoTime(time) : undefined,
    requestTimePresent: typeof time === 'string' && parseIsoTime(time) !== undefined,
    fingerprint: typeof fingerprint === 'string' ? fingerprint : undefined,
  };
}

/** Output timestamps as Python's isoformat() with +00:00 and six fraction digits (spec §0.2). */
export function formatIsoTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}
