// The whole password tree of a user: the default datastore and every share it reaches (recursively), so that
// a path such as "Work/Team/Build server" or an id resolves to the node, its list and the container to write.
import { BlindvaultError } from '../../protocol/errors.js';
import type { VaultSession } from '../vault-session.js';
import { isShareNode, type ContainerContent, type FolderNode, type ItemNode } from './nodes.js';
import { openPasswordDatastore, readShare, type Container, type OpenDatastore, type OpenShare } from './objects.js';

/** A place that holds folders and items: a container's root, or a folder inside it. */
export interface FolderPlace {
  container: Container;
  folder: ContainerContent | FolderNode;
  /** Node ids from the container's root down to this folder. */
  idPath: string[];
  /** Names from the vault's root down to this folder. */
  namePath: string[];
}

export interface Located {
  kind: 'folder' | 'item';
  /** Where the node is listed. */
  parent: FolderPlace;
  node: FolderNode | ItemNode;
  /** For a share node: the share it points to (its content is the folder, or the item without its id). */
  share?: OpenShare;
  namePath: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function splitPath(path: string): string[] {
  return path.split('/').map((s) => s.trim()).filter((s) => s !== '');
}

export class VaultTree {
  private constructor(
    readonly root: OpenDatastore,
    readonly shares: Map<string, OpenShare>,
  ) {}

  static async load(session: VaultSession, create: boolean): Promise<VaultTree> {
    const root = (await openPasswordDatastore(session, create)) ?? { kind: 'datastore' as const, id: '', keyHex: '', content: { folders: [], items: [] } };
    const shares = new Map<string, OpenShare>();
    const visit = async (content: ContainerContent) => {
      for (const [shareId, entry] of Object.entries(content.share_index ?? {})) {
        if (shares.has(shareId) || typeof entry?.secret_key !== 'string') continue;
        try {
          const share = await readShare(session, shareId, entry.secret_key);
          shares.set(shareId, share);
          await visit(share.content);
        } catch (error) {
          // A share without read right (or gone) is listed but cannot be opened, as in the web client.
          if (!(error instanceof BlindvaultError)) throw error;
        }
      }
    };
    await visit(root.content);
    return new VaultTree(root, shares);
  }

  rootPlace(): FolderPlace {
    return { container: this.root, folder: this.root.content, idPath: [], namePath: [] };
  }

  /** The place inside a folder node (a share node opens its share). */
  placeOf(located: Located): FolderPlace | undefined {
    if (located.kind !== 'folder') return undefined;
    if (located.share) return { container: located.share, folder: located.share.content, idPath: [], namePath: located.namePath };
    return { container: located.parent.container, folder: located.node as FolderNode, idPath: [...located.parent.idPath, located.node.id], namePath: located.namePath };
  }

  private locate(parent: FolderPlace, node: FolderNode | ItemNode, kind: 'folder' | 'item'): Located {
    const share = isShareNode(node) ? this.shares.get(node.share_id as string) : undefined;
    return { kind, parent, node, ...(share ? { share } : {}), namePath: [...parent.namePath, this.nameOf(node, share)] };
  }

  nameOf(node: FolderNode | ItemNode, share?: OpenShare): string {
    return node.name || (typeof share?.content.name === 'string' ? share.content.name : '') || node.id;
  }

  /** The live (not trashed) children of a place. */
  children(place: FolderPlace): Located[] {
    const out: Located[] = [];
    for (const f of place.folder.folders ?? []) if (!f.deleted) out.push(this.locate(place, f, 'folder'));
    for (const i of place.folder.items ?? []) if (!i.deleted) out.push(this.locate(place, i, 'item'));
    return out;
  }

  /** Resolves a path of names (or node ids) from the root; undefined when a segment is missing. */
  resolve(path: string): Located | undefined {
    const segments = splitPath(path);
    if (segments.length === 0) return undefined;
    let place = this.rootPlace();
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string;
      const last = i === segments.length - 1;
      const matches = this.children(place).filter((c) => (last || c.kind === 'folder') && (c.node.id === segment || this.nameOf(c.node, c.share) === segment || (c.node.secret_id !== undefined && c.node.secret_id === segment)));
      if (matches.length > 1) throw new BlindvaultError('ENTRY_AMBIGUOUS', { what: segments.slice(0, i + 1).join('/') });
      const found = matches[0];
      if (!found) return undefined;
      if (last) return found;
      const next = this.placeOf(found);
      if (!next) return undefined;
      place = next;
    }
    return undefined;
  }

  /** Every node of the tree, depth first. */
  walk(place: FolderPlace = this.rootPlace()): Located[] {
    const out: Located[] = [];
    for (const child of this.children(place)) {
      out.push(child);
      const inner = this.placeOf(child);
      if (inner) out.push(...this.walk(inner));
    }
    return out;
  }

  /** A path, or an id of a node or secret anywhere in the tree. */
  find(entry: string): Located {
    const byPath = this.resolve(entry);
    if (byPath) return byPath;
    if (UUID.test(entry)) {
      const id = entry.toLowerCase();
      const hits = this.walk().filter((l) => l.node.id === id || l.node.secret_id === id || l.node.share_id === id);
      if (hits[0]) return hits[0];
    }
    throw new BlindvaultError('ENTRY_NOT_FOUND', { what: entry });
  }

  /** The folder place at `path` ("" or "/" is the root). */
  folderAt(path: string): FolderPlace {
    if (splitPath(path).length === 0) return this.rootPlace();
    const found = this.find(path);
    const place = this.placeOf(found);
    if (!place) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${path} (not a folder)` });
    return place;
  }

  /** An item's own fields: a share node of an item reads them from its share. */
  itemOf(located: Located): ItemNode {
    if (located.kind !== 'item') throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${located.namePath.join('/')} is a folder` });
    if (located.share) return { ...(located.share.content as ItemNode), id: located.node.id };
    return located.node as ItemNode;
  }

  /** The container that holds an item's own node (an item share holds it as its content). */
  itemHolder(located: Located): Container {
    return located.share ?? located.parent.container;
  }
}
