import { toHex } from '../../crypto/encoding.js';
import { readKeyFile } from '../../store/key-file.js';
import type { VaultStore } from '../../store/vault-store.js';
import type { Config } from '../config.js';
import { loadServerKeys } from './server-keys.js';

/** What a vault client is configured with: public values only (made on first use, as the server would). */
export async function clientConfiguration(config: Config, vault: VaultStore): Promise<{ serverUrl: string; serverPublicKey: string; serverSignature: string; source: string }> {
  const keyFile = config.vault.keyFile === undefined ? undefined : await readKeyFile(config.vault.keyFile);
  const keys = await loadServerKeys(vault, keyFile ? { ...config.vault, ...keyFile } : config.vault);
  const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
  return { serverUrl: `${base}/server`, serverPublicKey: toHex(keys.boxPublicKey), serverSignature: toHex(keys.verifyKey), source: keys.source };
}
