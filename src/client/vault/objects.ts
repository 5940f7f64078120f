// The vault's objects on the wire (spec §3.5–3.7): password datastores, shares and secrets, each read and
// written encrypted the way the official web client does it. One function per call.
import { BlindvaultError } from '../../protocol/errors.js';
import type { VaultSession } from '../vault-session.js';
import { vaultCall } from './connection.js';
import { keyBytes, newObjectKeyHex, openJsonHex, openText, sealJsonHex, sealText } from './crypto-json.js';
import type { ContainerContent } from './nodes.js';
import type { SecretContent } from './secret-item.js';

export interface Rights {
  read: boolean;
  write: boolean;
  grant: boolean;
}

export interface OpenDatastore {
  kind: 'datastore';
  id: string;
  keyHex: string;
  content: ContainerContent;
}

export interface OpenShare {
  kind: 'share';
  id: string;
  keyHex: string;
  content: ContainerContent;
  rights: Rights;
}

export type Container = OpenDatastore | OpenShare;

export type Parent = { datastoreId: string } | { shareId: string };

export const parentOf = (container: Container): Parent => (container.kind === 'datastore' ? { datastoreId: container.id } : { shareId: container.id });

const parentFields = (parent: Parent, prefix = 'parent') =>
  'datastoreId' in parent ? { [`${prefix}_datastore_id`]: parent.datastoreId } : { [`${prefix}_share_id`]: parent.shareId };

const obj = (value: unknown, what: string): Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: what });
  return value as Record<string, unknown>;
};

const str = (value: unknown, what: string): string => {
  if (typeof value !== 'string') throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: what });
  return value;
};

/** The user's symmetric key USK; a restricted API key has none (the server withholds it). */
export function userSecretKey(session: VaultSession): Uint8Array {
  const usk = session.userSecretKey.reveal();
  if (usk.length !== 32) throw new BlindvaultError('VAULT_KEYS_UNAVAILABLE');
  return usk;
}

const contentOf = (value: unknown, what: string): ContainerContent => {
  const content = obj(value, what) as ContainerContent;
  if (content.folders !== undefined && !Array.isArray(content.folders)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what}.folders` });
  if (content.items !== undefined && !Array.isArray(content.items)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: `${what}.items` });
  return content;
};

/** The default password datastore (made as the web client makes it when `create` and there is none). */
export async function openPasswordDatastore(session: VaultSession, create: boolean): Promise<OpenDatastore | undefined> {
  const usk = userSecretKey(session);
  const list = obj(await vaultCall(session, 'GET', '/datastore/'), 'datastores').datastores;
  if (!Array.isArray(list)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'datastores' });
  const passwords = list.map((d) => obj(d, 'datastore')).filter((d) => d.type === 'password');
  const chosen = passwords.find((d) => d.is_default === true) ?? passwords[0];
  if (!chosen) {
    if (!create) return undefined;
    const keyHex = newObjectKeyHex();
    const sealedKey = sealText(usk, keyHex);
    const made = obj(
      await vaultCall(session, 'PUT', '/datastore/', {
        type: 'password',
        description: 'Default',
        data: '',
        data_nonce: '',
        is_default: true,
        secret_key: sealedKey.text,
        secret_key_nonce: sealedKey.nonce,
      }),
      'datastore_id',
    );
    const id = str(made.datastore_id, 'datastore_id');
    return { kind: 'datastore', id, keyHex, content: { datastore_id: id, folders: [], items: [] } };
  }
  const id = str(chosen.id, 'datastore id');
  const record = obj(await vaultCall(session, 'GET', `/datastore/${id}/`), 'datastore');
  const keyHex = openText(usk, record.secret_key, record.secret_key_nonce, 'the datastore key');
  keyBytes(keyHex, 'the datastore key');
  const content = record.data ? contentOf(openJsonHex(keyHex, record.data, record.data_nonce, 'the datastore'), 'datastore') : { datastore_id: id, folders: [], items: [] };
  return { kind: 'datastore', id, keyHex, content };
}

export async function readShare(session: VaultSession, id: string, keyHex: string): Promise<OpenShare> {
  const record = obj(await vaultCall(session, 'GET', `/share/${id}/`), 'share');
  const rights = obj(record.rights, 'share rights');
  return {
    kind: 'share',
    id,
    keyHex,
    content: contentOf(openJsonHex(keyHex, record.data, record.data_nonce, 'the share'), 'share'),
    rights: { read: rights.read === true, write: rights.write === true, grant: rights.grant === true },
  };
}

/** Writes a container's content back (POST /datastore/ or PUT /share/), re-encrypted with its key. */
export async function saveContainer(session: VaultSession, container: Container): Promise<void> {
  const sealed = sealJsonHex(container.keyHex, container.content);
  if (container.kind === 'datastore') await vaultCall(session, 'POST', '/datastore/', { datastore_id: container.id, data: sealed.text, data_nonce: sealed.nonce });
  else await vaultCall(session, 'PUT', '/share/', { share_id: container.id, data: sealed.text, data_nonce: sealed.nonce });
}

export async function createSecret(session: VaultSession, content: SecretContent, linkId: string, parent: Parent): Promise<{ secretId: string; keyHex: string }> {
  const keyHex = newObjectKeyHex();
  const sealed = sealJsonHex(keyHex, content);
  const made = obj(await vaultCall(session, 'PUT', '/secret/', { data: sealed.text, data_nonce: sealed.nonce, link_id: linkId, ...parentFields(parent) }), 'secret_id');
  return { secretId: str(made.secret_id, 'secret_id'), keyHex };
}

export async function readSecret(session: VaultSession, secretId: string, keyHex: string): Promise<SecretContent> {
  const record = obj(await vaultCall(session, 'GET', `/secret/${secretId}/`), 'secret');
  return obj(openJsonHex(keyHex, record.data, record.data_nonce, 'the secret'), 'secret content');
}

export async function updateSecret(session: VaultSession, secretId: string, keyHex: string, content: SecretContent): Promise<void> {
  const sealed = sealJsonHex(keyHex, content);
  await vaultCall(session, 'POST', '/secret/', { secret_id: secretId, data: sealed.text, data_nonce: sealed.nonce });
}

export interface HistoryEntry {
  id: string;
  createdAt: string;
  username: string | null;
}

export async function secretHistory(session: VaultSession, secretId: string): Promise<HistoryEntry[]> {
  const list = obj(await vaultCall(session, 'GET', `/secret/history/${secretId}/`), 'history').history;
  if (!Array.isArray(list)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'history' });
  return list.map((h) => {
    const e = obj(h, 'history entry');
    return { id: str(e.id, 'history id'), createdAt: str(e.create_date, 'create_date'), username: typeof e.username === 'string' ? e.username : null };
  });
}

export async function readHistoryEntry(session: VaultSession, historyId: string, keyHex: string): Promise<SecretContent> {
  const record = obj(await vaultCall(session, 'GET', `/history/${historyId}/`), 'history entry');
  return obj(openJsonHex(keyHex, record.data, record.data_nonce, 'the old version'), 'secret content');
}

export async function moveSecretLink(session: VaultSession, linkId: string, parent: Parent): Promise<void> {
  await vaultCall(session, 'POST', '/secret/link/', { link_id: linkId, ...parentFields(parent, 'new_parent') });
}

export async function deleteSecretLink(session: VaultSession, linkId: string): Promise<void> {
  await vaultCall(session, 'DELETE', '/secret/link/', { link_id: linkId });
}

export async function moveShareLink(session: VaultSession, linkId: string, parent: Parent): Promise<void> {
  await vaultCall(session, 'POST', '/share/link/', { link_id: linkId, ...parentFields(parent, 'new_parent') });
}

export async function deleteShareLink(session: VaultSession, linkId: string): Promise<void> {
  await vaultCall(session, 'DELETE', '/share/link/', { link_id: linkId });
}

export async function createShareLink(session: VaultSession, linkId: string, shareId: string, parent: Parent): Promise<void> {
  await vaultCall(session, 'PUT', '/share/link/', { link_id: linkId, share_id: shareId, ...parentFields(parent) });
}

/** POST /share/ (POST creates shares): the content sealed with a fresh share key, that key under USK. */
export async function createShare(session: VaultSession, content: unknown, linkId: string, parent: Parent): Promise<{ shareId: string; keyHex: string }> {
  const keyHex = newObjectKeyHex();
  const data = sealJsonHex(keyHex, content);
  const key = sealText(userSecretKey(session), keyHex);
  const made = obj(
    await vaultCall(session, 'POST', '/share/', {
      data: data.text,
      data_nonce: data.nonce,
      key: key.text,
      key_nonce: key.nonce,
      key_type: 'symmetric',
      link_id: linkId,
      ...parentFields(parent),
    }),
    'share_id',
  );
  return { shareId: str(made.share_id, 'share_id'), keyHex };
}
