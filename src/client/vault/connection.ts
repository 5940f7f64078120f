// How the SDK reaches a vault server: a transport whose failures are BlindvaultErrors, the pinned server keys
// (trust on first use of /info/, or given), password and API-key logins, and calls whose refusals are mapped
// to the error catalogue (docs/errors.md "Raised by the client").
import { fromHex } from '../../crypto/encoding.js';
import { verifyDetached } from '../../crypto/nacl.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { Transport } from '../transport.js';
import { loginWithApiKey, VaultClient, VaultClientError, type ApiKeyCredentials, type ApiKeySessionInfo, type VaultSession } from '../vault-session.js';

/** The server's two public keys as /info/ publishes them (64 hex each). */
export interface ServerPin {
  verifyKey: string;
  publicKey: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function isHexKey(value: string): boolean {
  return HEX64.test(value);
}

/** fetch over HTTP; a connection failure is NETWORK_ERROR (the URL is named, never a header). */
export function vaultTransport(baseUrl: string, fetchImpl: typeof fetch = fetch): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async ({ method, path, headers, body }) => {
    // The body is read inside the try too: a connection that breaks mid-answer is a network error, not a bug.
    try {
      const response = await fetchImpl(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: await response.text() };
    } catch (error) {
      throw new BlindvaultError('NETWORK_ERROR', { url: base, cause: (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message });
    }
  };
}

/** GET /info/ with its signature checked; `pinned` (if any) must match, else SERVER_KEY_CHANGED. */
export async function fetchServerPin(transport: Transport, pinned?: ServerPin): Promise<ServerPin> {
  const { status, body } = await new VaultClient(transport).call('GET', '/info/');
  const answer = (body ?? {}) as { info?: unknown; signature?: unknown; verify_key?: unknown };
  if (status !== 200 || typeof answer.info !== 'string' || typeof answer.signature !== 'string' || typeof answer.verify_key !== 'string') {
    throw new BlindvaultError('UNEXPECTED_RESPONSE', { status, field: 'info' });
  }
  const verifyKey = answer.verify_key.toLowerCase();
  if (pinned && pinned.verifyKey !== verifyKey) throw new BlindvaultError('SERVER_KEY_CHANGED', { pinned: pinned.verifyKey, received: verifyKey });
  const signature = fromHex(answer.signature.toLowerCase());
  const key = fromHex(verifyKey);
  if (!key || key.length !== 32 || !signature || !verifyDetached(key, new TextEncoder().encode(answer.info), signature)) throw new BlindvaultError('BAD_SIGNATURE', { what: '/info/' });
  let info: unknown;
  try {
    info = JSON.parse(answer.info);
  } catch {
    throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'info' });
  }
  const publicKey = String((info as { public_key?: unknown }).public_key ?? '').toLowerCase();
  if (!isHexKey(publicKey)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'public_key' });
  if (pinned && pinned.publicKey !== publicKey) throw new BlindvaultError('SERVER_KEY_CHANGED', { pinned: pinned.publicKey, received: publicKey });
  return { verifyKey, publicKey };
}

/** The first error code of a Psono error body, if it is one of ours. */
function psonoCode(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const first = Array.isArray(b.non_field_errors) ? b.non_field_errors[0] : (b.message ?? b.detail);
  return typeof first === 'string' ? first : undefined;
}

/** A refusal of the server as a catalogue error: 401 → SESSION_EXPIRED, 403 → VAULT_ACCESS_DENIED, … */
export function refusal(status: number, body: unknown, what: string): BlindvaultError {
  const code = psonoCode(body);
  if (status === 401) return new BlindvaultError('SESSION_EXPIRED', { status, what });
  if (status === 403 && code !== 'NO_PERMISSION_OR_NOT_EXIST') return new BlindvaultError('VAULT_ACCESS_DENIED', { status, what });
  if (status === 429) return new BlindvaultError('RATE_LIMITED', { status, what });
  if (code === 'USERNAME_OR_PASSWORD_WRONG' || code === 'ACCOUNT_NOT_VERIFIED' || code === 'REGISTRATION_HAS_BEEN_DISABLED') return new BlindvaultError(code, { status, what });
  // The login's second factor (spec §3.15): the CLI tells a wrong code from a wrong password.
  if (code === 'GA_TOKEN_INCORRECT' || code === 'GA_TOKENS_ONLY_CONTAIN_DIGITS' || code === 'GA_CHALLENGE_UNSOLVED' || code === 'NO_GOOGLE_AUTHENTICATOR_FOUND' || code === 'WEBAUTHN_CHALLENGE_UNSOLVED') return new BlindvaultError(code, { status, what });
  if (code === 'NO_PERMISSION_OR_NOT_EXIST') return new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST', { status, what });
  return new BlindvaultError('UNEXPECTED_RESPONSE', { status, what, ...(code !== undefined ? { code } : {}) });
}

function rethrow(error: unknown, what: string): never {
  if (error instanceof BlindvaultError) throw error;
  if (error instanceof VaultClientError) throw refusal(error.status, error.body, what);
  // The SDK's own checks (a box that does not open, a signature that does not verify) say what failed.
  const message = error instanceof Error ? error.message : String(error);
  if (/does not open with this password/.test(message)) throw new BlindvaultError('USERNAME_OR_PASSWORD_WRONG', { what });
  if (/not signed/.test(message)) throw new BlindvaultError('BAD_SIGNATURE', { what });
  throw new BlindvaultError('UNEXPECTED_RESPONSE', { what, field: message });
}

export interface PasswordLoginOptions {
  username: string;
  password: string;
  deviceDescription: string;
  deviceFingerprint: string;
  sessionDurationSeconds?: number;
  /** Solves the second factors the server names (spec §3.15), before activation. */
  secondFactor?: (pending: VaultSession, requiredMultifactors: string[]) => Promise<void>;
}

/** The full password login (spec §3.3) against a server whose keys are pinned. */
export async function passwordLogin(transport: Transport, pin: ServerPin, options: PasswordLoginOptions): Promise<VaultSession> {
  // The caller's second-factor step throws its own errors (a usage error, a refusal): they go through as they are.
  let hookError: unknown;
  const { secondFactor } = options;
  const guarded = secondFactor && (async (pending: VaultSession, required: string[]) => {
    try {
      await secondFactor(pending, required);
    } catch (error) {
      hookError = error;
      throw error;
    }
  });
  try {
    return await new VaultClient(transport, { pinnedVerifyKey: pin.verifyKey }).login({ ...options, secondFactor: guarded });
  } catch (error) {
    if (hookError !== undefined && error === hookError) throw error;
    if (error instanceof Error && /verify key changed/.test(error.message)) throw new BlindvaultError('SERVER_KEY_CHANGED', { pinned: pin.verifyKey });
    rethrow(error, 'login');
  }
}

/** The seed's API-key login (spec §3.9.3); the answer's signature is checked against the pinned verify key. */
export async function apiKeyLogin(transport: Transport, pinnedVerifyKey: string, credentials: ApiKeyCredentials): Promise<{ session: VaultSession; key: ApiKeySessionInfo }> {
  try {
    return await loginWithApiKey(new VaultClient(transport), credentials, pinnedVerifyKey);
  } catch (error) {
    rethrow(error, 'API-key login');
  }
}

export async function register(transport: Transport, pin: ServerPin, username: string, email: string, password: string): Promise<void> {
  const { status, body } = await new VaultClient(transport, { pinnedVerifyKey: pin.verifyKey }).register(username, email, password);
  if (status !== 201 && status !== 200) {
    const fields = body && typeof body === 'object' ? Object.keys(body as object).join(', ') : '';
    const code = psonoCode(body);
    if (code === 'REGISTRATION_HAS_BEEN_DISABLED' || code === 'USER_WITH_EMAIL_ALREADY_EXISTS') throw new BlindvaultError(code, { status });
    throw new BlindvaultError('VAULT_FIELD_ERRORS', { status, field: fields, body: JSON.stringify(body).slice(0, 300) });
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One encrypted call; answers the decrypted body when the status is one of `ok`, else throws the refusal. */
export async function vaultCall(session: VaultSession, method: Method, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<unknown> {
  let answer: { status: number; body: unknown };
  try {
    answer = await session.request(method, path, body);
  } catch (error) {
    rethrow(error, `${method} ${path}`);
  }
  if (!ok.includes(answer.status)) throw refusal(answer.status, answer.body, `${method} ${path.replace(/[0-9a-f-]{36}/g, '{id}')}`);
  return answer.body;
}
