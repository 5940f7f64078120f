// The vault's accounts and sessions (the Psono protocol). Keys and ciphertexts are the wire's hex
// strings, stored as received: the server never holds a user key in clear.

import type { HashingParameters } from '../crypto/psono-kdf.js';

export type { HashingParameters };

export interface UserRecord {
  id: string;
  username: string;
  /** HMAC-SHA-256 of the lower-case e-mail under a server key: uniqueness without a plain index. */
  emailHmac: string;
  /** The e-mail, secretbox-encrypted under a server key (hex), for the user's own view. */
  emailCiphertext: string;
  emailNonce: string;
  /** Argon2id hash of the authkey (libsodium's encoded string). */
  authkeyHash: string;
  publicKey: string;
  privateKey: string;
  privateKeyNonce: string;
  secretKey: string;
  secretKeyNonce: string;
  userSauce: string;
  hashingAlgorithm: string;
  hashingParameters: HashingParameters;
  language: string;
  zoneinfo: string | null;
  isActive: boolean;
  isEmailActive: boolean;
  registrationDate: Date;
  lastLogin: Date | null;
}

export type NewUser = Omit<UserRecord, 'lastLogin' | 'zoneinfo'>;

export type UserChanges = Partial<
  Pick<
    UserRecord,
    | 'emailHmac'
    | 'emailCiphertext'
    | 'emailNonce'
    | 'authkeyHash'
    | 'privateKey'
    | 'privateKeyNonce'
    | 'secretKey'
    | 'secretKeyNonce'
    | 'hashingAlgorithm'
    | 'hashingParameters'
    | 'userSauce'
    | 'language'
    | 'zoneinfo'
    | 'lastLogin'
  >
>;

export interface SessionRecord {
  id: string;
  /** SHA-512 (hex) of the token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  /** S: the transport key of the session (hex). */
  secretKey: string;
  /** V: proves the client decrypted the user's private key; erased at activation. */
  userValidator: string | null;
  sessionKey: string;
  deviceFingerprint: string | null;
  deviceDescription: string | null;
  clientDate: Date | null;
  /** Whether every request must carry an Authorization-Validator header (spec §1.3). */
  requiresValidator: boolean;
  createdAt: Date;
  validTill: Date;
  active: boolean;
  read: boolean;
  write: boolean;
  apiKeyId: string | null;
  /** The lifetime the login asked for; it starts at activation (until then validTill is short). */
  lifetimeSeconds: number;
  /** A password login of a user with a second factor: no activation until it is solved (spec §3.15). */
  secondFactorPending: boolean;
}

export type CreateUserResult = 'created' | 'username_taken' | 'email_taken';

export interface VaultStore {
  /** A named server secret; the first caller's `create()` wins, even across instances starting at once. */
  getOrCreateServerSecret(name: string, create: () => string): Promise<string>;

  createUser(user: NewUser): Promise<CreateUserResult>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  findUserByEmailHmac(emailHmac: string): Promise<UserRecord | undefined>;
  /**
   * Only the given fields change. 'email_taken' when the new e-mail belongs to someone else. With
   * `endSessionsExcept`, every other session of the user ends in the same transaction.
   */
  updateUser(id: string, changes: UserChanges, options?: { endSessionsExcept?: string }): Promise<'updated' | 'not_found' | 'email_taken'>;
  /**
   * Removes the user and, by cascade, every session, datastore, API key, right, membership, second
   * factor and code of the user; then, in the same transaction, what no one can reach any more
   * (spec §3.4): groups left without members, shares left without a link or a live right, secrets
   * left without a link. What others still reach stays. False when there is no such user.
   */
  deleteUser(id: string): Promise<boolean>;

  /**
   * With `exclusive`, all other sessions of the user end in the same transaction. With
   * `authkeyHash`, the session is made only if the user still exists with that authkey: a login
   * checked against a password that changed meanwhile (or a deleted user) gets no session. False then.
   */
  createSession(session: SessionRecord, options: { exclusive: boolean; authkeyHash?: string }): Promise<boolean>;
  findSessionByTokenHash(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
  /** Inactive → active, validator erased, valid for its lifetime from `now`; false when gone or already active. */
  activateSession(id: string, now: Date): Promise<boolean>;
  /** Ends one session of this user; false when there is none. */
  deleteSession(id: string, userId: string): Promise<boolean>;
  /** Ends every session of the user, but the one named. Returns how many ended. */
  deleteOtherSessions(userId: string, keepSessionId: string | null): Promise<number>;
  /** Active, unexpired sessions of the user, oldest first. */
  listActiveSessions(userId: string, now: Date): Promise<SessionRecord[]>;
  /** Removes sessions that expired before `now`. */
  deleteExpiredSessions(now: Date): Promise<number>;
}
