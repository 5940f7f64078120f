// Sharing between users (spec §2.4, §3.7–3.8, §6 "Sharing an entry with another user"): a node becomes a share
// (its content under a fresh share key, its secrets' links moved under the share), and the share key is boxed
// to the recipient's public key; the recipient lists, accepts (re-sealing the key under their USK and linking
// the share into their datastore) or declines.
import { randomUuid } from '../../crypto/uuid.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { VaultSession } from '../vault-session.js';
import { isHexKey, vaultCall } from './connection.js';
import { boxText, sealText, unboxText } from './crypto-json.js';
import { isShareNode, itemsUnder, reindexShares, sharesUnder, type FolderNode, type ItemNode } from './nodes.js';
import { createShare, createShareLink, moveSecretLink, moveShareLink, parentOf, saveContainer, userSecretKey, type Rights } from './objects.js';
import type { FolderPlace, Located, VaultTree } from './tree.js';

export interface VaultUser {
  id: string;
  username: string;
  publicKey: string;
}

/** POST /user/search/ for an exact username; USER_NOT_FOUND when the server knows none. */
export async function findUser(session: VaultSession, username: string): Promise<VaultUser> {
  let body: unknown;
  try {
    body = await vaultCall(session, 'POST', '/user/search/', { user_username: username.trim().toLowerCase() });
  } catch (error) {
    if (error instanceof BlindvaultError && error.code === 'NO_PERMISSION_OR_NOT_EXIST') throw new BlindvaultError('USER_NOT_FOUND', { what: username });
    throw error;
  }
  const matches = (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>;
  const exact = matches.find((m) => m?.username === username.trim().toLowerCase());
  if (!exact) throw new BlindvaultError('USER_NOT_FOUND', { what: username });
  const publicKey = String(exact.public_key ?? '').toLowerCase();
  if (typeof exact.id !== 'string' || !isHexKey(publicKey)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'user search' });
  return { id: exact.id, username: exact.username as string, publicKey };
}

export type RightsLevel = 'read' | 'write' | 'grant';

export const rightsOf = (level: RightsLevel): Rights => ({ read: true, write: level !== 'read', grant: level === 'grant' });

/** Turns a node into a share as the web client does, unless it is one; answers the share id and key. */
async function ensureShare(session: VaultSession, tree: VaultTree, located: Located): Promise<{ shareId: string; keyHex: string; type: string; name: string }> {
  const name = tree.nameOf(located.node, located.share);
  if (isShareNode(located.node)) {
    const type = located.kind === 'folder' ? 'folder' : tree.itemOf(located).type;
    return { shareId: located.node.share_id as string, keyHex: located.node.share_secret_key as string, type, name };
  }
  const container = located.parent.container;
  const { id: nodeId, ...content } = located.node;
  // The web client reuses an item's id (its secret's link id) as the share's link id; this server keeps one
  // table of link ids and refuses the reuse (DuplicateLinkID), so an item's share gets a link id of its own.
  const linkId = located.kind === 'item' ? randomUuid() : nodeId;
  const share = await createShare(session, content, linkId, parentOf(container));
  if (located.kind === 'item') await moveSecretLink(session, nodeId, { shareId: share.shareId });
  else {
    const folder = located.node as FolderNode;
    for (const item of itemsUnder(folder)) await moveSecretLink(session, item.id, { shareId: share.shareId });
    for (const inner of sharesUnder(folder)) await moveShareLink(session, inner.id, { shareId: share.shareId });
    if (sharesUnder(folder).length > 0) {
      // The nested shares are now indexed in the new share's content (paths from its root).
      reindexShares(content);
      await saveContainer(session, { kind: 'share', id: share.shareId, keyHex: share.keyHex, content, rights: { read: true, write: true, grant: true } });
    }
  }
  const node: FolderNode | ItemNode = { id: linkId, name, share_id: share.shareId, share_secret_key: share.keyHex } as FolderNode;
  const list = (located.kind === 'folder' ? located.parent.folder.folders : located.parent.folder.items) as Array<FolderNode | ItemNode>;
  list[list.indexOf(located.node)] = node;
  reindexShares(container.content);
  await saveContainer(session, container);
  return { shareId: share.shareId, keyHex: share.keyHex, type: located.kind === 'folder' ? 'folder' : (located.node as ItemNode).type, name };
}

/** Shares a node with a user whose public key the caller has checked; answers the share id. */
export async function shareWith(session: VaultSession, tree: VaultTree, located: Located, recipient: VaultUser, level: RightsLevel): Promise<string> {
  const share = await ensureShare(session, tree, located);
  const mine = session.userPrivateKey.reveal();
  const key = boxText(mine, recipient.publicKey, share.keyHex);
  const title = boxText(mine, recipient.publicKey, share.name);
  const type = boxText(mine, recipient.publicKey, share.type);
  await vaultCall(session, 'PUT', '/share/right/', {
    share_id: share.shareId,
    user_id: recipient.id,
    key: key.text,
    key_nonce: key.nonce,
    title: title.text,
    title_nonce: title.nonce,
    type: type.text,
    type_nonce: type.nonce,
    ...rightsOf(level),
  });
  return share.shareId;
}

export interface PendingShare {
  rightId: string;
  shareId: string;
  title: string;
  type: string;
  from: VaultUser;
  rights: Rights;
  /** The share key, opened with the sender's public key as the server names it (check it before trusting). */
  keyHex: string;
}

/** The caller's share rights not yet accepted or declined (GET /share/), opened with each sender's key. */
export async function pendingShares(session: VaultSession): Promise<PendingShare[]> {
  const list = ((await vaultCall(session, 'GET', '/share/')) as { shares?: unknown }).shares;
  if (!Array.isArray(list)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'shares' });
  const mine = session.userPrivateKey.reveal();
  const out: PendingShare[] = [];
  for (const raw of list as Array<Record<string, unknown>>) {
    if (raw.share_right_accepted !== null) continue;
    const fromKey = String(raw.share_right_create_user_public_key ?? '').toLowerCase();
    if (!isHexKey(fromKey)) continue;
    const open = (field: string) => unboxText(fromKey, mine, raw[field], raw[`${field}_nonce`], field);
    const keyHex = open('share_right_key');
    if (!isHexKey(keyHex)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'share key' });
    out.push({
      rightId: String(raw.share_right_id),
      shareId: String(raw.id),
      title: open('share_right_title'),
      type: open('share_right_type'),
      from: { id: String(raw.share_right_create_user_id), username: String(raw.share_right_create_user_username), publicKey: fromKey },
      rights: { read: raw.share_right_read === true, write: raw.share_right_write === true, grant: raw.share_right_grant === true },
      keyHex,
    });
  }
  return out;
}

/** Accepts a pending share and links it into `place` (a folder node or an item node, by its type). */
export async function acceptShare(session: VaultSession, pending: PendingShare, place: FolderPlace): Promise<string> {
  const sealed = sealText(userSecretKey(session), pending.keyHex);
  await vaultCall(session, 'POST', '/share/right/accept/', { share_right_id: pending.rightId, key: sealed.text, key_nonce: sealed.nonce, key_type: 'symmetric' });
  const linkId = randomUuid();
  await createShareLink(session, linkId, pending.shareId, parentOf(place.container));
  const node = { id: linkId, name: pending.title, share_id: pending.shareId, share_secret_key: pending.keyHex };
  if (pending.type === 'folder') (place.folder.folders ??= []).push(node);
  else (place.folder.items ??= []).push(node as ItemNode);
  reindexShares(place.container.content);
  await saveContainer(session, place.container);
  return linkId;
}

export async function declineShare(session: VaultSession, rightId: string): Promise<void> {
  await vaultCall(session, 'POST', '/share/right/decline/', { share_right_id: rightId });
}
