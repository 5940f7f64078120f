import { createId } from '../../../crypto/token.js';
import { BlindvaultError, PSONO_REFUSALS } from '../../../protocol/errors.js';
import type { parseGroupCreate, parseMembershipCreate, parseMembershipUpdate } from '../../../protocol/vault/groups.js';
import type { parseShareRightGrant, parseShareRightUpdate } from '../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { GroupShareRightRecord, MemberRecord, VaultGroupStore } from '../../../store/vault-group-store.js';
import type { VaultObjectStore } from '../../../store/vault-object-store.js';
import type { UserRecord, VaultStore } from '../../../store/vault-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import type { Policy } from '../auth/policy.js';

export interface GroupsServiceDeps {
  groups: VaultGroupStore;
  objects: VaultObjectStore;
  vault: VaultStore;
  policy: Policy;
  clock: () => Date;
}

const iso = (d: Date | null) => (d === null ? null : formatIsoTime(d));
const refuse = (key: keyof typeof PSONO_REFUSALS) => new BlindvaultError('VAULT_REFUSED', { text: PSONO_REFUSALS[key] });

type GrantRequest = ReturnType<typeof parseShareRightGrant>;
type RightUpdateRequest = ReturnType<typeof parseShareRightUpdate>;

/** Groups, memberships and the rights of groups on shares (docs/vault-protocol.md §3.10). */
export function createGroupsService({ groups, objects, vault, policy, clock }: GroupsServiceDeps) {
  const notFound = () => new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');

  async function userOf(id: string | null): Promise<UserRecord | undefined> {
    return id === null ? undefined : vault.findUserById(id);
  }

  /** The keys of a membership, for its own user once accepted. */
  function keysOf(m: MemberRecord) {
    return {
      secret_key: m.secretKey,
      secret_key_nonce: m.secretKeyNonce,
      secret_key_type: m.secretKeyType,
      private_key: m.privateKey,
      private_key_nonce: m.privateKeyNonce,
      private_key_type: m.privateKeyType,
    };
  }

  async function groupOf(m: MemberRecord) {
    const base = {
      group_id: m.groupId,
      name: m.group.name,
      public_key: m.group.publicKey,
      group_admin: m.groupAdmin,
      share_admin: m.shareAdmin,
      accepted: m.accepted,
      forced_membership: false,
    };
    if (m.accepted === true) return { ...base, ...keysOf(m) };
    const inviter = await userOf(m.creatorId);
    return { ...base, user_id: inviter?.id ?? '', user_username: inviter?.username ?? '' };
  }

  async function list(auth: AuthContext) {
    const now = clock();
    const out = [];
    for (const m of await groups.membershipsOfUser(auth.user.id)) {
      const entry = { membership_create_date: formatIsoTime(m.createdAt), membership_id: m.id, ...(await groupOf(m)) };
      // An invitation tells whether accepting it brings grant on every share of the group (Psono's share_right_grant).
      if (m.accepted === null) Object.assign(entry, { share_right_grant: (await groups.groupRightsOfGroup(m.groupId, now)).every((r) => r.grant) });
      out.push(entry);
    }
    return { groups: out };
  }

  async function read(auth: AuthContext, groupId: string) {
    const m = await groups.membershipOf(groupId, auth.user.id);
    const view = policy.groupView(m);
    if (!m || !view) throw new BlindvaultError('VAULT_OBJECT_UNKNOWN', { resourceId: groupId });
    const group = await groupOf(m);
    if (view !== 'member') return group;
    const members = (await groups.membersOf(groupId)).map((x) => ({
      id: x.userId,
      membership_create_date: formatIsoTime(x.createdAt),
      membership_id: x.id,
      name: x.username,
      public_key: x.publicKey,
      group_admin: x.groupAdmin,
      share_admin: x.shareAdmin,
      accepted: x.accepted,
    }));
    const rights = (await groups.groupRightsOfGroup(groupId, clock())).map((r) => ({
      id: r.id,
      create_date: formatIsoTime(r.createdAt),
      share_id: r.shareId,
      title: r.title,
      title_nonce: r.titleNonce,
      type: r.type,
      type_nonce: r.typeNonce,
      key: r.key,
      key_nonce: r.keyNonce,
      read: r.read,
      write: r.write,
      grant: r.grant,
      expiration_date: iso(r.expirationDate),
    }));
    return { ...group, members, group_share_rights: rights };
  }

  async function create(auth: AuthContext, request: ReturnType<typeof parseGroupCreate>) {
    const now = clock();
    const groupId = createId();
    await groups.createGroup(
      { id: groupId, name: request.name, publicKey: request.publicKey, createdAt: now, writeDate: now },
      {
        id: createId(),
        groupId,
        userId: auth.user.id,
        creatorId: auth.user.id,
        secretKey: request.secretKey,
        secretKeyNonce: request.secretKeyNonce,
        secretKeyType: 'symmetric',
        privateKey: request.privateKey,
        privateKeyNonce: request.privateKeyNonce,
        privateKeyType: 'symmetric',
        groupAdmin: true,
        shareAdmin: true,
        accepted: true,
        createdAt: now,
        writeDate: now,
      },
    );
    return {
      group_id: groupId,
      name: request.name,
      secret_key: request.secretKey,
      secret_key_nonce: request.secretKeyNonce,
      secret_key_type: 'symmetric',
      private_key: request.privateKey,
      private_key_nonce: request.privateKeyNonce,
      private_key_type: 'symmetric',
      public_key: request.publicKey,
      group_admin: true,
      share_admin: true,
      accepted: true,
    };
  }

  async function rename(auth: AuthContext, groupId: string, name: string) {
    if (!(await groups.renameGroupFor(auth.user.id, groupId, name, clock()))) throw notFound();
    return {};
  }

  async function remove(auth: AuthContext, groupId: string) {
    if (!(await groups.deleteGroupFor(auth.user.id, groupId))) throw notFound();
    return {};
  }

  /** The rights of every group of the caller, or of one group the caller is an accepted member of. */
  async function rights(auth: AuthContext, groupId?: string) {
    const now = clock();
    let found: GroupShareRightRecord[];
    if (groupId === undefined) found = await groups.groupRightsOfUser(auth.user.id, now);
    else if (await policy.acceptedMembership(auth.user.id, groupId)) found = await groups.groupRightsOfGroup(groupId, now);
    else throw notFound();
    return {
      group_rights: found.map((r) => ({ id: r.id, group_id: r.groupId, share_id: r.shareId, read: r.read, write: r.write, grant: r.grant, expiration_date: iso(r.expirationDate) })),
    };
  }

  async function invite(auth: AuthContext, request: ReturnType<typeof parseMembershipCreate>) {
    const now = clock();
    const membershipId = createId();
    const result = await groups.createMembershipFor(auth.user.id, {
      id: membershipId,
      groupId: request.groupId,
      userId: request.userId,
      creatorId: auth.user.id,
      secretKey: request.secretKey,
      secretKeyNonce: request.secretKeyNonce,
      secretKeyType: request.secretKeyType,
      privateKey: request.privateKey,
      privateKeyNonce: request.privateKeyNonce,
      privateKeyType: request.privateKeyType,
      groupAdmin: request.groupAdmin,
      shareAdmin: request.shareAdmin,
      accepted: null,
      createdAt: now,
      writeDate: now,
    });
    if (result === 'not_admin') throw new BlindvaultError('VAULT_FIELD_ERRORS', { fields: { group_id: ['NO_PERMISSION_OR_NOT_EXIST'] } });
    if (result === 'duplicate') throw refuse('alreadyMember');
    if (result === 'no_user') throw refuse('memberMissing');
    return { membership_id: membershipId };
  }

  async function updateMembership(auth: AuthContext, request: ReturnType<typeof parseMembershipUpdate>) {
    const flags = { groupAdmin: request.groupAdmin, shareAdmin: request.shareAdmin };
    if (!(await groups.updateMembershipFor(auth.user.id, request.membershipId, flags, clock()))) throw notFound();
    return {};
  }

  async function deleteMembership(auth: AuthContext, membershipId: string) {
    if (!(await groups.deleteMembershipFor(auth.user.id, membershipId))) throw notFound();
    return {};
  }

  /** Accepting hands back the member's keys and the group's shares, as the web client links them into its datastore. */
  async function accept(auth: AuthContext, membershipId: string) {
    const now = clock();
    const m = await groups.answerMembership(auth.user.id, membershipId, true, now);
    if (!m) throw refuse('membershipProcessed');
    const shares = [];
    for (const r of await groups.groupRightsOfGroup(m.groupId, now)) {
      const entry = {
        share_id: r.shareId,
        share_title: r.title,
        share_title_nonce: r.titleNonce,
        share_type: r.type,
        share_type_nonce: r.typeNonce,
        share_key: r.key,
        share_key_nonce: r.keyNonce,
      };
      const share = r.read ? await objects.getShare(r.shareId) : undefined;
      shares.push(share ? { ...entry, share_data: share.data, share_data_nonce: share.dataNonce } : entry);
    }
    return {
      shares,
      secret_key: m.secretKey,
      secret_key_nonce: m.secretKeyNonce,
      secret_key_type: m.secretKeyType,
      private_key: m.privateKey,
      private_key_nonce: m.privateKeyNonce,
      private_key_type: m.privateKeyType,
    };
  }

  async function decline(auth: AuthContext, membershipId: string) {
    if (!(await groups.answerMembership(auth.user.id, membershipId, false, clock()))) throw refuse('membershipProcessed');
    return {};
  }

  // --- Rights of groups on shares (PUT, POST, DELETE /share/right/ with a group) ----------------

  async function grantToGroup(auth: AuthContext, request: GrantRequest, groupId: string) {
    const now = clock();
    if (request.expirationDate && request.expirationDate <= now) throw new BlindvaultError('EXPIRATION_DATE_NEEDS_TO_BE_IN_THE_FUTURE');
    const allowed = await policy.mayShareWithGroup(auth.user.id, request.shareId, groupId, request);
    if (allowed === 'no_grant' || !(await objects.getShare(request.shareId))) throw notFound();
    if ((await groups.membersOf(groupId)).length === 0) throw refuse('targetGroupMissing');
    if (allowed === 'not_share_admin') throw refuse('notShareAdmin');
    const existing = await groups.findGroupShareRight(request.shareId, groupId);
    if (existing && (existing.expirationDate === null || existing.expirationDate > now)) throw refuse('groupRightExists');
    const right: GroupShareRightRecord = {
      id: createId(),
      shareId: request.shareId,
      groupId,
      creatorId: auth.user.id,
      title: request.title,
      titleNonce: request.titleNonce,
      type: request.type,
      typeNonce: request.typeNonce,
      key: request.key,
      keyNonce: request.keyNonce,
      read: request.read,
      write: request.write,
      grant: request.grant,
      expirationDate: request.expirationDate,
      createdAt: now,
      writeDate: now,
    };
    const result = await groups.putGroupShareRight(right, existing ? { replaceId: existing.id } : {});
    if (result === 'duplicate') throw refuse('groupRightExists');
    if (result === 'not_found') throw notFound();
    return { share_right_id: right.id };
  }

  async function updateGroupRight(auth: AuthContext, request: RightUpdateRequest, groupId: string) {
    const now = clock();
    if (request.expirationDate && request.expirationDate <= now) throw new BlindvaultError('EXPIRATION_DATE_NEEDS_TO_BE_IN_THE_FUTURE');
    const existing = await groups.findGroupShareRight(request.shareId, groupId);
    if (!existing || !(await policy.mayManageGroupRight(auth.user.id, existing, request))) throw notFound();
    await groups.updateGroupShareRight(
      existing.id,
      { read: request.read, write: request.write, grant: request.grant, ...(request.expirationDate !== undefined ? { expirationDate: request.expirationDate } : {}) },
      now,
    );
    return { share_right_id: existing.id };
  }

  async function deleteGroupRight(auth: AuthContext, rightId: string) {
    const existing = await groups.getGroupShareRight(rightId);
    if (!existing) throw notFound();
    if (!(await policy.mayDeleteGroupRight(auth.user.id, existing))) throw refuse('notShareAdmin');
    if (!(await groups.deleteGroupShareRight(rightId))) throw notFound();
    return {};
  }

  /** For GET /user/status/. */
  function pendingCount(userId: string): Promise<number> {
    return groups.countPendingMemberships(userId);
  }

  return {
    list,
    read,
    create,
    rename,
    remove,
    rights,
    invite,
    updateMembership,
    deleteMembership,
    accept,
    decline,
    grantToGroup,
    updateGroupRight,
    deleteGroupRight,
    pendingCount,
  };
}

export type GroupsService = ReturnType<typeof createGroupsService>;
