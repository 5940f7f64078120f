import { sql, type RawBuilder } from 'kysely';

// Effective rights on shares, resolved inside the statement that needs them (docs/authorization.md,
// "Inheritance"). One recursive walk, the same text on SQLite and PostgreSQL:
//
//  - a user's accepted, unexpired direct right on a share is their right on it, and ends the walk
//    there (so an all-false direct right removes what they would inherit);
//  - otherwise the walk climbs every share link whose parent is a share; crossing a link keeps only
//    the flags that the link's creator holds *directly* (accepted, unexpired) on the child, so a
//    link never passes on more than its creator holds, and revoking the creator cuts it;
//  - the rights are those of the nearest direct right on every chain, each AND-ed with the caps of
//    its links, OR-ed over all chains. Datastore links give no rights.
//
// UNION (not UNION ALL) keeps the walk finite even over a cycle: a row is (user, share, 3 flags).
// The booleans are compared as truth values and produced as 0/1 integers, which both dialects read.

const unexpired = (alias: string, nowMs: number) => sql`(${sql.ref(`${alias}.expiration_date`)} is null or ${sql.ref(`${alias}.expiration_date`)} > ${nowMs})`;

/** A user id or share id parameter, typed like the columns it meets in the recursive walk. */
export const idParam = (value: string) => sql`cast(${value} as varchar(36))`;

/**
 * The CTEs `walk(user_id, share_id, r, w, g)` and `reach(user_id, share_id, r, w, g)`: every direct
 * right met by the walk, with the caps of the path to it. `start` is a select of (user_id, share_id)
 * pairs where the walk begins; its caps are all set.
 */
export function rightsCtes(start: RawBuilder<unknown>, nowMs: number): RawBuilder<unknown> {
  return sql`walk(user_id, share_id, r, w, g) as (
      select s.user_id, s.share_id, 1, 1, 1 from (${start}) s
      union
      select walk.user_id, l.parent_share_id,
        case when walk.r = 1 and c."read" then 1 else 0 end,
        case when walk.w = 1 and c."write" then 1 else 0 end,
        case when walk.g = 1 and c."grant" then 1 else 0 end
      from walk
      join share_links l on l.share_id = walk.share_id and l.parent_share_id is not null
      join user_share_rights c on c.share_id = l.share_id and c.user_id = l.creator_id and c.accepted and ${unexpired('c', nowMs)}
      left join user_share_rights d on d.share_id = walk.share_id and d.user_id = walk.user_id and d.accepted and ${unexpired('d', nowMs)}
      where d.id is null and ((walk.r = 1 and c."read") or (walk.w = 1 and c."write") or (walk.g = 1 and c."grant"))
    ),
    reach(user_id, share_id, r, w, g) as (
      select walk.user_id, walk.share_id,
        case when walk.r = 1 and d."read" then 1 else 0 end,
        case when walk.w = 1 and d."write" then 1 else 0 end,
        case when walk.g = 1 and d."grant" then 1 else 0 end
      from walk
      join user_share_rights d on d.share_id = walk.share_id and d.user_id = walk.user_id and d.accepted and ${unexpired('d', nowMs)}
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
