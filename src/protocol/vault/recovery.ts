// Wire of recovery codes, the lost-password reset and emergency codes (docs/vault-protocol.md §3.13–3.14). The
// server reads no code and no key: it checks shapes and bounds, and the client's ciphertexts pass through as hex.
import { Type } from 'typebox';
import type { HashingParameters } from '../../crypto/psono-kdf.js';
import { BlindvaultError } from '../errors.js';
import { isEmail, parseHashingParameters } from './accounts.js';
import { FieldReader } from './fields.js';
import { parseIsoTime } from './sessions.js';

/** A code's authkey is the §2.2 authkey with the default parameters: 128 characters (BV). */
const AUTHKEY_LENGTH = 128;
/** BV: a code's ciphertext of two 32-byte hex keys in JSON is about 330 hex characters; this bounds it. */
export const MAX_CODE_DATA_HEX = 8192;
/** BV: the boxed JSON of a reset or an emergency login (three keys, two nonces) stays well below this. */
const MAX_UPDATE_DATA_HEX = 8192;
export const MAX_ACTIVATION_DELAY_SECONDS = 2_147_483_647;
const MAX_DESCRIPTION = 256;

export interface CodeCiphertext {
  authkey: string;
  data: string;
  dataNonce: string;
  sauce: string;
}

function readCode(f: FieldReader, prefix: 'recovery' | 'emergency'): CodeCiphertext {
  const authkey = f.string(`${prefix}_authkey`, { required: true, minLength: AUTHKEY_LENGTH, maxLength: AUTHKEY_LENGTH });
  const data = f.hex(`${prefix}_data`, { required: true, minLength: 34, maxLength: MAX_CODE_DATA_HEX });
  const dataNonce = f.nonce(`${prefix}_data_nonce`);
  const sauce = f.hex(`${prefix}_sauce`, { required: true, length: 64 });
  return { authkey: authkey as string, data: data as string, dataNonce: dataNonce as string, sauce: sauce as string };
}

function readUsername(f: FieldReader): string {
  const username = f.string('username', { required: true, lower: true, maxLength: 254 });
  if (username !== undefined && !isEmail(username)) f.fail('username', 'INVALID_USERNAME_FORMAT');
  return username as string;
}

/** POST /recoverycode/ */
export function parseRecoveryCodeCreateRequest(body: unknown): CodeCiphertext {
  const f = new FieldReader(body);
  const code = readCode(f, 'recovery');
  f.done();
  return code;
}

export interface CodeLoginRequest {
  username: string;
  authkey: string;
}

/** POST /password/ and POST /emergency-login/: the username and the code's authkey. */
export function parseCodeLoginRequest(body: unknown, prefix: 'recovery' | 'emergency'): CodeLoginRequest {
  const f = new FieldReader(body);
  const username = readUsername(f);
  const authkey = f.string(`${prefix}_authkey`, { required: true, minLength: AUTHKEY_LENGTH, maxLength: AUTHKEY_LENGTH });
  f.done();
  return { username, authkey: authkey as string };
}

export interface BoxedUpdateRequest extends CodeLoginRequest {
  updateData: string;
  updateDataNonce: string;
}

function readBoxed(f: FieldReader, prefix: 'recovery' | 'emergency'): BoxedUpdateRequest {
  const username = readUsername(f);
  const authkey = f.string(`${prefix}_authkey`, { required: true, minLength: AUTHKEY_LENGTH, maxLength: AUTHKEY_LENGTH });
  const updateData = f.hex('update_data', { required: true, minLength: 34, maxLength: MAX_UPDATE_DATA_HEX });
  const updateDataNonce = f.nonce('update_data_nonce');
  return { username, authkey: authkey as string, updateData: updateData as string, updateDataNonce: updateDataNonce as string };
}

export interface PasswordResetRequest extends BoxedUpdateRequest {
  hashing: { algorithm: 'scrypt'; parameters: HashingParameters } | undefined;
}

/** PUT /password/ */
export function parsePasswordResetRequest(body: unknown): PasswordResetRequest {
  const f = new FieldReader(body);
  const boxed = readBoxed(f, 'recovery');
  const algorithm = f.string('hashing_algorithm');
  if (algorithm !== undefined && algorithm !== 'scrypt') f.fail('hashing_algorithm', `"${algorithm}" is not a valid choice.`);
  const parameters = f.object('hashing_parameters');
  f.done();
  if ((algorithm === undefined) !== (parameters === undefined)) throw new BlindvaultError('INVALID_HASHING_PARAMETER');
  return { ...boxed, hashing: parameters === undefined ? undefined : { algorithm: 'scrypt', parameters: parseHashingParameters(parameters) } };
}

/** PUT /emergency-login/ */
export function parseEmergencyLoginRequest(body: unknown): BoxedUpdateRequest {
  const f = new FieldReader(body);
  const boxed = readBoxed(f, 'emergency');
  f.done();
  return boxed;
}

export interface ResetPayload {
  authkey: string;
  privateKey: string;
  privateKeyNonce: string;
  secretKey: string;
  secretKeyNonce: string;
}

const HEX = /^[0-9a-fA-F]*$/;
const hexOf = (value: unknown, length: number): string | undefined =>
  typeof value === 'string' && value.length === length && HEX.test(value) ? value.toLowerCase() : undefined;

/** The JSON inside a reset's `update_data`, each field as registration takes it (§3.2); undefined when not so. */
export function parseResetPayload(value: unknown): ResetPayload | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const authkey = typeof v.authkey === 'string' && v.authkey.length === AUTHKEY_LENGTH && !v.authkey.includes('\u0000') ? v.authkey : undefined;
  const privateKey = hexOf(v.private_key, 160);
  const privateKeyNonce = hexOf(v.private_key_nonce, 48);
  const secretKey = hexOf(v.secret_key, 160);
  const secretKeyNonce = hexOf(v.secret_key_nonce, 48);
  if (!authkey || !privateKey || !privateKeyNonce || !secretKey || !secretKeyNonce) return undefined;
  return { authkey, privateKey, privateKeyNonce, secretKey, secretKeyNonce };
}

export interface EmergencyLoginInfo {
  sessionPublicKey: string;
  deviceFingerprint: string | undefined;
  deviceDescription: string | undefined;
  deviceTime: Date | undefined;
}

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 && !value.includes('\u0000') ? value.slice(0, max) : undefined;

/** The JSON inside an emergency login's `update_data`; undefined when it is not one. */
export function parseEmergencyLoginInfo(value: unknown): EmergencyLoginInfo | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const sessionPublicKey = hexOf(v.session_public_key, 64);
  if (!sessionPublicKey) return undefined;
  // A fingerprint that would be stored cut short would never match its validators.
  if (typeof v.device_fingerprint === 'string' && (v.device_fingerprint.length > 128 || v.device_fingerprint.includes('\u0000'))) return undefined;
  let deviceTime: Date | undefined;
  if (v.device_time !== undefined && v.device_time !== null) {
    deviceTime = typeof v.device_time === 'string' ? parseIsoTime(v.device_time) : undefined;
    if (!deviceTime) return undefined;
  }
  return { sessionPublicKey, deviceFingerprint: text(v.device_fingerprint, 128), deviceDescription: text(v.device_description, 256), deviceTime };
}

export interface EmergencyCodeCreateRequest extends CodeCiphertext {
  description: string;
  activationDelaySeconds: number;
}

/** POST /emergencycode/ */
export function parseEmergencyCodeCreateRequest(body: unknown): EmergencyCodeCreateRequest {
  const f = new FieldReader(body);
  const description = f.string('description', { required: true, maxLength: MAX_DESCRIPTION });
  const delay = f.integer('activation_delay', true);
  if (delay !== undefined && delay < 0) f.fail('activation_delay', 'Ensure this value is greater than or equal to 0.');
  if (delay !== undefined && delay > MAX_ACTIVATION_DELAY_SECONDS) f.fail('activation_delay', `Ensure this value is less than or equal to ${MAX_ACTIVATION_DELAY_SECONDS}.`);
  const code = readCode(f, 'emergency');
  f.done();
  return { ...code, description: description as string, activationDelaySeconds: delay as number };
}

/** DELETE /emergencycode/ */
export function parseEmergencyCodeDeleteRequest(body: unknown): { codeId: string } {
  const f = new FieldReader(body);
  const codeId = f.uuid('emergency_code_id', true);
  f.done();
  return { codeId: codeId as string };
}

// Answers (allow-lists, as in responses.ts).
const str = () => Type.String();
const int = () => Type.Integer();

export const RecoveryCodeCreateResponse = Type.Object({ recovery_code_id: str() });
const HashingFields = { hashing_algorithm: str(), hashing_parameters: Type.Object({ u: int(), r: int(), p: int(), l: int() }) };
const VerifierFields = { verifier_public_key: str(), verifier_time_valid: int() };
export const PasswordResetStartResponse = Type.Object({
  recovery_data: str(),
  recovery_data_nonce: str(),
  recovery_sauce: str(),
  user_sauce: str(),
  ...HashingFields,
  ...VerifierFields,
});
export const EmergencyCodeListResponse = Type.Object({
  // Psono's spelling, which the web client reads.
  emegency_codes: Type.Array(Type.Object({ id: str(), description: str(), activation_date: Type.Union([str(), Type.Null()]), activation_delay: int() })),
});
export const EmergencyCodeCreateResponse = Type.Object({ emergency_code_id: str() });
export const EmergencyLoginStartResponse = Type.Union([
  Type.Object({ status: Type.Union([Type.Literal('started'), Type.Literal('waiting')]), remaining_wait_time: int() }),
  Type.Object({
    status: Type.Literal('ready'),
    remaining_wait_time: int(),
    emergency_data: str(),
    emergency_data_nonce: str(),
    emergency_sauce: str(),
    user_sauce: str(),
    authentication: str(),
    ...HashingFields,
    ...VerifierFields,
  }),
]);
