import { sql, type RawBuilder } from 'kysely';

// Effective rights on shares, resolved inside the statement that needs them (docs/authorization.md,
// "Inheritance"). One recursive walk, the same text on SQLite and PostgreSQL:
//
//  - a user's direct rights on a share (their accepted, unexpired user right, and the unexpired
//    rights of the groups they are an accepted member of, migration 0011) are their right on it,
//    OR-ed, and end the walk there (so an all-false direct right removes what they would inherit);
//  - otherwise the walk climbs every share link whose parent is a share; crossing a link keeps only
//    the flags that the link's creator holds *directly* (user or group rights, as above) on the
//    child, so a link never passes on more than its creator holds, and revoking the creator (or
//    removing them from the group) cuts it;
//  - the rights are those of the nearest direct right on every chain, each AND-ed with the caps of
//    its links, OR-ed over all chains. Datastore links give no rights.
//
// UNION (not UNION ALL) keeps the walk finite even over a cycle: a row is (user, share, 3 flags).
// The booleans are compared as truth values and produced as 0/1 integers, which both dialects read.

const unexpired = (alias: string, nowMs: number) => sql`(${sql.ref(`${alias}.expiration_date`)} is null or ${sql.ref(`${alias}.expiration_date`)} > ${nowMs})`;

/**
 * Every direct right as rows (user_id, share_id, "read", "write", "grant"), inlined as a derived table
 * so that each use is planned with its join keys: accepted, unexpired user rights, and the unexpired
 * group rights of every accepted member of the group. A pending or declined membership gives nothing;
 * deleting a membership ends what it gave in the next statement.
 */
export function directRights(nowMs: number): RawBuilder<unknown> {
  return sql`(select ur.user_id, ur.share_id, ur."read", ur."write", ur."grant" from user_share_rights ur where ur.accepted and ${unexpired('ur', nowMs)}
    union all
    select gm.user_id, gr.share_id, gr."read", gr."write", gr."grant" from group_share_rights gr
    join group_memberships gm on gm.group_id = gr.group_id and gm.accepted
    where ${unexpired('gr', nowMs)})`;
}

/** A user id or share id parameter, typed like the columns it meets in the recursive walk. */
export const idParam = (value: string) => sql`cast(${value} as varchar(36))`;

/**
 * The CTEs `walk(user_id, share_id, r, w, g)` and `reach(user_id, share_id, r, w, g)`: every direct
 * right met by the walk, with the caps of the path to it. `start` is a select of (user_id, share_id)
 * pairs where the walk begins; its caps are all set.
 */
export function rightsCtes(start: RawBuilder<unknown>, nowMs: number, options: { origin?: boolean } = {}): RawBuilder<unknown> {
  // With `origin`, every row also carries the share its walk began at (a column `origin` of `start`),
  // so that one statement can resolve the rights on many shares at once (the bulk secret read).
  const o = options.origin ? (alias: string) => sql`${sql.ref(`${alias}.origin`)}, ` : () => sql``;
  const oc = options.origin ? sql`origin, ` : sql``;
  return sql`walk(${oc}user_id, share_id, r, w, g) as (
      select ${o('s')}s.user_id, s.share_id, 1, 1, 1 from (${start}) s
      union
      select ${o('walk')}walk.user_id, l.parent_share_id,
        case when walk.r = 1 and c."read" then 1 else 0 end,
        case when walk.w = 1 and c."write" then 1 else 0 end,
        case when walk.g = 1 and c."grant" then 1 else 0 end
      from walk
      join share_links l on l.share_id = walk.share_id and l.parent_share_id is not null
      join ${directRights(nowMs)} c on c.share_id = l.share_id and c.user_id = l.creator_id
      where not exists (select 1 from ${directRights(nowMs)} d where d.share_id = walk.share_id and d.user_id = walk.user_id)
        and ((walk.r = 1 and c."read") or (walk.w = 1 and c."write") or (walk.g = 1 and c."grant"))
    ),
    reach(${oc}user_id, share_id, r, w, g) as (
      select ${o('walk')}walk.user_id, walk.share_id,
        case when walk.r = 1 and d."read" then 1 else 0 end,
        case when walk.w = 1 and d."write" then 1 else 0 end,
        case when walk.g = 1 and d."grant" then 1 else 0 end
      from walk
      join ${directRights(nowMs)} d on d.share_id = walk.share_id and d.user_id = walk.user_id
    )`;
}

/** The walk of one user from the shares a secret hangs under. */
export function secretStart(userId: string, secretId: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select ${idParam(userId)} as user_id, sl.parent_share_id as share_id from secret_links sl where sl.secret_id = ${secretId} and sl.parent_share_id is not null`;
}

/**
 * True (as a SQL condition) when the user, through the CTEs of `rightsCtes(secretStart(...))`, has
 * `flag` on the secret: they own a datastore it hangs in, or reach a share it hangs in with that flag.
 */
export function secretAllowed(userId: string, secretId: RawBuilder<unknown>, flag: 'r' | 'w'): RawBuilder<unknown> {
  return sql`(exists (select 1 from secret_links sl join datastores ds on ds.id = sl.parent_datastore_id where sl.secret_id = ${secretId} and ds.user_id = ${userId})
    or exists (select 1 from reach where ${sql.ref(`reach.${flag}`)} = 1))`;
}

/** A restricted API key reaches only the secrets attached to it (as a SQL condition). */
export function apiKeyAllows(apiKeyId: string | undefined, secretId: RawBuilder<unknown>): RawBuilder<unknown> {
  if (apiKeyId === undefined) return sql`1 = 1`;
  return sql`exists (select 1 from api_key_secrets ks where ks.api_key_id = ${apiKeyId} and ks.secret_id = ${secretId})`;
}

/**
 * The ids of a batch as rows `batch(id)`, from one JSON array parameter: one statement and one bound
 * value whatever the size of the batch (SQLite's json_each, PostgreSQL's jsonb_array_elements_text).
 */
export function batchIds(ids: readonly string[], backend: 'sqlite' | 'postgres'): RawBuilder<unknown> {
  const json = JSON.stringify(ids);
  return backend === 'postgres'
    ? sql`batch(id) as (select cast(value as varchar(36)) from jsonb_array_elements_text(cast(${json} as jsonb)) as t(value))`
    : sql`batch(id) as (select cast(value as varchar(36)) from json_each(${json}))`;
}

/** The walk of one user from every share that a secret of the batch hangs under, each walk tagged with its share. */
export function batchSecretStart(userId: string): RawBuilder<unknown> {
  return sql`select distinct sl.parent_share_id as origin, ${idParam(userId)} as user_id, sl.parent_share_id as share_id
    from secret_links sl join batch on batch.id = sl.secret_id where sl.parent_share_id is not null`;
}

/**
 * True (as a SQL condition on the row `secretRef` of a secret) when the user, through the CTEs of
 * `rightsCtes(batchSecretStart(...), now, { origin: true })`, may read it: they own a datastore it
 * hangs in, or reach with read a share it hangs in.
 */
export function batchSecretReadable(userId: string, secretRef: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(exists (select 1 from secret_links sl join datastores ds on ds.id = sl.parent_datastore_id where sl.secret_id = ${secretRef} and ds.user_id = ${userId})
    or exists (select 1 from secret_links sl join reach on reach.origin = sl.parent_share_id where sl.secret_id = ${secretRef} and reach.r = 1))`;
}
