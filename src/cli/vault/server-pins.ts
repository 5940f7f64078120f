// The servers' pinned keys, per server URL, in $XDG_CONFIG_HOME/blindvault/servers.json: set on the first
// login (trust on first use, as the web client does) or from --server-signature, and never changed silently.
import path from 'node:path';
import type { ServerPin } from '../../client/vault/connection.js';
import { isHexKey } from '../../client/vault/connection.js';
import { configDir, type Env } from '../environment.js';
import { readJsonObject, writePrivateFile } from './private-file.js';

const pinsFile = (env: Env) => path.join(configDir(env), 'servers.json');

export async function pinnedServer(env: Env, serverUrl: string): Promise<ServerPin | undefined> {
  const entry = (await readJsonObject(pinsFile(env)))[serverUrl] as { verify_key?: unknown; public_key?: unknown } | undefined;
  if (!entry || typeof entry.verify_key !== 'string' || typeof entry.public_key !== 'string') return undefined;
  if (!isHexKey(entry.verify_key) || !isHexKey(entry.public_key)) return undefined;
  return { verifyKey: entry.verify_key, publicKey: entry.public_key };
}

export async function pinServer(env: Env, serverUrl: string, pin: ServerPin): Promise<void> {
  const all = await readJsonObject(pinsFile(env));
  all[serverUrl] = { verify_key: pin.verifyKey, public_key: pin.publicKey, pinned_at: new Date().toISOString() };
  await writePrivateFile(pinsFile(env), `${JSON.stringify(all, null, 2)}\n`);
}
