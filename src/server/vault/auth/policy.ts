import { BlindvaultError } from '../../../protocol/errors.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../../store/api-key-store.js';
import type { Flags, LinkParent, SecretCaller, ShareLinkRecord, ShareRightRecord, VaultObjectStore } from '../../../store/vault-object-store.js';
import type { SendParty } from '../../../store/send-store.js';
import type { GroupShareRightRecord, MembershipRecord } from '../../../store/vault-group-store.js';
import type { UserRecord } from '../../../store/vault-store.js';
import type { VaultRouteConfig } from '../routing.js';
import type { AuthContext } from './authenticator.js';

export interface PolicyDeps {
  objects: VaultObjectStore;
  apiKeys: ApiKeyStore;
  clock: () => Date;
}

const NONE: Flags = { read: false, write: false, grant: false };
const any = (f: Flags) => f.read || f.write || f.grant;
/** Does `holder` have every flag that `wanted` asks for? */
export const covers = (holder: Flags, wanted: Flags): boolean => (holder.read || !wanted.read) && (holder.write || !wanted.write) && (holder.grant || !wanted.grant);

/**
 * The vault's authorization, in one place: who may do what to which object (docs/authorization.md,
 * the table the authorization-matrix test is generated from). Services ask here and never decide
 * themselves. Effective rights on shares are resolved by the store inside one recursive statement;
 * the secret reads and writes carry the caller (`secretCaller`) into the statement that does them.
 */
export function createPolicy({ objects, apiKeys, clock }: PolicyDeps) {
  /** A user's effective rights on a share (direct, or inherited along share links). */
  function shareRights(userId: string, shareId: string): Promise<Flags> {
    return objects.shareRightsFor(userId, shareId, clock());
  }

  async function ownsDatastore(userId: string, datastoreId: string): Promise<boolean> {
    return (await objects.getDatastore(datastoreId, userId)) !== undefined;
  }

  /** May the user hang something under (or take something from) this parent? Write on it. */
  async function mayWriteParent(userId: string, parent: LinkParent): Promise<boolean> {
    if (parent.datastoreId !== undefined) return ownsDatastore(userId, parent.datastoreId);
    return (await shareRights(userId, parent.shareId)).write;
  }

  /** Who reads or writes a secret, as the store's statement checks it: a restricted key only its own secrets. */
  function secretCaller(auth: AuthContext): SecretCaller {
    return auth.apiKey?.restrictToSecrets ? { userId: auth.user.id, apiKeyId: auth.apiKey.id } : { userId: auth.user.id };
  }

  /**
   * The answer to a secret read or write that the store refused: a restricted API key outside its
   * own secrets is refused like a route it may not use (spec §1.5); anything else is "no permission
   * or does not exist". Only chooses the error; the decision was the statement's.
   */
  async function secretRefusal(auth: AuthContext, secretId: string): Promise<BlindvaultError> {
    if (auth.apiKey?.restrictToSecrets && (await apiKeys.findApiKeySecret(auth.apiKey.id, secretId)) === undefined) {
      return new BlindvaultError('VAULT_PERMISSION_DENIED');
    }
    return new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
  }

  /** A secret's rights for the user: owned datastore (read, write) or the shares it hangs in. */
  function secretRights(userId: string, secretId: string): Promise<{ read: boolean; write: boolean }> {
    return objects.secretRightsFor(userId, secretId, clock());
  }

  /** A secret link moves with write on the old and on the new parent (spec §3.6). */
  async function mayMoveSecretLink(userId: string, from: LinkParent, to: LinkParent): Promise<boolean> {
    return (await mayWriteParent(userId, from)) && (await mayWriteParent(userId, to));
  }

  /**
   * Hanging share S under a parent: under an own datastore with read or grant on S; under a share
   * with write on it and grant on S (spec §3.7). Rights then flow along the link capped by the
   * caller's own direct right on S (the store records the caller as the link's creator).
   */
  async function mayCreateShareLink(userId: string, shareId: string, parent: LinkParent): Promise<boolean> {
    const rights = await shareRights(userId, shareId);
    if (parent.datastoreId !== undefined) return (rights.read || rights.grant) && (await ownsDatastore(userId, parent.datastoreId));
    return rights.grant && (await mayWriteParent(userId, parent));
  }

  /** Moving a share link: grant on the share, write on the old and the new parent. The mover becomes its creator. */
  async function mayMoveShareLink(userId: string, link: ShareLinkRecord, to: LinkParent): Promise<boolean> {
    return (await shareRights(userId, link.shareId)).grant && (await mayWriteParent(userId, link.parent)) && (await mayWriteParent(userId, to));
  }

  /** The creator's direct rights on the linked share (user right and group rights): what the link can pass on. */
  async function creatorRight(link: ShareLinkRecord, now: Date): Promise<Flags> {
    if (link.creatorId === null) return NONE;
    return objects.directRightsFor(link.creatorId, link.shareId, now);
  }

  /**
   * Removing a share link: whoever may write its parent; and (issue 8 item 1) a holder of grant on
   * the linked share who holds every flag the link's creator holds on it, so the owner can remove
   * any link that points at the share, but no one removes a peer's link with more rights.
   */
  async function mayDeleteShareLink(userId: string, link: ShareLinkRecord): Promise<boolean> {
    if (await mayWriteParent(userId, link.parent)) return true;
    const mine = await shareRights(userId, link.shareId);
    return mine.grant && covers(mine, await creatorRight(link, clock()));
  }

  /** The links that point at a share, and who reaches it by inheritance, are shown to holders of grant on it. */
  async function mayListShareLinks(userId: string, shareId: string): Promise<boolean> {
    return (await shareRights(userId, shareId)).grant;
  }

  /** A right on a share is given by a holder of grant, never to oneself, never with more than one holds. */
  function mayGrant(granterId: string, targetId: string, mine: Flags, wanted: Flags): boolean {
    return mine.grant && granterId !== targetId && covers(mine, wanted);
  }

  /**
   * Is a new direct right accepted at once? Only when the target already reaches the share by
   * inheritance and the new right takes nothing away from that (issue 8 item 2): a right with fewer
   * flags than what one inherits would replace them, so it waits, pending, for the target to accept
   * or decline it.
   */
  function grantIsAccepted(inherited: Flags, wanted: Flags): boolean {
    return any(inherited) && covers(wanted, inherited);
  }

  /**
   * Changing or removing someone's right: grant, every flag the right gives (no one demotes a peer
   * with more rights), never one's own right nor the right of the share's creator; an expired right
   * is left to expire.
   */
  async function mayManageRight(userId: string, right: ShareRightRecord, wanted?: Flags): Promise<boolean> {
    const now = clock();
    if (right.expirationDate !== null && right.expirationDate <= now) return false;
    if (right.userId === userId) return false;
    const share = await objects.getShare(right.shareId);
    if (!share || share.userId === right.userId) return false;
    const mine = await shareRights(userId, right.shareId);
    return mine.grant && covers(mine, right) && (wanted === undefined || covers(mine, wanted));
  }

  /** Deleting a right: a manager of it, or its holder when someone else gave it (issue 8 item 2). */
  async function mayDeleteRight(userId: string, right: ShareRightRecord): Promise<boolean> {
    if (right.userId === userId && right.creatorId !== userId) return true;
    return mayManageRight(userId, right);
  }

  /** Only its holder accepts or declines a right, while it is pending and unexpired. */
  function mayAnswerRight(userId: string, right: ShareRightRecord): boolean {
    return right.userId === userId && right.accepted === null && (right.expirationDate === null || right.expirationDate > clock());
  }

  /** A right is shown to its holder and to the user who gave it, until it expires. */
  function mayReadRight(userId: string, right: ShareRightRecord): boolean {
    const now = clock();
    return (right.userId === userId || right.creatorId === userId) && (right.expirationDate === null || right.expirationDate > now);
  }

  // --- Groups (docs/authorization.md, "Groups") ---------------------------------------------------

  /** The user's membership of a group, only when accepted: the one state that gives anything. */
  async function acceptedMembership(userId: string, groupId: string): Promise<MembershipRecord | undefined> {
    const m = await objects.groups.membershipOf(groupId, userId);
    return m?.accepted === true ? m : undefined;
  }

  /**
   * Giving a group a right on a share: what `mayGrant` asks of a user's right (grant, and every flag
   * given), and an accepted share-admin membership of the group (BV: Psono lets a pending one share,
   * and a granter give more than it holds). The answer says which is missing, for Psono's two errors.
   */
  async function mayShareWithGroup(userId: string, shareId: string, groupId: string, wanted: Flags): Promise<'yes' | 'no_grant' | 'not_share_admin'> {
    const mine = await shareRights(userId, shareId);
    if (!mine.grant || !covers(mine, wanted)) return 'no_grant';
    return (await acceptedMembership(userId, groupId))?.shareAdmin === true ? 'yes' : 'not_share_admin';
  }

  /** Changing a group's right: as a user's right, grant and every flag it gives and is given; an expired right is left to expire. */
  async function mayManageGroupRight(userId: string, right: GroupShareRightRecord, wanted?: Flags): Promise<boolean> {
    if (right.expirationDate !== null && right.expirationDate <= clock()) return false;
    const mine = await shareRights(userId, right.shareId);
    return mine.grant && covers(mine, right) && (wanted === undefined || covers(mine, wanted));
  }

  /** Removing a group's right: an accepted share admin of the group (Psono), or a manager of the right (BV: so the share's owner revokes it). */
  async function mayDeleteGroupRight(userId: string, right: GroupShareRightRecord): Promise<boolean> {
    if ((await acceptedMembership(userId, right.groupId))?.shareAdmin === true) return true;
    return mayManageGroupRight(userId, right);
  }

  /**
   * What of a group its user's membership shows: an accepted member sees its keys, members and
   * rights; an invited one the group and who invited them; a declined one nothing.
   */
  function groupView(membership: MembershipRecord | undefined): 'member' | 'invited' | undefined {
    if (membership?.accepted === true) return 'member';
    if (membership?.accepted === null) return 'invited';
    return undefined;
  }

  return {
    acceptedMembership,
    mayShareWithGroup,
    mayManageGroupRight,
    mayDeleteGroupRight,
    groupView,
    shareRights,
    ownsDatastore,
    mayWriteParent,
    secretCaller,
    secretRefusal,
    secretRights,
    mayMoveSecretLink,
    mayCreateShareLink,
    mayMoveShareLink,
    mayDeleteShareLink,
    mayListShareLinks,
    mayGrant,
    grantIsAccepted,
    mayManageRight,
    mayDeleteRight,
    mayReadRight,
    mayAnswerRight,
  };
}

/** Logging out: a password session ends itself or another session of its user; an API-key session ends itself only (spec §1.5). */
export function mayEndSession(auth: AuthContext, sessionId: string | undefined): boolean {
  return !auth.apiKey || sessionId === undefined || sessionId === auth.session.id;
}

/**
 * API keys are managed by their owner alone (from password sessions: `sessionMayUse`). Datastores
 * are their owner's too; that check is the store's query itself (`getDatastore(id, ownerId)`).
 */
export function ownsApiKey(userId: string, key: ApiKeyRecord): boolean {
  return key.userId === userId;
}

/**
 * May an API key act (log in, or reach its secrets without a session)? Only an active key of an
 * active, verified owner, and for session-less access only with the flag the action needs; the
 * owner's rights on the secret are then checked by the store's read or write.
 */
export function apiKeyMayAct(key: ApiKeyRecord, owner: UserRecord | undefined, need?: 'read' | 'write'): owner is UserRecord {
  return key.active && owner !== undefined && owner.isActive && owner.isEmailActive && (need === undefined || key[need]);
}

export type Policy = ReturnType<typeof createPolicy>;

/**
 * Who may change a group and its memberships (docs/authorization.md, "Groups"). The group store puts
 * the rule in the statement that writes (`…For(callerId, …)`: an accepted group-admin membership of the
 * caller in the group, or the membership's own user), so a caller without it changes nothing and gets
 * the answer of an object that does not exist. A share admin is not a group admin: it shares with the
 * group and removes the group's rights, never changes members.
 */
export const GROUP_RULES = {
  rename: 'group admin',
  delete: 'group admin',
  invite: 'group admin',
  changeAdminFlags: 'group admin',
  removeMember: 'group admin or the member',
  answerInvitation: 'the invited user',
} as const;

/**
 * The session-level rules of a route (spec §1.5), checked once the caller is authenticated: the
 * session's read/write flag, and what API-key sessions may use ('deny': none; by default
 * unrestricted keys only; 'restricted': restricted keys too, their secrets checked by the query).
 */
export function sessionMayUse(auth: AuthContext, route: VaultRouteConfig): boolean {
  if ((route.flag === 'read' || route.flag === 'read+write') && !auth.session.read) return false;
  if ((route.flag === 'write' || route.flag === 'read+write') && !auth.session.write) return false;
  if (auth.apiKey && (route.apiKey === 'deny' || (auth.apiKey.restrictToSecrets && route.apiKey !== 'restricted'))) return false;
  return true;
}

/**
 * Files sent between vault users (docs/send.md): which party of a send may do what. The send store puts the party
 * in the statement that reads or writes (`sends.recipient_id = caller` or `sends.sender_id = caller`), so a third
 * user's request finds nothing. API-key sessions never reach these routes (their config is apiKey: 'deny').
 */
export const SEND_RULES = {
  inbox: 'recipient',
  sent: 'sender',
  read: 'recipient',
  content: 'recipient',
  revoke: 'sender',
} as const satisfies Record<string, SendParty>;

/**
 * Recovery and emergency codes (vault-protocol.md §3.13–3.14) belong to their user alone: the user is part of every
 * statement that lists, replaces, arms or deletes one (`user_id = caller`), so another user's code is "no such code".
 * API-key sessions never reach their management routes (apiKey: 'deny'). The anonymous steps name the user and
 * prove the code (its authkey) and then the user's private key (the box to the verifier): nothing else opens them.
 */
export function codeOwnerOf(auth: AuthContext): string {
  return auth.user.id;
}

/**
 * Second factors (vault-protocol.md §3.15) belong to their user alone, like the codes above: the user is part of every
 * statement on a factor (`user_id = caller`), and their routes refuse API-key sessions (config apiKey: 'deny'). A
 * login's factor is solved only by its own session while that session is not yet activated.
 */
export function maySolveSecondFactor(auth: AuthContext): boolean {
  return !auth.session.active && auth.session.apiKeyId === null;
}

/**
 * Link shares (vault-protocol.md §3.16, docs/authorization.md "Link shares"): made by a user with an effective read
 * right on the entry, resolved inside the statement that inserts the link share; managed by their creator alone (the
 * creator is part of every statement); opened by anyone with the link share's id (and passphrase) only while the
 * statement that counts the read down finds it unexpired, with reads left, and its creator active and still able to
 * read the entry. API-key sessions never reach the management routes (apiKey: 'deny').
 */
export const LINK_SHARE_RULES = {
  create: 'read on the entry',
  list: 'creator',
  read: 'creator',
  update: 'creator',
  delete: 'creator',
  open: 'the link, unexpired, reads left, the creator still reads the entry',
} as const;

export function linkShareCreatorOf(auth: AuthContext): string {
  return auth.user.id;
}
