// Recovery codes and emergency codes of vault users (docs/vault-protocol.md §3.13–3.14). Ciphertexts are the
// client's hex, stored as received; authkeys only as Argon2id hashes. Every statement names the code's user.

import type { HashingParameters } from '../crypto/psono-kdf.js';

interface CodeRecord {
  id: string;
  userId: string;
  authkeyHash: string;
  data: string;
  dataNonce: string;
  sauce: string;
  /** The X25519 secret key (hex) of the last verifier the server issued, until it is used. */
  verifier: string | null;
  verifierIssuedAt: Date | null;
  createdAt: Date;
}

export type RecoveryCodeRecord = CodeRecord;

export interface EmergencyCodeRecord extends CodeRecord {
  description: string;
  activationDelaySeconds: number;
  /** When the trusted person first asked: the waiting period runs from here. */
  activatedAt: Date | null;
}

export type NewRecoveryCode = Omit<RecoveryCodeRecord, 'verifier' | 'verifierIssuedAt'>;
export type NewEmergencyCode = Omit<EmergencyCodeRecord, 'verifier' | 'verifierIssuedAt' | 'activatedAt'>;

/** What a password reset writes over the user's credentials (the public key and user sauce stay). */
export interface PasswordReset {
  authkeyHash: string;
  privateKey: string;
  privateKeyNonce: string;
  secretKey: string;
  secretKeyNonce: string;
  hashingAlgorithm: string;
  hashingParameters: HashingParameters;
}

export interface AccountRecoveryStore {
  /** Replaces the user's recovery code (one per user) in one transaction; false when the user is gone. */
  replaceRecoveryCode(code: NewRecoveryCode): Promise<boolean>;
  findRecoveryCode(userId: string): Promise<RecoveryCodeRecord | undefined>;
  /** Records a fresh verifier for the code, replacing any earlier one; false when the code is gone. */
  issueRecoveryVerifier(userId: string, codeId: string, verifier: string, now: Date): Promise<boolean>;
  /**
   * In one transaction: uses up the verifier (only if it is still the one issued, at or after `issuedNotBefore`),
   * writes the reset over the user's credentials and ends every session of the user. False (and nothing
   * written) when the verifier is no longer there.
   */
  resetPassword(input: { userId: string; codeId: string; verifier: string; issuedNotBefore: Date; reset: PasswordReset }): Promise<boolean>;

  /** 'limit' when the user already holds `limit` codes (counted in the same transaction). */
  createEmergencyCode(code: NewEmergencyCode, limit: number): Promise<'created' | 'limit' | 'no_user'>;
  /** The user's codes, oldest first. */
  listEmergencyCodes(userId: string): Promise<EmergencyCodeRecord[]>;
  /** The owner refuses (or retires) a code; false when it is not theirs or does not exist. */
  deleteEmergencyCode(userId: string, codeId: string): Promise<boolean>;
  /**
   * Starts the waiting period once (`activatedAt` = now only if unset, atomically); answers the code as stored
   * after, and whether this call started it. Undefined when the code is gone.
   */
  armEmergencyCode(userId: string, codeId: string, now: Date): Promise<{ code: EmergencyCodeRecord; started: boolean } | undefined>;
  /** Records a fresh verifier only if the waiting period is over at `now` (decided in the statement). */
  issueEmergencyVerifier(userId: string, codeId: string, verifier: string, now: Date): Promise<boolean>;
  /**
   * Uses up the verifier if it is still the one issued at or after `issuedNotBefore`, the code still exists and
   * its waiting period is over at `now`: all in the one statement.
   */
  useEmergencyVerifier(input: { userId: string; codeId: string; verifier: string; issuedNotBefore: Date; now: Date }): Promise<boolean>;
}
