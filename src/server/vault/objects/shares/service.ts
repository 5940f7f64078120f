import { createId } from '../../../../crypto/token.js';
import { BlindvaultError, PSONO_REFUSALS } from '../../../../protocol/errors.js';
import type {
  Parent,
  parseShareCreate,
  parseShareLinkCreate,
  parseShareRightAccept,
  parseShareRightGrant,
  parseShareRightUpdate,
  parseShareUpdate,
} from '../../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../../protocol/vault/sessions.js';
import type { ShareRightRecord, VaultObjectStore } from '../../../../store/vault-object-store.js';
import type { UserRecord, VaultStore } from '../../../../store/vault-store.js';
import type { Policy } from '../../auth/policy.js';
import type { AuthContext } from '../../auth/authenticator.js';

export interface SharesServiceDeps {
  objects: VaultObjectStore;
  vault: VaultStore;
  policy: Policy;
  clock: () => Date;
}

const iso = (d: Date | null) => (d === null ? null : formatIsoTime(d));

/** Shares, their links and the users' rights on them (spec §3.7, §3.8). */
export function createSharesService({ objects, vault, policy, clock }: SharesServiceDeps) {
  const refuse = (key: keyof typeof PSONO_REFUSALS) => new BlindvaultError('VAULT_REFUSED', { text: PSONO_REFUSALS[key] });

  async function users(ids: Array<string | null>): Promise<Map<string, UserRecord>> {
    const found = new Map<string, UserRecord>();
    for (const id of new Set(ids.filter((i): i is string => i !== null))) {
      const user = await vault.findUserById(id);
      if (user) found.set(id, user);
    }
    return found;
  }

  /** Link results of the store, as the spec words them. */
  function linkFailure(reason: string, linkId: string): BlindvaultError {
    if (reason === 'cycle') return new BlindvaultError('SHARE_LINK_WOULD_CREATE_CYCLE');
    if (reason === 'duplicate_link') return new BlindvaultError('VAULT_LINK_EXISTS', { resourceId: linkId });
    return new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
  }

  async function list(auth: AuthContext) {
    const rights = await objects.rightsOfUser(auth.user.id, clock());
    const creators = await users(rights.map((r) => r.creatorId));
    const shares = rights
      // A pending right of a deleted creator is invisible (spec §3.7).
      .filter((r) => r.accepted === true || (r.creatorId !== null && creators.has(r.creatorId)))
      .map((r) => {
        const creator = r.creatorId === null ? undefined : creators.get(r.creatorId);
        return {
          id: r.shareId,
          share_right_id: r.id,
          share_right_user_id: r.userId,
          share_right_create_date: formatIsoTime(r.createdAt),
          share_right_write_date: formatIsoTime(r.writeDate),
          share_right_title: r.title,
          share_right_title_nonce: r.titleNonce,
          share_right_type: r.type,
          share_right_type_nonce: r.typeNonce,
          share_right_key: r.key,
          share_right_key_nonce: r.keyNonce,
          share_right_key_type: 'symmetric',
          share_right_read: r.read,
          share_right_write: r.write,
          share_right_grant: r.grant,
          share_right_accepted: r.accepted,
          share_right_expiration_date: iso(r.expirationDate),
          share_right_create_user_id: creator?.id ?? '',
          share_right_create_user_username: creator?.username ?? '',
          share_right_create_user_public_key: creator?.publicKey ?? '',
        };
      });
    return { shares };
  }

  async function read(auth: AuthContext, shareId: string) {
    const found = await objects.readShareFor(auth.user.id, shareId, clock());
    if (!found) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const { share, rights } = found;
    return { id: share.id, data: share.data, data_nonce: share.dataNonce, user_id: share.userId, rights, write_date: formatIsoTime(share.writeDate) };
  }

  async function create(auth: AuthContext, request: ReturnType<typeof parseShareCreate>) {
    if (!(await policy.mayWriteParent(auth.user.id, request.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const now = clock();
    const shareId = createId();
    const ownRight: ShareRightRecord = {
      id: createId(),
      shareId,
      userId: auth.user.id,
      creatorId: auth.user.id,
      title: '',
      titleNonce: '',
      type: '',
      typeNonce: '',
      key: request.key,
      keyNonce: request.keyNonce,
      keyType: request.keyType,
      read: true,
      write: true,
      grant: true,
      accepted: true,
      expirationDate: null,
      createdAt: now,
      writeDate: now,
    };
    const result = await objects.createShare(
      { id: shareId, userId: auth.user.id, data: request.data, dataNonce: request.dataNonce, createdAt: now, writeDate: now },
      ownRight,
      { linkId: request.linkId, parent: request.parent },
    );
    if (!result.ok) throw new BlindvaultError(result.reason === 'not_found' ? 'NO_PERMISSION_OR_NOT_EXIST' : 'VAULT_DUPLICATE_LINK_ID');
    return { share_id: shareId };
  }

  async function update(auth: AuthContext, request: ReturnType<typeof parseShareUpdate>) {
    // Write on the share, checked by the statement that locks it.
    const result = await objects.updateShareFor(auth.user.id, request.shareId, request.changes, { ...(request.oldWriteDate ? { oldWriteDate: request.oldWriteDate } : {}), now: clock() });
    if (!result.ok) throw new BlindvaultError(result.reason === 'write_date_mismatch' ? 'WRITE_DATE_MISMATCH' : 'NO_PERMISSION_OR_NOT_EXIST');
    return { success: 'Data updated.', write_date: formatIsoTime(result.value) };
  }

  async function createLink(auth: AuthContext, request: ReturnType<typeof parseShareLinkCreate>) {
    if (!(await policy.mayCreateShareLink(auth.user.id, request.shareId, request.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    // The store checks for loops and writes in one step, so two links at once cannot close one.
    const result = await objects.createShareLink({ linkId: request.linkId, shareId: request.shareId, parent: request.parent, creatorId: auth.user.id });
    if (!result.ok) throw linkFailure(result.reason, request.linkId);
    return {};
  }

  /** Share links only: a secret link with the same id is another link (issue 8 item 12). */
  async function moveLink(auth: AuthContext, linkId: string, parent: Parent) {
    const link = await objects.getShareLink(linkId);
    if (!link || !(await policy.mayMoveShareLink(auth.user.id, link, parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const result = await objects.moveShareLink(linkId, parent, auth.user.id);
    if (!result.ok) throw linkFailure(result.reason, linkId);
    return {};
  }

  async function deleteLink(auth: AuthContext, linkId: string) {
    const link = await objects.getShareLink(linkId);
    if (!link || !(await policy.mayDeleteShareLink(auth.user.id, link))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    if (!(await objects.deleteShareLink(linkId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function rightsOfShare(auth: AuthContext, shareId: string) {
    const own = await policy.shareRights(auth.user.id, shareId);
    if (!own.read && !own.write && !own.grant) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const now = clock();
    const all = await objects.rightsOfShare(shareId, now);
    const creators = await users(all.map((r) => r.creatorId));
    // The same exclusions as GET /share/: a pending right of a deleted creator is invisible.
    const rights = all.filter((r) => r.accepted === true || (r.creatorId !== null && creators.has(r.creatorId)));
    const holders = await users(rights.map((r) => r.userId));
    return {
      id: shareId,
      own_share_rights: own,
      user_share_rights: rights.map((r) => ({
        id: r.id,
        create_date: formatIsoTime(r.createdAt),
        write_date: formatIsoTime(r.writeDate),
        accepted: r.accepted,
        read: r.read,
        write: r.write,
        grant: r.grant,
        user_id: r.userId,
        share_id: r.shareId,
        username: holders.get(r.userId)?.username ?? '',
        expiration_date: iso(r.expirationDate),
      })),
      group_share_rights: (await objects.groups.groupRightsOfShare(shareId, now)).map((r) => ({
        id: r.id,
        create_date: formatIsoTime(r.createdAt),
        write_date: formatIsoTime(r.writeDate),
        accepted: true,
        read: r.read,
        write: r.write,
        grant: r.grant,
        group_id: r.groupId,
        share_id: r.shareId,
        group_name: r.groupName,
        expiration_date: iso(r.expirationDate),
      })),
      ...(await inheritance(auth, shareId, now)),
    };
  }

  /**
   * BV (issue 8 item 1): for holders of grant, who reaches the share through a parent share and
   * every link that hangs it somewhere, so that its owner sees and can remove what passes rights on.
   * Both stay empty for the others: the members of every ancestor share are not a reader's to see.
   */
  async function inheritance(auth: AuthContext, shareId: string, now: Date) {
    const mayGrant = await policy.mayListShareLinks(auth.user.id, shareId);
    const inherited = mayGrant ? await objects.inheritedRightsOf(shareId, now) : [];
    const links = mayGrant ? await objects.shareLinksOf(shareId) : [];
    const names = await users([...inherited.map((r) => r.userId), ...links.map((l) => l.creatorId)]);
    return {
      inherited_share_rights: inherited.map((r) => ({ user_id: r.userId, username: names.get(r.userId)?.username ?? '', read: r.read, write: r.write, grant: r.grant })),
      share_links: links.map((l) => ({
        link_id: l.linkId,
        parent_share_id: l.parent.shareId ?? null,
        parent_datastore_id: l.parent.datastoreId ?? null,
        creator_user_id: l.creatorId,
        creator_username: l.creatorId === null ? '' : (names.get(l.creatorId)?.username ?? ''),
      })),
    };
  }

  /** The caller's direct rights: accepted user rights and the rights of their groups, OR-ed per share (spec §3.8). */
  async function myRights(auth: AuthContext) {
    const now = clock();
    const merged = new Map<string, { share_id: string; read: boolean; write: boolean; grant: boolean }>();
    const own = (await objects.rightsOfUser(auth.user.id, now)).filter((r) => r.accepted === true);
    for (const r of [...own, ...(await objects.groups.groupRightsOfUser(auth.user.id, now))]) {
      const seen = merged.get(r.shareId);
      if (seen) Object.assign(seen, { read: seen.read || r.read, write: seen.write || r.write, grant: seen.grant || r.grant });
      else merged.set(r.shareId, { share_id: r.shareId, read: r.read, write: r.write, grant: r.grant });
    }
    return { share_rights: [...merged.values()] };
  }

  async function readRight(auth: AuthContext, rightId: string) {
    const r = await objects.getShareRight(rightId);
    if (!r || !policy.mayReadRight(auth.user.id, r)) throw new BlindvaultError('VAULT_OBJECT_FORBIDDEN', { resourceId: rightId });
    return {
      id: r.id,
      title: r.title,
      title_nonce: r.titleNonce,
      key: r.key,
      key_nonce: r.keyNonce,
      read: r.read,
      write: r.write,
      grant: r.grant,
      share_id: r.shareId,
      expiration_date: iso(r.expirationDate),
    };
  }

  /**
   * Gives another user a right, boxed to that user's public key by the caller (spec §3.8, §2.4).
   * BV: never to oneself, and never more than the caller holds (Psono lets a granter raise its own
   * rights and lock out the creator).
   */
  async function grant(auth: AuthContext, request: ReturnType<typeof parseShareRightGrant>, userId: string) {
    const now = clock();
    if (request.expirationDate && request.expirationDate <= now) throw new BlindvaultError('EXPIRATION_DATE_NEEDS_TO_BE_IN_THE_FUTURE');
    const mine = await policy.shareRights(auth.user.id, request.shareId);
    if (!policy.mayGrant(auth.user.id, userId, mine, request) || !(await objects.getShare(request.shareId))) {
      throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    }
    const target = await vault.findUserById(userId);
    if (!target) throw refuse('targetUserMissing');
    const existing = await objects.findShareRight(request.shareId, target.id);
    let replaceId: string | undefined;
    if (existing) {
      const expired = existing.expirationDate !== null && existing.expirationDate <= now;
      const orphaned = existing.accepted === null && (existing.creatorId === null || !(await vault.findUserById(existing.creatorId)));
      if (!expired && !orphaned) throw refuse('rightExists');
      replaceId = existing.id;
    }
    // A user who already reaches the share through an ancestor accepts nothing new (spec §3.8),
    // unless the new right would take flags away from what they inherit (issue 8 item 2).
    const inherited = await policy.shareRights(target.id, request.shareId);
    const right: ShareRightRecord = {
      id: createId(),
      shareId: request.shareId,
      userId: target.id,
      creatorId: auth.user.id,
      title: request.title,
      titleNonce: request.titleNonce,
      type: request.type,
      typeNonce: request.typeNonce,
      key: request.key,
      keyNonce: request.keyNonce,
      keyType: 'asymmetric',
      read: request.read,
      write: request.write,
      grant: request.grant,
      accepted: policy.grantIsAccepted(inherited, request) ? true : null,
      expirationDate: request.expirationDate,
      createdAt: now,
      writeDate: now,
    };
    const result = await objects.putShareRight(right, replaceId !== undefined ? { replaceId } : {});
    if (!result.ok) throw result.reason === 'duplicate' ? refuse('rightExists') : new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return { share_right_id: right.id };
  }

  async function updateRight(auth: AuthContext, request: ReturnType<typeof parseShareRightUpdate>, userId: string) {
    const now = clock();
    if (request.expirationDate && request.expirationDate <= now) throw new BlindvaultError('EXPIRATION_DATE_NEEDS_TO_BE_IN_THE_FUTURE');
    const existing = await objects.findShareRight(request.shareId, userId);
    if (!existing || !(await policy.mayManageRight(auth.user.id, existing, request))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    await objects.updateShareRight(
      existing.id,
      { read: request.read, write: request.write, grant: request.grant, ...(request.expirationDate !== undefined ? { expirationDate: request.expirationDate } : {}) },
      now,
    );
    return { share_right_id: existing.id };
  }

  async function deleteRight(auth: AuthContext, rightId: string) {
    const existing = await objects.getShareRight(rightId);
    if (!existing || !(await policy.mayDeleteRight(auth.user.id, existing))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    await objects.deleteShareRight(rightId);
    return {};
  }

  async function pendingRightOf(auth: AuthContext, rightId: string) {
    const r = await objects.getShareRight(rightId);
    return r && policy.mayAnswerRight(auth.user.id, r) ? r : undefined;
  }

  async function accept(auth: AuthContext, request: ReturnType<typeof parseShareRightAccept>) {
    const r = await pendingRightOf(auth, request.rightId);
    if (!r) throw refuse('cannotAccept');
    const accepted = await objects.updateShareRight(
      r.id,
      {
        accepted: true,
        type: '',
        typeNonce: '',
        keyType: request.keyType,
        ...(request.key !== undefined && request.keyNonce !== undefined ? { key: request.key, keyNonce: request.keyNonce } : {}),
      },
      clock(),
      { onlyIfPending: true },
    );
    // Declined (or accepted) by a request that ran at the same time.
    if (!accepted) throw refuse('cannotAccept');
    if (!r.read) return { share_id: r.shareId, share_type: r.type, share_type_nonce: r.typeNonce };
    const share = await objects.getShare(r.shareId);
    return {
      share_id: r.shareId,
      share_data: share?.data ?? '',
      share_data_nonce: share?.dataNonce ?? '',
      share_type: r.type,
      share_type_nonce: r.typeNonce,
    };
  }

  async function decline(auth: AuthContext, rightId: string) {
    const r = await pendingRightOf(auth, rightId);
    if (!r) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const declined = await objects.updateShareRight(
      r.id,
      { accepted: false, title: '', titleNonce: '', type: '', typeNonce: '', key: '', keyNonce: '', keyType: '' },
      clock(),
      { onlyIfPending: true },
    );
    if (!declined) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  return { list, read, create, update, createLink, moveLink, deleteLink, rightsOfShare, myRights, readRight, grant, updateRight, deleteRight, accept, decline };
}

export type SharesService = ReturnType<typeof createSharesService>;
