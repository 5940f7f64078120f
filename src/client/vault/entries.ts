// Entries and folders of the password tree: list, read, write, make, move and remove them, each change written
// exactly as the web client writes it (spec §6: PUT /secret/ then the container re-encrypted and saved).
import { randomUuid } from '../../crypto/uuid.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { VaultSession } from '../vault-session.js';
import { isShareNode, itemsUnder, newFolder, reindexShares, sharesUnder, type FolderNode, type ItemNode } from './nodes.js';
import {
  createSecret,
  deleteSecretLink,
  deleteShareLink,
  moveSecretLink,
  moveShareLink,
  parentOf,
  readHistoryEntry,
  readSecret,
  saveContainer,
  secretHistory,
  updateSecret,
  type Container,
  type HistoryEntry,
} from './objects.js';
import { applyFields, describeItem, type FieldName, type SecretContent, type WritableType } from './secret-item.js';
import { splitPath, type FolderPlace, type Located, type VaultTree } from './tree.js';

export interface ListedNode {
  name: string;
  kind: 'folder' | 'item';
  type: string;
  id: string;
  secret_id?: string;
  share_id?: string;
  description?: string;
}

export function listFolder(tree: VaultTree, path: string): ListedNode[] {
  return tree.children(tree.folderAt(path)).map((c) => {
    const item = c.kind === 'item' ? tree.itemOf(c) : undefined;
    return {
      name: tree.nameOf(c.node, c.share),
      kind: c.kind,
      type: c.kind === 'folder' ? 'folder' : (item?.type ?? ''),
      id: c.node.id,
      ...(item?.secret_id ? { secret_id: item.secret_id } : {}),
      ...(c.node.share_id ? { share_id: c.node.share_id } : {}),
      ...(typeof item?.description === 'string' ? { description: item.description } : {}),
    };
  });
}

export interface ReadEntry {
  located: Located;
  item: ItemNode;
  secret: SecretContent;
}

export async function readEntry(session: VaultSession, tree: VaultTree, entry: string): Promise<ReadEntry> {
  const located = tree.find(entry);
  const item = tree.itemOf(located);
  if (!item.secret_id || !item.secret_key) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${entry} holds no secret` });
  return { located, item, secret: await readSecret(session, item.secret_id, item.secret_key) };
}

function sameName(tree: VaultTree, place: FolderPlace, name: string): Located | undefined {
  return tree.children(place).find((c) => tree.nameOf(c.node, c.share) === name);
}

/** Makes the folders of `path` that do not exist yet (as `mkdir -p`); answers the place of the last one. */
export async function makeFolders(session: VaultSession, tree: VaultTree, path: string): Promise<{ place: FolderPlace; made: number }> {
  let place = tree.rootPlace();
  let made = 0;
  const dirty = new Set<Container>();
  for (const name of splitPath(path)) {
    const existing = sameName(tree, place, name);
    if (existing) {
      const inner = tree.placeOf(existing);
      if (!inner) throw new BlindvaultError('ENTRY_EXISTS', { what: `${existing.namePath.join('/')} is an entry` });
      place = inner;
      continue;
    }
    const folder = newFolder(randomUuid(), name);
    (place.folder.folders ??= []).push(folder);
    dirty.add(place.container);
    made++;
    place = { container: place.container, folder, idPath: [...place.idPath, folder.id], namePath: [...place.namePath, name] };
  }
  for (const container of dirty) await saveContainer(session, container);
  return { place, made };
}

export interface EntryChange {
  type?: WritableType;
  fields: Partial<Record<FieldName, string>>;
}

/** Creates the entry at `path` (its folders too), or changes the given fields of the one there. */
export async function writeEntry(session: VaultSession, tree: VaultTree, path: string, change: EntryChange, mustExist: boolean): Promise<{ created: boolean; secretId: string }> {
  const existing = tree.resolve(path) ?? (mustExist ? tree.find(path) : undefined);
  if (existing) {
    const item = tree.itemOf(existing);
    if (!item.secret_id || !item.secret_key) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${path} holds no secret` });
    const secret = applyFields(item.type, await readSecret(session, item.secret_id, item.secret_key), change.fields);
    await updateSecret(session, item.secret_id, item.secret_key, secret);
    const holder = tree.itemHolder(existing);
    const described = await describeItem(item, secret);
    if (existing.share) {
      const { id: _id, ...content } = described;
      holder.content = content;
    } else {
      Object.assign(existing.node, described);
      for (const key of ['description', 'urlfilter'] as const) if (!(key in described)) delete (existing.node as ItemNode)[key];
    }
    await saveContainer(session, holder);
    return { created: false, secretId: item.secret_id };
  }
  const segments = splitPath(path);
  const name = segments.pop();
  if (name === undefined) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: path });
  const type = change.type ?? (change.fields.url ? 'website_password' : 'application_password');
  const { place } = await makeFolders(session, tree, segments.join('/'));
  const secret = applyFields(type, { [`${type}_title`]: name }, change.fields);
  const linkId = randomUuid();
  const made = await createSecret(session, secret, linkId, parentOf(place.container));
  const node = await describeItem({ id: linkId, type, name, secret_id: made.secretId, secret_key: made.keyHex }, secret);
  (place.folder.items ??= []).push(node);
  await saveContainer(session, place.container);
  return { created: true, secretId: made.secretId };
}

function listOf(located: Located): Array<FolderNode | ItemNode> {
  const list = located.kind === 'folder' ? located.parent.folder.folders : located.parent.folder.items;
  if (!list) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: located.namePath.join('/') });
  return list;
}

function detach(located: Located): void {
  const list = listOf(located);
  const index = list.indexOf(located.node);
  if (index >= 0) list.splice(index, 1);
}

/** Links (secrets and shares) that live in the container of a node, under it. */
function linksUnder(located: Located): { secrets: string[]; shares: string[] } {
  if (isShareNode(located.node)) return { secrets: [], shares: [located.node.id] };
  if (located.kind === 'item') return { secrets: [located.node.id], shares: [] };
  const folder = located.node as FolderNode;
  return { secrets: itemsUnder(folder).map((i) => i.id), shares: sharesUnder(folder).map((s) => s.id) };
}

/** To the trash (`deleted: true`, as the web client), or, `permanent`, out of the tree with its links. */
export async function removeEntry(session: VaultSession, tree: VaultTree, entry: string, permanent: boolean): Promise<Located> {
  const located = tree.find(entry);
  const container = located.parent.container;
  if (!permanent) {
    located.node.deleted = true;
    await saveContainer(session, container);
    return located;
  }
  const links = linksUnder(located);
  detach(located);
  reindexShares(container.content);
  await saveContainer(session, container);
  for (const id of links.secrets) await deleteSecretLink(session, id);
  for (const id of links.shares) await deleteShareLink(session, id);
  return located;
}

/** Moves (and renames) a node: into DEST when it is a folder, else to DEST's parent under DEST's name. */
export async function moveEntry(session: VaultSession, tree: VaultTree, entry: string, dest: string): Promise<{ from: string; to: string }> {
  const located = tree.find(entry);
  const destNode = tree.resolve(dest);
  let place: FolderPlace;
  let name = tree.nameOf(located.node, located.share);
  if (destNode && destNode.kind === 'folder') place = tree.placeOf(destNode) as FolderPlace;
  else if (destNode) throw new BlindvaultError('ENTRY_EXISTS', { what: dest });
  else {
    const segments = splitPath(dest);
    name = segments.pop() ?? name;
    place = tree.folderAt(segments.join('/'));
  }
  if (sameName(tree, place, name)) throw new BlindvaultError('ENTRY_EXISTS', { what: `${[...place.namePath, name].join('/')}` });
  if (located.kind === 'folder' && place.container === located.parent.container && [...place.idPath].includes(located.node.id)) {
    throw new BlindvaultError('ENTRY_EXISTS', { what: 'a folder cannot move into itself' });
  }
  const from = located.parent.container;
  const to = place.container;
  if (from !== to) {
    const links = linksUnder(located);
    for (const id of links.secrets) await moveSecretLink(session, id, parentOf(to));
    for (const id of links.shares) await moveShareLink(session, id, parentOf(to));
  }
  detach(located);
  located.node.name = name;
  if (located.kind === 'folder') (place.folder.folders ??= []).push(located.node as FolderNode);
  else (place.folder.items ??= []).push(located.node as ItemNode);
  if (!isShareNode(located.node) && located.kind === 'item') {
    const item = located.node as ItemNode;
    if (item.secret_id && item.secret_key) {
      const secret = await readSecret(session, item.secret_id, item.secret_key);
      if (secret[`${item.type}_title`] !== name) await updateSecret(session, item.secret_id, item.secret_key, { ...secret, [`${item.type}_title`]: name });
    }
  }
  reindexShares(to.content);
  await saveContainer(session, to);
  if (from !== to) {
    reindexShares(from.content);
    await saveContainer(session, from);
  }
  return { from: located.namePath.join('/'), to: [...place.namePath, name].join('/') };
}

export interface HistoryVersion extends HistoryEntry {
  secret: SecretContent;
}

export async function entryHistory(session: VaultSession, tree: VaultTree, entry: string): Promise<{ item: ItemNode; versions: HistoryVersion[] }> {
  const item = tree.itemOf(tree.find(entry));
  if (!item.secret_id || !item.secret_key) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: entry });
  const versions: HistoryVersion[] = [];
  for (const h of await secretHistory(session, item.secret_id)) versions.push({ ...h, secret: await readHistoryEntry(session, h.id, item.secret_key) });
  return { item, versions };
}
