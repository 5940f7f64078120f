import type { ApiKeyStore } from '../../../store/api-key-store.js';
import type { Flags, LinkParent, VaultObjectStore } from '../../../store/vault-object-store.js';

const NONE: Flags = { read: false, write: false, grant: false };
// Rights are looked up this many shares at a time: a share hung under very many others must not
// become one unbounded query (PostgreSQL takes at most 65,535 parameters).
const BATCH = 500;
const or = (a: Flags, b: Flags): Flags => ({ read: a.read || b.read, write: a.write || b.write, grant: a.grant || b.grant });

export interface AccessDeps {
  objects: VaultObjectStore;
  apiKeys: ApiKeyStore;
  clock: () => Date;
}

/**
 * Authorization of the vault's objects, in one place (spec §3.6, §3.8.0). Every route asks here;
 * nothing else decides who may read or write what.
 */
export function createAccess({ objects, apiKeys, clock }: AccessDeps) {
  /**
   * Effective rights of a user on a share: the OR of the user's direct rights on it, if any (so an
   * all-false direct right removes inherited access); otherwise, along every chain of links upward,
   * the nearest ancestor share on which the user has a direct right, OR-ed over all chains.
   * Datastore links never give rights. Cycles cannot loop: every share is visited once.
   */
  async function shareRights(userId: string, shareId: string): Promise<Flags> {
    const now = clock();
    const direct = await objects.directRights(userId, [shareId], now);
    if (direct.length > 0) return direct.reduce<Flags>((acc, r) => or(acc, r), NONE);
    let result = NONE;
    const visited = new Set([shareId]);
    let frontier = [shareId];
    while (frontier.length > 0) {
      const parents = new Set<string>();
      for (const id of frontier) {
        for (const link of await objects.linksOfShare(id)) {
          if (link.parent.shareId && !visited.has(link.parent.shareId)) parents.add(link.parent.shareId);
        }
      }
      const ids = [...parents];
      ids.forEach((id) => visited.add(id));
      const rights = [];
      for (let i = 0; i < ids.length; i += BATCH) rights.push(...(await objects.directRights(userId, ids.slice(i, i + BATCH), now)));
      const withRight = new Set(rights.map((r) => r.shareId));
      for (const r of rights) result = or(result, r);
      frontier = ids.filter((id) => !withRight.has(id)); // a chain stops at its nearest right
    }
    return result;
  }

  async function ownsDatastore(userId: string, datastoreId: string): Promise<boolean> {
    return (await objects.getDatastore(datastoreId, userId)) !== undefined;
  }

  /** May the user hang something under (or take something from) this parent? */
  async function mayWriteParent(userId: string, parent: LinkParent): Promise<boolean> {
    if (parent.datastoreId !== undefined) return ownsDatastore(userId, parent.datastoreId);
    return (await shareRights(userId, parent.shareId)).write;
  }

  /** A secret is readable (writable) through any link: an owned datastore, or a share with read (write). */
  async function secretRights(userId: string, secretId: string): Promise<{ read: boolean; write: boolean }> {
    let read = false;
    let write = false;
    for (const link of await objects.linksOfSecret(secretId)) {
      if (link.parent.datastoreId !== undefined) {
        if (await ownsDatastore(userId, link.parent.datastoreId)) return { read: true, write: true };
      } else {
        const rights = await shareRights(userId, link.parent.shareId);
        read ||= rights.read;
        write ||= rights.write;
      }
    }
    return { read, write };
  }

  /** For a session of a restricted API key: is this secret one of the key's? */
  async function apiKeyHasSecret(apiKeyId: string, secretId: string): Promise<boolean> {
    return (await apiKeys.findApiKeySecret(apiKeyId, secretId)) !== undefined;
  }

  return { shareRights, ownsDatastore, mayWriteParent, secretRights, apiKeyHasSecret };
}

export type Access = ReturnType<typeof createAccess>;
