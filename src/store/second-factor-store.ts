// Second factors of vault users (docs/vault-protocol.md §3.15) and the sessions' part in solving them. The user is
// part of every statement that reads or changes a factor; challenges are taken (read and cleared) in one statement.

export type SecondFactorKind = 'totp' | 'webauthn';

export interface SecondFactorRecord {
  id: string;
  userId: string;
  kind: SecondFactorKind;
  title: string;
  active: boolean;
  /** totp-secret-v1, hex (docs/formats/totp-secret-v1.md); TOTP only. */
  totpSecret: string | null;
  /** WebAuthn only: credential id (base64url), COSE public key (hex), the signature counter, where it was enrolled. */
  credentialId: string | null;
  publicKey: string | null;
  signCount: number | null;
  origin: string | null;
  rpId: string | null;
  createdAt: Date;
}

export type NewSecondFactor = Omit<SecondFactorRecord, 'active' | 'credentialId' | 'publicKey' | 'signCount'> & {
  /** WebAuthn: the enrolment's challenge, issued now. */
  challenge: string | null;
};

export interface SecondFactorStore {
  /** 'limit' when the user already holds `limit` factors (counted in the same transaction). */
  create(factor: NewSecondFactor, limit: number): Promise<'created' | 'limit' | 'no_user'>;
  /** The user's factors of one kind, oldest first. */
  list(userId: string, kind: SecondFactorKind): Promise<SecondFactorRecord[]>;
  /** The kinds of which the user has an active factor. */
  activeKinds(userId: string): Promise<Set<SecondFactorKind>>;
  /** One factor of the user's, active or not. */
  find(userId: string, id: string, kind: SecondFactorKind): Promise<SecondFactorRecord | undefined>;
  /**
   * Takes the enrolment challenge of an inactive WebAuthn factor (issued at or after `issuedNotBefore`): it is
   * cleared in the same statement, so it serves once. Undefined when there is none.
   */
  takeEnrolmentChallenge(userId: string, id: string, issuedNotBefore: Date): Promise<string | undefined>;
  /** Activates an inactive factor (WebAuthn: with its credential); false when it is gone, active, or the credential is enrolled already. */
  activate(userId: string, id: string, kind: SecondFactorKind, credential?: { credentialId: string; publicKey: string; signCount: number }): Promise<boolean>;
  remove(userId: string, id: string, kind: SecondFactorKind): Promise<boolean>;
  /** The user's active WebAuthn factor with this credential id. */
  findCredential(userId: string, credentialId: string): Promise<SecondFactorRecord | undefined>;
  /** Moves a credential's counter from `from` to `to`; false when another use moved it first. */
  advanceSignCount(id: string, from: number, to: number): Promise<boolean>;

  /** Clears the pending mark of a session that is not activated yet; false when there is no such session. */
  solveSession(sessionId: string, userId: string): Promise<boolean>;
  /** Records the login's WebAuthn challenge on a session that is not activated yet. */
  setSessionChallenge(sessionId: string, challenge: string, now: Date): Promise<boolean>;
  /** Takes (reads and clears) the session's WebAuthn challenge, if issued at or after `issuedNotBefore`. */
  takeSessionChallenge(sessionId: string, issuedNotBefore: Date): Promise<string | undefined>;
}
