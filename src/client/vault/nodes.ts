// The nodes of a password datastore or share content, as the official web client writes them (spec §2.6, §2.7).
export interface ItemNode {
  /** The link id (`link_id` of PUT /secret/). */
  id: string;
  type: string;
  name: string;
  secret_id?: string;
  secret_key?: string;
  description?: string;
  urlfilter?: string;
  autosubmit?: boolean;
  allow_http?: boolean;
  password_hash?: string;
  tags?: string[];
  deleted?: boolean;
  /** Set when the item itself is a share (a share node in `items`). */
  share_id?: string;
  share_secret_key?: string;
  [other: string]: unknown;
}

export interface FolderNode {
  id: string;
  name: string;
  folders?: FolderNode[];
  items?: ItemNode[];
  deleted?: boolean;
  share_id?: string;
  share_secret_key?: string;
  share_index?: ShareIndex;
  [other: string]: unknown;
}

export type ShareIndex = Record<string, { paths: string[][]; secret_key: string }>;

/** A datastore's or a share's decrypted content: the root folder without id and name. */
export interface ContainerContent {
  datastore_id?: string;
  name?: string;
  folders?: FolderNode[];
  items?: ItemNode[];
  share_index?: ShareIndex;
  [other: string]: unknown;
}

export const isShareNode = (node: { share_id?: unknown }): boolean => typeof node.share_id === 'string';

export function newFolder(id: string, name: string): FolderNode {
  return { id, name, folders: [], items: [] };
}

/**
 * Rebuilds `share_index` from the share nodes found under `content` without entering them (only direct child
 * shares are indexed, §2.6), each with its path of node ids from the root down to the share node.
 */
export function reindexShares(content: ContainerContent): void {
  const index: ShareIndex = {};
  const walk = (folder: { folders?: FolderNode[]; items?: ItemNode[] }, path: string[]) => {
    for (const item of folder.items ?? []) {
      if (item.share_id && item.share_secret_key) (index[item.share_id] ??= { paths: [], secret_key: item.share_secret_key }).paths.push([...path, item.id]);
    }
    for (const sub of folder.folders ?? []) {
      if (sub.share_id && sub.share_secret_key) (index[sub.share_id] ??= { paths: [], secret_key: sub.share_secret_key }).paths.push([...path, sub.id]);
      else walk(sub, [...path, sub.id]);
    }
  };
  walk(content, []);
  if (Object.keys(index).length > 0) content.share_index = index;
  else delete content.share_index;
}

/** The items under a folder that are secrets of this container (not inside a share node). */
export function itemsUnder(folder: { folders?: FolderNode[]; items?: ItemNode[] }): ItemNode[] {
  const found: ItemNode[] = [];
  for (const item of folder.items ?? []) if (!isShareNode(item) && item.secret_id) found.push(item);
  for (const sub of folder.folders ?? []) if (!isShareNode(sub)) found.push(...itemsUnder(sub));
  return found;
}

export function sharesUnder(folder: { folders?: FolderNode[]; items?: ItemNode[] }): Array<FolderNode | ItemNode> {
  const found: Array<FolderNode | ItemNode> = [];
  for (const item of folder.items ?? []) if (isShareNode(item)) found.push(item);
  for (const sub of folder.folders ?? []) {
    if (isShareNode(sub)) found.push(sub);
    else found.push(...sharesUnder(sub));
  }
  return found;
}
