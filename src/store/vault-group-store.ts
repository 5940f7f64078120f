// Groups of the vault (docs/vault-protocol.md §3.10): groups, the memberships of users in them, and
// the rights of groups on shares. Keys are the wire's hex ciphertexts, stored as received: the group's
// secret and private keys reach each member encrypted for that member. What a caller may do is
// decided by the server's policy (docs/authorization.md); the `…For` methods carry the acting user
// into the statement that writes, so that "not an admin" and "no such object" are one answer.

export interface GroupRecord {
  id: string;
  name: string;
  publicKey: string;
  createdAt: Date;
  writeDate: Date;
}

export interface MembershipRecord {
  id: string;
  groupId: string;
  userId: string;
  /** Who invited the member (the creator for their own membership); null once that user is deleted. */
  creatorId: string | null;
  secretKey: string;
  secretKeyNonce: string;
  secretKeyType: 'symmetric' | 'asymmetric';
  privateKey: string;
  privateKeyNonce: string;
  privateKeyType: 'symmetric' | 'asymmetric';
  groupAdmin: boolean;
  shareAdmin: boolean;
  /** null: pending; false: declined. Only an accepted membership gives anything. */
  accepted: boolean | null;
  createdAt: Date;
  writeDate: Date;
}

/** A membership with its group, and the username and public key of its user. */
export interface MemberRecord extends MembershipRecord {
  group: GroupRecord;
  username: string;
  publicKey: string;
}

export interface GroupShareRightRecord {
  id: string;
  shareId: string;
  groupId: string;
  creatorId: string | null;
  title: string;
  titleNonce: string;
  type: string;
  typeNonce: string;
  key: string;
  keyNonce: string;
  read: boolean;
  write: boolean;
  grant: boolean;
  expirationDate: Date | null;
  createdAt: Date;
  writeDate: Date;
}

export type MembershipFlags = Pick<MembershipRecord, 'groupAdmin' | 'shareAdmin'>;

export interface VaultGroupStore {
  /** The group and its creator's membership (accepted, both admin flags), in one transaction. */
  createGroup(group: GroupRecord, creatorMembership: MembershipRecord): Promise<void>;
  /** Renames the group only if `adminId` is an accepted group admin of it (one statement). */
  renameGroupFor(adminId: string, groupId: string, name: string, now: Date): Promise<boolean>;
  /** Deletes the group (its memberships and share rights with it) only if `adminId` is an accepted group admin of it. */
  deleteGroupFor(adminId: string, groupId: string): Promise<boolean>;

  /** The user's memberships that are not declined, with their groups, oldest first. */
  membershipsOfUser(userId: string): Promise<MemberRecord[]>;
  /** The user's membership of the group, whatever its state. */
  membershipOf(groupId: string, userId: string): Promise<MemberRecord | undefined>;
  getMembership(id: string): Promise<MembershipRecord | undefined>;
  /** Every membership of the group, with its user, oldest first. */
  membersOf(groupId: string): Promise<MemberRecord[]>;
  /** How many invitations the user has not answered yet. */
  countPendingMemberships(userId: string): Promise<number>;
  /**
   * Inserts a pending membership, only if `adminId` holds an accepted group-admin membership of its
   * group (checked in the inserting transaction, the admin's row locked on PostgreSQL).
   */
  createMembershipFor(adminId: string, membership: MembershipRecord): Promise<'created' | 'not_admin' | 'duplicate' | 'no_user'>;
  /** Changes the admin flags of a membership, only if `adminId` is an accepted group admin of its group (one statement). */
  updateMembershipFor(adminId: string, membershipId: string, flags: MembershipFlags, now: Date): Promise<boolean>;
  /** Deletes a membership: its own user (leaving), or an accepted group admin of its group (one statement). */
  deleteMembershipFor(callerId: string, membershipId: string): Promise<boolean>;
  /**
   * Accepts or declines the user's own pending membership (one statement: id, user and pending
   * state in its condition, so that no one answers for another and accept and decline cannot both win).
   */
  answerMembership(userId: string, membershipId: string, accepted: boolean, now: Date): Promise<MembershipRecord | undefined>;

  /** Inserts a group's right on a share; with `replaceId`, that expired right of the same group goes in the same transaction. */
  putGroupShareRight(right: GroupShareRightRecord, options?: { replaceId?: string }): Promise<'created' | 'duplicate' | 'not_found'>;
  getGroupShareRight(id: string): Promise<GroupShareRightRecord | undefined>;
  findGroupShareRight(shareId: string, groupId: string): Promise<GroupShareRightRecord | undefined>;
  updateGroupShareRight(id: string, changes: Partial<Pick<GroupShareRightRecord, 'read' | 'write' | 'grant' | 'expirationDate'>>, now: Date): Promise<boolean>;
  deleteGroupShareRight(id: string): Promise<boolean>;
  /** The unexpired rights of groups on a share, with the group's name. */
  groupRightsOfShare(shareId: string, now: Date): Promise<Array<GroupShareRightRecord & { groupName: string }>>;
  /** The unexpired rights of one group. */
  groupRightsOfGroup(groupId: string, now: Date): Promise<GroupShareRightRecord[]>;
  /** The unexpired rights of every group the user is an accepted member of. */
  groupRightsOfUser(userId: string, now: Date): Promise<GroupShareRightRecord[]>;
}
