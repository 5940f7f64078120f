// Reading one entry for get, run and serve: through the tree (a password login or an unrestricted API key), or,
// for a restricted API key, the attached secret by its id (spec §3.9.4).
import { BlindvaultError } from '../../client/index.js';
import { readAttachedSecret, secretType } from '../../client/vault/api-key-access.js';
import { vaultTransport } from '../../client/vault/connection.js';
import { readEntry } from '../../client/vault/entries.js';
import { readField, type SecretContent } from '../../client/vault/secret-item.js';
import { VaultTree } from '../../client/vault/tree.js';
import type { VaultAccess } from './context.js';

export interface EntryValue {
  path: string;
  secretId: string;
  type: string;
  name: string;
  secret: SecretContent;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class EntryReader {
  #tree: Promise<VaultTree> | undefined;
  constructor(private readonly access: VaultAccess) {}

  async read(entry: string): Promise<EntryValue> {
    const key = this.access.apiKey;
    if (key?.restrictToSecrets) {
      if (!UUID.test(entry)) throw new BlindvaultError('VAULT_KEYS_UNAVAILABLE', { what: entry });
      const secret = await readAttachedSecret(vaultTransport(this.access.serverUrl), key.id, key.secretKeyHex, entry.toLowerCase());
      const type = secretType(secret);
      return { path: entry, secretId: entry.toLowerCase(), type, name: String(secret[`${type}_title`] ?? ''), secret };
    }
    this.#tree ??= VaultTree.load(this.access.session, false);
    const { located, item, secret } = await readEntry(this.access.session, await this.#tree, entry);
    return { path: located.namePath.join('/'), secretId: item.secret_id ?? '', type: item.type, name: item.name, secret };
  }
}

/** The value of a short field (password, username, url, notes, title) or a full key; ENTRY_NOT_FOUND if absent. */
export function fieldValue(value: EntryValue, field: string): string {
  const raw = readField(value.type, value.secret, field);
  if (raw === undefined || raw === null) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${value.path} has no field ${field}` });
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}
