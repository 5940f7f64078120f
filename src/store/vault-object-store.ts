// The vault's objects: datastores, secrets (with history), shares, the links that hang secrets and
// shares under datastores and shares, and users' rights on shares (spec §3.5–3.8). Ciphertexts are
// the wire's hex strings, stored as received. Authorization is decided by the caller (one place in
// the server); the store only answers questions and writes atomically.

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

export interface LinkRecord {
  linkId: string;
  /** What hangs there: a secret or a share (exactly one). */
  secretId: string | null;
  shareId: string | null;
  parent: LinkParent;
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
  /** Counts one read and returns the secret as it is after it. */
  readSecret(id: string): Promise<SecretRecord | undefined>;
  /** Keeps the previous version in the history, then applies the changes (one transaction). */
  updateSecret(
    id: string,
    changes: Partial<Pick<SecretRecord, 'data' | 'dataNonce' | 'callbackUrl' | 'callbackUser' | 'callbackPass'>>,
    options: { userId: string; now: Date },
  ): Promise<WriteResult>;
  listSecretHistory(secretId: string): Promise<Array<{ id: string; createdAt: Date; username: string | null }>>;
  getSecretHistory(id: string): Promise<SecretHistoryRecord | undefined>;

  // Links
  getLink(linkId: string): Promise<LinkRecord | undefined>;
  linksOfSecret(secretId: string): Promise<LinkRecord[]>;
  linksOfShare(shareId: string): Promise<LinkRecord[]>;
  /** Refused ('cycle') when the share would become its own ancestor; checked and written atomically. */
  createShareLink(link: { linkId: string; shareId: string; parent: LinkParent }): Promise<WriteResult<string>>;
  /** Moves a link; for a share's link, refused ('cycle') like createShareLink. */
  moveLink(linkId: string, parent: LinkParent): Promise<WriteResult<string>>;
  deleteLink(linkId: string): Promise<boolean>;

  // Shares and rights
  /** The share, the creator's own right (all flags, accepted) and the link, in one transaction. */
  createShare(share: ShareRecord, ownRight: ShareRightRecord, link: { linkId: string; parent: LinkParent }): Promise<WriteResult<string>>;
  getShare(id: string): Promise<ShareRecord | undefined>;
  updateShare(id: string, changes: { data?: string; dataNonce?: string }, options: { oldWriteDate?: Date; now: Date }): Promise<WriteResult>;
  /** Accepted, unexpired rights of a user on the given shares. */
  directRights(userId: string, shareIds: string[], now: Date): Promise<Array<{ shareId: string } & Flags>>;
  /** Every unexpired right of a user (pending, accepted, declined), for GET /share/. */
  rightsOfUser(userId: string, now: Date): Promise<ShareRightRecord[]>;
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
