// The session file of docs/formats/cli-session.md: $XDG_CONFIG_HOME/blindvault/session.json, mode 0600, sealed
// with the key in BLINDVAULT_SESSION. Always a file, never an OS keyring: no Secret Service exists on the machines
// this is built and tested on, and an untested native binding is not shipped (cli-session.md says more).
import path from 'node:path';
import { BlindvaultError } from '../../client/index.js';
import { openSessionState, parseSessionKey, sealSessionState, type SessionState } from '../../client/vault/session-state.js';
import type { Secret } from '../../crypto/secret.js';
import { configDir, type Env } from '../environment.js';
import { readPrivateFile, removePrivateFile, writePrivateFile } from './private-file.js';

export const SESSION_ENV = 'BLINDVAULT_SESSION';

export const sessionFile = (env: Env) => path.join(configDir(env), 'session.json');

export async function saveSession(env: Env, key: Secret<Uint8Array>, state: SessionState): Promise<void> {
  await writePrivateFile(sessionFile(env), sealSessionState(key, state));
}

export async function loadSession(env: Env): Promise<SessionState> {
  const text = await readPrivateFile(sessionFile(env));
  if (text === undefined) throw new BlindvaultError('NOT_LOGGED_IN', { what: `no session in ${sessionFile(env)}` });
  const keyText = env[SESSION_ENV];
  if (keyText === undefined || keyText === '') throw new BlindvaultError('NOT_LOGGED_IN', { what: `${SESSION_ENV} is not set` });
  return openSessionState(parseSessionKey(keyText), text);
}

export async function forgetSession(env: Env): Promise<boolean> {
  return removePrivateFile(sessionFile(env));
}
