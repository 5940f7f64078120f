import { sql, type Kysely, type Selectable } from 'kysely';
import type { GroupRecord, GroupShareRightRecord, MemberRecord, MembershipFlags, MembershipRecord, VaultGroupStore } from '../vault-group-store.js';
import type { Database, GroupMembershipsTable, GroupShareRightsTable, GroupsTable } from './schema.js';
import { isForeignKeyViolation, isUniqueViolation, type SqlDatabase } from './sql-database.js';

const flag = (value: boolean) => (value ? 1 : 0);
const date = (value: number | string) => new Date(Number(value));
const unexpiredAt = (nowMs: number) => sql<boolean>`(gr.expiration_date is null or gr.expiration_date > ${nowMs})`;

/** The vault's groups over the shared SQL connection (SQLite or PostgreSQL). */
export class SqlVaultGroupStore implements VaultGroupStore {
  readonly #db: Kysely<Database>;
  readonly #lock: boolean;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
    this.#lock = database.backend === 'postgres';
  }

  async createGroup(group: GroupRecord, creatorMembership: MembershipRecord): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('groups')
        .values({ id: group.id, name: group.name, public_key: group.publicKey, created_at: group.createdAt.getTime(), write_date: group.writeDate.getTime() })
        .execute();
      await tx.insertInto('group_memberships').values(membershipColumns(creatorMembership)).execute();
    });
  }

  async renameGroupFor(adminId: string, groupId: string, name: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('groups')
      .set({ name, write_date: now.getTime() })
      .where('id', '=', groupId)
      .where((eb) => eb.exists(this.#adminOf(adminId, eb.ref('groups.id'))))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async deleteGroupFor(adminId: string, groupId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('groups')
      .where('id', '=', groupId)
      .where((eb) => eb.exists(this.#adminOf(adminId, eb.ref('groups.id'))))
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  /** An accepted group-admin membership of `userId` in the group `groupRef` (for an EXISTS). */
  #adminOf(userId: string, groupRef: unknown) {
    return this.#db
      .selectFrom('group_memberships as a')
      .select('a.id')
      .where('a.group_id', '=', groupRef as never)
      .where('a.user_id', '=', userId)
      .where(sql<boolean>`a.group_admin`)
      .where(sql<boolean>`a.accepted`);
  }

  #members() {
    return this.#db
      .selectFrom('group_memberships as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .selectAll('m')
      .select(['g.name as group_name', 'g.public_key as group_public_key', 'g.created_at as group_created_at', 'g.write_date as group_write_date', 'u.username as username', 'u.public_key as user_public_key']);
  }

  async membershipsOfUser(userId: string): Promise<MemberRecord[]> {
    const rows = await this.#members()
      .where('m.user_id', '=', userId)
      .where((eb) => eb.or([eb('m.accepted', 'is', null), sql<boolean>`m.accepted`]))
      .orderBy('m.created_at')
      .orderBy('m.id')
      .execute();
    return rows.map(toMember);
  }

  async membershipOf(groupId: string, userId: string): Promise<MemberRecord | undefined> {
    const row = await this.#members().where('m.group_id', '=', groupId).where('m.user_id', '=', userId).executeTakeFirst();
    return row && toMember(row);
  }

  async getMembership(id: string): Promise<MembershipRecord | undefined> {
    const row = await this.#db.selectFrom('group_memberships').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toMembership(row);
  }

  async membersOf(groupId: string): Promise<MemberRecord[]> {
    const rows = await this.#members().where('m.group_id', '=', groupId).orderBy('m.created_at').orderBy('m.id').execute();
    return rows.map(toMember);
  }

  async countPendingMemberships(userId: string): Promise<number> {
    const row = await this.#db.selectFrom('group_memberships').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).where('accepted', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async createMembershipFor(adminId: string, membership: MembershipRecord): Promise<'created' | 'not_admin' | 'duplicate' | 'no_user'> {
    try {
      return await this.#db.transaction().execute(async (tx) => {
        // The admin's own row, locked (PostgreSQL) so that a demotion or removal waits for this invitation.
        const admin = await tx
          .selectFrom('group_memberships')
          .select('id')
          .where('group_id', '=', membership.groupId)
          .where('user_id', '=', adminId)
          .where(sql<boolean>`group_admin`)
          .where(sql<boolean>`accepted`)
          .$if(this.#lock, (qb) => qb.forShare())
          .executeTakeFirst();
        if (!admin) return 'not_admin';
        const existing = await tx.selectFrom('group_memberships').select('id').where('group_id', '=', membership.groupId).where('user_id', '=', membership.userId).executeTakeFirst();
        if (existing) return 'duplicate';
        const user = await tx.selectFrom('users').select('id').where('id', '=', membership.userId).executeTakeFirst();
        if (!user) return 'no_user';
        await tx.insertInto('group_memberships').values(membershipColumns(membership)).execute();
        return 'created';
      });
    } catch (error) {
      if (isUniqueViolation(error)) return 'duplicate';
      if (isForeignKeyViolation(error)) return 'no_user';
      throw error;
    }
  }

  async updateMembershipFor(adminId: string, membershipId: string, flags: MembershipFlags, now: Date): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      update group_memberships set group_admin = ${flag(flags.groupAdmin)}, share_admin = ${flag(flags.shareAdmin)}, write_date = ${now.getTime()}
      where id = ${membershipId}
        and group_id in (select a.group_id from group_memberships a where a.user_id = ${adminId} and a.group_admin and a.accepted)
      returning id`.execute(this.#db);
    return rows.length === 1;
  }

  async deleteMembershipFor(callerId: string, membershipId: string): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      delete from group_memberships
      where id = ${membershipId}
        and (user_id = ${callerId}
          or group_id in (select a.group_id from group_memberships a where a.user_id = ${callerId} and a.group_admin and a.accepted))
      returning id`.execute(this.#db);
    return rows.length === 1;
  }

  async answerMembership(userId: string, membershipId: string, accepted: boolean, now: Date): Promise<MembershipRecord | undefined> {
    const row = await this.#db
      .updateTable('group_memberships')
      .set({ accepted: flag(accepted), write_date: now.getTime() })
      .where('id', '=', membershipId)
      .where('user_id', '=', userId)
      .where('accepted', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toMembership(row);
  }

  async putGroupShareRight(right: GroupShareRightRecord, options: { replaceId?: string } = {}): Promise<'created' | 'duplicate' | 'not_found'> {
    try {
      await this.#db.transaction().execute(async (tx) => {
        if (options.replaceId !== undefined) await tx.deleteFrom('group_share_rights').where('id', '=', options.replaceId).execute();
        await tx.insertInto('group_share_rights').values(groupRightColumns(right)).execute();
      });
      return 'created';
    } catch (error) {
      if (isUniqueViolation(error)) return 'duplicate';
      if (isForeignKeyViolation(error)) return 'not_found';
      throw error;
    }
  }

  async getGroupShareRight(id: string): Promise<GroupShareRightRecord | undefined> {
    const row = await this.#db.selectFrom('group_share_rights').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toGroupRight(row);
  }

  async findGroupShareRight(shareId: string, groupId: string): Promise<GroupShareRightRecord | undefined> {
    const row = await this.#db.selectFrom('group_share_rights').selectAll().where('share_id', '=', shareId).where('group_id', '=', groupId).executeTakeFirst();
    return row && toGroupRight(row);
  }

  async updateGroupShareRight(id: string, changes: Partial<Pick<GroupShareRightRecord, 'read' | 'write' | 'grant' | 'expirationDate'>>, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('group_share_rights')
      .set({
        write_date: now.getTime(),
        ...(changes.read !== undefined ? { read: flag(changes.read) } : {}),
        ...(changes.write !== undefined ? { write: flag(changes.write) } : {}),
        ...(changes.grant !== undefined ? { grant: flag(changes.grant) } : {}),
        ...(changes.expirationDate !== undefined ? { expiration_date: changes.expirationDate === null ? null : changes.expirationDate.getTime() } : {}),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async deleteGroupShareRight(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('group_share_rights').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async groupRightsOfShare(shareId: string, now: Date): Promise<Array<GroupShareRightRecord & { groupName: string }>> {
    const rows = await this.#db
      .selectFrom('group_share_rights as gr')
      .innerJoin('groups as g', 'g.id', 'gr.group_id')
      .selectAll('gr')
      .select('g.name as group_name')
      .where('gr.share_id', '=', shareId)
      .where(unexpiredAt(now.getTime()))
      .orderBy('gr.created_at')
      .orderBy('gr.id')
      .execute();
    return rows.map((row) => ({ ...toGroupRight(row), groupName: row.group_name }));
  }

  async groupRightsOfGroup(groupId: string, now: Date): Promise<GroupShareRightRecord[]> {
    const rows = await this.#db
      .selectFrom('group_share_rights as gr')
      .selectAll('gr')
      .where('gr.group_id', '=', groupId)
      .where(unexpiredAt(now.getTime()))
      .orderBy('gr.created_at')
      .orderBy('gr.id')
      .execute();
    return rows.map(toGroupRight);
  }

  async groupRightsOfUser(userId: string, now: Date): Promise<GroupShareRightRecord[]> {
    const rows = await this.#db
      .selectFrom('group_share_rights as gr')
      .innerJoin('group_memberships as m', 'm.group_id', 'gr.group_id')
      .selectAll('gr')
      .where('m.user_id', '=', userId)
      .where(sql<boolean>`m.accepted`)
      .where(unexpiredAt(now.getTime()))
      .orderBy('gr.created_at')
      .orderBy('gr.id')
      .execute();
    return rows.map(toGroupRight);
  }
}

function membershipColumns(m: MembershipRecord) {
  return {
    id: m.id,
    group_id: m.groupId,
    user_id: m.userId,
    creator_id: m.creatorId,
    secret_key: m.secretKey,
    secret_key_nonce: m.secretKeyNonce,
    secret_key_type: m.secretKeyType,
    private_key: m.privateKey,
    private_key_nonce: m.privateKeyNonce,
    private_key_type: m.privateKeyType,
    group_admin: flag(m.groupAdmin),
    share_admin: flag(m.shareAdmin),
    accepted: m.accepted === null ? null : flag(m.accepted),
    created_at: m.createdAt.getTime(),
    write_date: m.writeDate.getTime(),
  };
}

function groupRightColumns(r: GroupShareRightRecord) {
  return {
    id: r.id,
    share_id: r.shareId,
    group_id: r.groupId,
    creator_id: r.creatorId,
    title: r.title,
    title_nonce: r.titleNonce,
    type: r.type,
    type_nonce: r.typeNonce,
    key: r.key,
    key_nonce: r.keyNonce,
    read: flag(r.read),
    write: flag(r.write),
    grant: flag(r.grant),
    expiration_date: r.expirationDate === null ? null : r.expirationDate.getTime(),
    created_at: r.createdAt.getTime(),
    write_date: r.writeDate.getTime(),
  };
}

const keyType = (value: string): 'symmetric' | 'asymmetric' => (value === 'symmetric' ? 'symmetric' : 'asymmetric');

function toMembership(row: Selectable<GroupMembershipsTable>): MembershipRecord {
  return {
    id: row.id,
    groupId: row.group_id,
    userId: row.user_id,
    creatorId: row.creator_id,
    secretKey: row.secret_key,
    secretKeyNonce: row.secret_key_nonce,
    secretKeyType: keyType(row.secret_key_type),
    privateKey: row.private_key,
    privateKeyNonce: row.private_key_nonce,
    privateKeyType: keyType(row.private_key_type),
    groupAdmin: Boolean(row.group_admin),
    shareAdmin: Boolean(row.share_admin),
    accepted: row.accepted === null ? null : Boolean(row.accepted),
    createdAt: date(row.created_at),
    writeDate: date(row.write_date),
  };
}

type MemberRow = Selectable<GroupMembershipsTable> & {
  group_name: Selectable<GroupsTable>['name'];
  group_public_key: string;
  group_created_at: number | string;
  group_write_date: number | string;
  username: string;
  user_public_key: string;
};

function toMember(row: MemberRow): MemberRecord {
  return {
    ...toMembership(row),
    group: { id: row.group_id, name: row.group_name, publicKey: row.group_public_key, createdAt: date(row.group_created_at), writeDate: date(row.group_write_date) },
    username: row.username,
    publicKey: row.user_public_key,
  };
}

function toGroupRight(row: Selectable<GroupShareRightsTable>): GroupShareRightRecord {
  return {
    id: row.id,
    shareId: row.share_id,
    groupId: row.group_id,
    creatorId: row.creator_id,
    title: row.title,
    titleNonce: row.title_nonce,
    type: row.type,
    typeNonce: row.type_nonce,
    key: row.key,
    keyNonce: row.key_nonce,
    read: Boolean(row.read),
    write: Boolean(row.write),
    grant: Boolean(row.grant),
    expirationDate: row.expiration_date === null ? null : date(row.expiration_date),
    createdAt: date(row.created_at),
    writeDate: date(row.write_date),
  };
}
