// How a vault command gets its session: the API-key variables (machines), else the stored login (people).
import { hostname } from 'node:os';
import { BlindvaultError, normalizeServerUrl } from '../../client/index.js';
import { apiKeyLogin, isHexKey, vaultTransport } from '../../client/vault/connection.js';
import { restoreSession, type SessionState } from '../../client/vault/session-state.js';
import type { ApiKeySessionInfo, VaultSession } from '../../client/vault-session.js';
import type { Env } from '../environment.js';
import { UsageError } from '../usage-error.js';
import { loadSession } from './session-store.js';

export const API_KEY_ENV = {
  id: 'BLINDVAULT_API_KEY_ID',
  privateKey: 'BLINDVAULT_API_KEY_PRIVATE_KEY',
  secretKey: 'BLINDVAULT_API_KEY_SECRET_KEY',
  server: 'BLINDVAULT_SERVER',
  serverSignature: 'BLINDVAULT_SERVER_SIGNATURE',
  serverPublicKey: 'BLINDVAULT_SERVER_PUBLIC_KEY',
} as const;

/** Every variable that carries a credential: kept out of the environment of a child started by `run`. */
export const CREDENTIAL_ENV = ['BLINDVAULT_SESSION', API_KEY_ENV.id, API_KEY_ENV.privateKey, API_KEY_ENV.secretKey] as const;

export interface VaultAccess {
  session: VaultSession;
  serverUrl: string;
  /** Set for a password login restored from the session file. */
  state?: SessionState;
  /** Set when the session was opened with an API key. */
  apiKey?: ApiKeySessionInfo & { id: string; secretKeyHex: string };
}

export const deviceDescription = () => `Blindvault CLI ${hostname()}`;

/** The base URL of BLINDVAULT_SERVER (the seed's `server_url` ends in /server: both are accepted). */
export function serverFromEnv(env: Env): string {
  const value = env[API_KEY_ENV.server];
  if (value === undefined || value === '') throw new UsageError(`${API_KEY_ENV.server} is needed with ${API_KEY_ENV.id}`);
  const url = normalizeServerUrl(value.replace(/\/server\/?$/, ''));
  if (url === undefined) throw new UsageError(`${API_KEY_ENV.server} is not an http(s) URL: ${value}`);
  return url;
}

function hexVariable(env: Env, name: string): string {
  const value = (env[name] ?? '').toLowerCase();
  if (!isHexKey(value)) throw new UsageError(`${name} must be 64 hex characters`);
  return value;
}

export async function openVault(env: Env): Promise<VaultAccess> {
  const apiKeyId = env[API_KEY_ENV.id];
  if (apiKeyId !== undefined && apiKeyId !== '') {
    const serverUrl = serverFromEnv(env);
    const privateKeyHex = hexVariable(env, API_KEY_ENV.privateKey);
    const secretKeyHex = hexVariable(env, API_KEY_ENV.secretKey);
    const serverSignature = env[API_KEY_ENV.serverSignature];
    if (serverSignature === undefined || serverSignature === '') {
      throw new UsageError(`${API_KEY_ENV.serverSignature} (the server's verify key, as api-key create prints it) is needed with ${API_KEY_ENV.id}`);
    }
    if (env[API_KEY_ENV.serverPublicKey]) hexVariable(env, API_KEY_ENV.serverPublicKey);
    const { session, key } = await apiKeyLogin(vaultTransport(serverUrl), hexVariable(env, API_KEY_ENV.serverSignature), {
      apiKeyId,
      privateKeyHex,
      secretKeyHex,
      deviceDescription: deviceDescription(),
    });
    return { session, serverUrl, apiKey: { ...key, id: apiKeyId, secretKeyHex } };
  }
  const state = await loadSession(env);
  return { session: restoreSession(vaultTransport(state.server_url), state), serverUrl: state.server_url, state };
}

/** For commands that manage the account: an API key may not (the server refuses them too, spec §1.5). */
export function requirePasswordLogin(access: VaultAccess, command: string): SessionState {
  if (!access.state) throw new BlindvaultError('VAULT_ACCESS_DENIED', { what: `${command} needs a password login, not an API key` });
  return access.state;
}
