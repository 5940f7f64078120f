// Link shares of vault entries (docs/vault-protocol.md §3.16). `node` is the client's ciphertext, stored as received;
// a passphrase only as an Argon2id hash. The creator is part of every statement that manages one; the anonymous open
// checks expiry, the reads left and the creator's read right on the entry in the statement that uses up the read.

export interface LinkShareRecord {
  id: string;
  /** The user who made it, and the only one who manages it. */
  userId: string;
  secretId: string;
  publicTitle: string;
  node: string;
  nodeNonce: string;
  /** Reads left; null: no limit. */
  allowedReads: number | null;
  passphraseHash: string | null;
  /** Null: no expiry. */
  validTill: Date | null;
  createdAt: Date;
}

export interface LinkShareChanges {
  publicTitle: string;
  allowedReads: number | null;
  /** Undefined: the passphrase stays as it is; null: removed. */
  passphraseHash?: string | null;
  validTill: Date | null;
}

/** What one open of a link share answers: the creator's ciphertexts, and the entry's read count after this read. */
export interface OpenedLinkShare {
  node: string;
  nodeNonce: string;
  secretData: string;
  secretDataNonce: string;
  secretReadCount: number;
}

export interface LinkShareStore {
  /**
   * Inserts the link share only if its creator may read the entry at `now` (resolved inside the insert) and holds
   * fewer than `limit` link shares (counted in the same transaction).
   */
  create(link: LinkShareRecord, limit: number, now: Date): Promise<'created' | 'not_found' | 'limit'>;
  /**
   * Would `create` accept a link share of this entry by this user now? A cheap look before the costly work that a
   * creation needs (hashing a passphrase); `create` decides again, inside its insert.
   */
  mayCreate(userId: string, secretId: string, limit: number, now: Date): Promise<'yes' | 'not_found' | 'limit'>;
  /** The user's link shares that can still be opened at `now` (unexpired, reads left), oldest first. */
  listOwn(userId: string, now: Date): Promise<LinkShareRecord[]>;
  /** The user's own link share, expired or used up included; undefined for another user's. */
  findOwn(userId: string, id: string): Promise<LinkShareRecord | undefined>;
  /** False when it is not the user's or does not exist. */
  updateOwn(userId: string, id: string, changes: LinkShareChanges): Promise<boolean>;
  deleteOwn(userId: string, id: string): Promise<boolean>;
  /** The link share as a reader may ask for it before opening: unexpired, with reads left; else undefined. */
  findOpenable(id: string, now: Date): Promise<Pick<LinkShareRecord, 'id' | 'passphraseHash'> | undefined>;
  /**
   * Uses one read and answers the entry, only if at `now` the link share is unexpired, has reads left, its creator
   * is active and may read the entry: all checked by the statement that counts the read down, so concurrent opens
   * never get more answers than the reads allowed. `passphraseHash` is the hash the reader's passphrase was verified
   * against (null: none was asked): a passphrase changed or added meanwhile makes the open fail. Undefined (and
   * nothing used) otherwise.
   */
  open(id: string, passphraseHash: string | null, now: Date): Promise<OpenedLinkShare | undefined>;
  /** Removes the link shares that expired or have no reads left at `now`; answers how many. */
  sweep(now: Date): Promise<number>;
}
