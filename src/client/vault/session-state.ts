// The CLI's stored session (docs/formats/cli-session.md): the state of a logged-in VaultSession, sealed
// under a session key that only the user holds (BLINDVAULT_SESSION).
import { fromBase64Url, fromHex, toBase64Url, toHex, utf8Bytes, utf8Text } from '../../crypto/encoding.js';
import { KEY_BYTES, NONCE_BYTES, randomBytes, secretboxOpen, secretboxSeal } from '../../crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS } from '../../crypto/psono-kdf.js';
import { Secret } from '../../crypto/secret.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { Transport } from '../transport.js';
import { VaultSession } from '../vault-session.js';
import type { ServerPin } from './connection.js';

export const SESSION_FILE_FORMAT = 'blindvault-cli-session';

export interface SessionState {
  server_url: string;
  server_verify_key: string;
  server_public_key: string;
  token: string;
  session_secret_key: string;
  device_fingerprint: string;
  username: string;
  user_id: string;
  email: string;
  user_public_key: string;
  user_private_key: string;
  user_secret_key: string;
  created_at: string;
}

const STRING_FIELDS = [
  'server_url', 'server_verify_key', 'server_public_key', 'token', 'session_secret_key', 'device_fingerprint',
  'username', 'user_id', 'email', 'user_public_key', 'user_private_key', 'user_secret_key', 'created_at',
] as const satisfies ReadonlyArray<keyof SessionState>;

/** A fresh session key and its BLINDVAULT_SESSION text. */
export function newSessionKey(): { key: Secret<Uint8Array>; text: string } {
  const key = randomBytes(KEY_BYTES);
  return { key: new Secret(key), text: toBase64Url(key) };
}

export function parseSessionKey(text: string): Secret<Uint8Array> {
  const key = fromBase64Url(text.trim());
  if (!key || key.length !== KEY_BYTES) throw new BlindvaultError('NOT_LOGGED_IN', { what: 'BLINDVAULT_SESSION is not a session key' });
  return new Secret(key);
}

export function stateOf(session: VaultSession, serverUrl: string, pin: ServerPin, now = new Date()): SessionState {
  return {
    server_url: serverUrl,
    server_verify_key: pin.verifyKey,
    server_public_key: pin.publicKey,
    token: session.token.reveal(),
    session_secret_key: toHex(session.sessionSecret.reveal()),
    device_fingerprint: session.deviceFingerprint ?? '',
    username: session.username,
    user_id: session.userId,
    email: session.email,
    user_public_key: session.userPublicKey,
    user_private_key: toHex(session.userPrivateKey.reveal()),
    user_secret_key: toHex(session.userSecretKey.reveal()),
    created_at: now.toISOString(),
  };
}

export function sealSessionState(key: Secret<Uint8Array>, state: SessionState): string {
  const sealed = secretboxSeal(key.reveal(), utf8Bytes(JSON.stringify(state)));
  return `${JSON.stringify({ format: SESSION_FILE_FORMAT, version: 1, nonce: toHex(sealed.nonce), ciphertext: toHex(sealed.ciphertext) })}\n`;
}

const refused = (reason: string) => new BlindvaultError('NOT_LOGGED_IN', { what: reason });

export function openSessionState(key: Secret<Uint8Array>, fileText: string): SessionState {
  let outer: unknown;
  try {
    outer = JSON.parse(fileText);
  } catch {
    throw refused('the session file is not JSON');
  }
  const o = (outer ?? {}) as Record<string, unknown>;
  if (o.format !== SESSION_FILE_FORMAT || o.version !== 1) throw refused('the session file has an unknown format or version');
  const nonce = typeof o.nonce === 'string' ? fromHex(o.nonce) : undefined;
  const ciphertext = typeof o.ciphertext === 'string' ? fromHex(o.ciphertext) : undefined;
  if (!nonce || nonce.length !== NONCE_BYTES || !ciphertext) throw refused('the session file is damaged');
  const opened = secretboxOpen(key.reveal(), ciphertext, nonce);
  const text = opened ? utf8Text(opened) : undefined;
  if (text === undefined) throw refused('BLINDVAULT_SESSION does not open the session file (another login since?)');
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw refused('the session state is not JSON');
  }
  const s = (state ?? {}) as Record<string, unknown>;
  for (const field of STRING_FIELDS) if (typeof s[field] !== 'string') throw refused(`the session state lacks ${field}`);
  return s as unknown as SessionState;
}

const key32 = (hex: string, field: string): Uint8Array => {
  const bytes = fromHex(hex);
  if (!bytes || bytes.length !== KEY_BYTES) throw refused(`the session state's ${field} is not a key`);
  return bytes;
};

/** The VaultSession a state describes, over `transport`. */
export function restoreSession(transport: Transport, state: SessionState): VaultSession {
  const session = new VaultSession(transport, {
    token: new Secret(state.token),
    sessionSecret: new Secret(key32(state.session_secret_key, 'session_secret_key')),
    deviceFingerprint: state.device_fingerprint === '' ? undefined : state.device_fingerprint,
    validatorRequired: true,
    userPrivateKey: new Secret(key32(state.user_private_key, 'user_private_key')),
    username: state.username,
    userPublicKey: state.user_public_key,
    userSauce: '',
    hashingParameters: { ...DEFAULT_HASHING_PARAMETERS },
  });
  session.userId = state.user_id;
  session.email = state.email;
  session.userSecretKey = new Secret(key32(state.user_secret_key, 'user_secret_key'));
  return session;
}
