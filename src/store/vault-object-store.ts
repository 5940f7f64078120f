import type { VaultGroupStore } from './vault-group-store.js';

// The vault's objects: datastores, secrets (with history), shares, the links that hang secrets and
// shares under datastores and shares, and users' rights on shares (spec §3.5–3.8). Ciphertexts are
// the wire's hex strings, stored as received. What a caller may do is decided by the server's policy
// (src/server/vault/auth/policy.ts, docs/authorization.md); the `…For` methods carry the caller into
// the statement, so that an authorized read is one query whatever the depth of the share tree.

export interface DatastoreRecord {
  id: string;
  userId: string;
  type: string;
  description: string;
  data: string;
  dataNonce: string;
  secretKey: string;
  secretKeyNonce: string;
  isDefault: boolean;
  createdAt: Date;
  writeDate: Date;
}

export interface SecretRecord {
  id: string;
  userId: string | null;
  data: string;
  dataNonce: string;
  type: string;
  readCount: number;
  callbackUrl: string;
  callbackUser: string;
  callbackPass: string;
  createdAt: Date;
  writeDate: Date;
}

export interface SecretHistoryRecord extends Omit<SecretRecord, 'readCount' | 'userId'> {
  secretId: string;
  userId: string | null;
  username: string | null;
}

export interface ShareRecord {
  id: string;
  userId: string | null;
  data: string;
  dataNonce: string;
  createdAt: Date;
  writeDate: Date;
}

/** Where a link hangs: under a datastore or under a share (exactly one). */
export type LinkParent = { datastoreId: string; shareId?: undefined } | { shareId: string; datastoreId?: undefined };

/** A secret hung under a datastore or a share. Secret links have their own id space. */
export interface SecretLinkRecord {
  linkId: string;
  secretId: string;
  parent: LinkParent;
}

/** A share hung under a datastore or a share (the share tree). Its own id space. */
export interface ShareLinkRecord {
  linkId: string;
  shareId: string;
  parent: LinkParent;
  /** Who made (or last moved) the link: rights passed along it never exceed that user's direct right on the share. */
  creatorId: string | null;
}

/** The caller of an authorized secret read or write, as the policy hands it to the store. */
export interface SecretCaller {
  userId: string;
  /** A restricted API key (or a session-less key access): only the secrets attached to it. */
  apiKeyId?: string;
}

export interface ShareRightRecord {
  id: string;
  shareId: string;
  userId: string;
  creatorId: string | null;
  title: string;
  titleNonce: string;
  type: string;
  typeNonce: string;
  key: string;
  keyNonce: string;
  keyType: string;
  read: boolean;
  write: boolean;
  grant: boolean;
  /** null: pending; false: declined. */
  accepted: boolean | null;
  expirationDate: Date | null;
  createdAt: Date;
  writeDate: Date;
}

export interface Flags {
  read: boolean;
  write: boolean;
  grant: boolean;
}

export type WriteResult<T = Date> =
  | { ok: true; value: T }
  | { ok: false; reason: 'not_found' | 'write_date_mismatch' | 'duplicate' | 'duplicate_nonce' | 'duplicate_link' | 'cycle' };

export interface VaultObjectStore {
  /** The groups, whose rights on shares take part in every rights walk of this store (same connection). */
  readonly groups: VaultGroupStore;

  // Datastores: the owner is part of every query.
  listDatastores(userId: string): Promise<DatastoreRecord[]>;
  getDatastore(id: string, userId: string): Promise<DatastoreRecord | undefined>;
  createDatastore(datastore: DatastoreRecord): Promise<WriteResult<string>>;
  updateDatastore(
    id: string,
    userId: string,
    changes: Partial<Pick<DatastoreRecord, 'data' | 'dataNonce' | 'secretKey' | 'secretKeyNonce' | 'description' | 'isDefault'>>,
    options: { oldWriteDate?: Date; now: Date },
  ): Promise<WriteResult>;
  deleteDatastore(id: string, userId: string): Promise<boolean>;

  // Secrets
  createSecret(secret: SecretRecord, link: { linkId: string; parent: LinkParent }): Promise<WriteResult<string>>;
  getSecret(id: string): Promise<SecretRecord | undefined>;
  /**
   * Counts one read and returns the secret as it is after it, only if the caller may read it (one
   * statement: the rights walk is part of it). undefined: no such secret, or not the caller's to read.
   */
  readSecretFor(caller: SecretCaller, id: string, now: Date): Promise<SecretRecord | undefined>;
  /**
   * The bulk read (spec §3.12): counts one read of every secret of the batch that the caller may read
   * and returns those, after the count; the others (and unknown ids) are left out. One statement for
   * the whole batch: the rights walk of every share the batch hangs under is part of it.
   */
  readSecretsFor(caller: SecretCaller, ids: readonly string[], now: Date): Promise<SecretRecord[]>;
  /**
   * The write dates of the secrets of the batch that the caller may read now, without counting a read
   * (what `POST /api-key-access/inspect/` lists, spec §3.9.4); the others and unknown ids are left out.
   * One statement: the rights walk is part of it.
   */
  readableSecretDatesFor(caller: SecretCaller, ids: readonly string[], now: Date): Promise<Array<{ id: string; writeDate: Date }>>;
  /**
   * The bulk create (spec §3.12): the secrets and their links under one parent, only if the caller
   * may write that parent (checked inside the transaction that inserts); all or nothing. The value
   * is the new secrets' ids, in the order given.
   */
  createSecretsFor(caller: SecretCaller, parent: LinkParent, secrets: ReadonlyArray<{ secret: SecretRecord; linkId: string }>, now: Date): Promise<WriteResult<string[]>>;
  /**
   * Only if the caller may write the secret: keeps the previous version in the history, then applies
   * the changes (one transaction, the rights checked by the statement that locks the row).
   */
  updateSecretFor(
    caller: SecretCaller,
    id: string,
    changes: Partial<Pick<SecretRecord, 'data' | 'dataNonce' | 'callbackUrl' | 'callbackUser' | 'callbackPass'>>,
    now: Date,
  ): Promise<WriteResult>;
  /** The history of a secret the caller may read; undefined when they may not. */
  listSecretHistoryFor(caller: SecretCaller, secretId: string, now: Date): Promise<Array<{ id: string; createdAt: Date; username: string | null }> | undefined>;
  /** One history entry of a secret the caller may read. */
  getSecretHistoryFor(caller: SecretCaller, id: string, now: Date): Promise<SecretHistoryRecord | undefined>;

  // Rights, resolved by one recursive statement each (docs/authorization.md)
  /** A user's effective rights on a share: direct, or inherited along share links. */
  shareRightsFor(userId: string, shareId: string, now: Date): Promise<Flags>;
  /** A user's direct rights on a share, OR-ed: their accepted user right and their groups' rights (no inheritance). */
  directRightsFor(userId: string, shareId: string, now: Date): Promise<Flags>;
  /** A user's rights on a secret: through an owned datastore (read and write) or the shares it hangs in. */
  secretRightsFor(userId: string, secretId: string, now: Date): Promise<{ read: boolean; write: boolean }>;
  /** The users who reach a share through inheritance only (no accepted direct right on it), with those rights. */
  inheritedRightsOf(shareId: string, now: Date): Promise<Array<{ userId: string } & Flags>>;
  /** The share and the caller's rights on it, only if the caller may read it (one statement). */
  readShareFor(userId: string, shareId: string, now: Date): Promise<{ share: ShareRecord; rights: Flags } | undefined>;

  // Secret links
  getSecretLink(linkId: string): Promise<SecretLinkRecord | undefined>;
  secretLinksOf(secretId: string): Promise<SecretLinkRecord[]>;
  /** 'not_found' when the link is gone or the parent does not exist. */
  moveSecretLink(linkId: string, parent: LinkParent): Promise<WriteResult<string>>;
  deleteSecretLink(linkId: string): Promise<boolean>;

  // Share links (the share tree)
  getShareLink(linkId: string): Promise<ShareLinkRecord | undefined>;
  /** Every link that hangs this share somewhere. */
  shareLinksOf(shareId: string): Promise<ShareLinkRecord[]>;
  /** Refused ('cycle') when the share would become its own ancestor; checked and written atomically. */
  createShareLink(link: { linkId: string; shareId: string; parent: LinkParent; creatorId: string }): Promise<WriteResult<string>>;
  /** Moves a share link, which then counts as the mover's; refused ('cycle') like createShareLink. */
  moveShareLink(linkId: string, parent: LinkParent, creatorId: string): Promise<WriteResult<string>>;
  deleteShareLink(linkId: string): Promise<boolean>;

  // Shares and rights
  /** The share, the creator's own right (all flags, accepted) and its link (made by that creator), in one transaction. */
  createShare(share: ShareRecord, ownRight: ShareRightRecord, link: { linkId: string; parent: LinkParent }): Promise<WriteResult<string>>;
  getShare(id: string): Promise<ShareRecord | undefined>;
  /** Only if the user may write the share (checked by the statement that locks its row); 'not_found' otherwise. */
  updateShareFor(userId: string, id: string, changes: { data?: string; dataNonce?: string }, options: { oldWriteDate?: Date; now: Date }): Promise<WriteResult>;
  /** Every unexpired right of a user (pending, accepted, declined), for GET /share/. */
  rightsOfUser(userId: string, now: Date): Promise<ShareRightRecord[]>;
  /** How many unexpired rights wait for the user's answer and were given by a user who still exists (GET /user/status/). */
  countPendingRightsOf(userId: string, now: Date): Promise<number>;
  /** Every unexpired right on a share, for GET /share/rights/{id}/. */
  rightsOfShare(shareId: string, now: Date): Promise<ShareRightRecord[]>;
  getShareRight(id: string): Promise<ShareRightRecord | undefined>;
  findShareRight(shareId: string, userId: string): Promise<ShareRightRecord | undefined>;
  /**
   * Inserts a right; with `replaceId`, that (expired or orphaned) right of the same target goes in
   * the same transaction. 'duplicate' when the target has another right on the share.
   */
  putShareRight(right: ShareRightRecord, options?: { replaceId?: string }): Promise<WriteResult<string>>;
  /** With `onlyIfPending`, changes nothing (false) unless the right is still pending: accept and decline cannot both win. */
  updateShareRight(
    id: string,
    changes: Partial<Pick<ShareRightRecord, 'read' | 'write' | 'grant' | 'expirationDate' | 'accepted' | 'key' | 'keyNonce' | 'keyType' | 'title' | 'titleNonce' | 'type' | 'typeNonce'>>,
    now: Date,
    options?: { onlyIfPending?: boolean },
  ): Promise<boolean>;
  deleteShareRight(id: string): Promise<boolean>;
}
