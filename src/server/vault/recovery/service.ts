import type { Throttle } from '../auth/throttle.js';
import { hashPassword } from '../../../crypto/node/password-hash.js';
import { Secret } from '../../../crypto/secret.js';
import { createId } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import { parseResetPayload, type CodeCiphertext, type CodeLoginRequest, type PasswordResetRequest } from '../../../protocol/vault/recovery.js';
import type { AccountRecoveryStore, RecoveryCodeRecord } from '../../../store/account-recovery-store.js';
import type { HashingParameters, UserRecord, VaultStore } from '../../../store/vault-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import { codeOwnerOf } from '../auth/policy.js';
import { createCodeChecker, newVerifier, oldestFreshIssue, openWithVerifier, VERIFIER_SECONDS, verifierFresh } from './verifier.js';

export interface RecoveryServiceDeps {
  vault: VaultStore;
  recovery: AccountRecoveryStore;
  /** BV: a recovery code's authkey is hashed with Argon2id, bounded per user (scope `code_hash`) in the shared store. */
  throttle: Throttle;
  clock: () => Date;
}

/** Recovery codes and the lost-password reset (vault-protocol.md §3.13): the server never sees the code or a key. */
export function createRecoveryService({ vault, recovery, throttle, clock }: RecoveryServiceDeps) {
  const firstMatch = createCodeChecker();

  /** Replaces the caller's recovery code with the one the client made. */
  async function create(auth: AuthContext, request: CodeCiphertext): Promise<{ recovery_code_id: string }> {
    // The hash shares the server's few hashing slots with every login: no account may queue them without bound.
    await throttle('code_hash', `user:${codeOwnerOf(auth)}`);
    const id = createId();
    const stored = await recovery.replaceRecoveryCode({
      id,
      userId: codeOwnerOf(auth),
      authkeyHash: await hashPassword(new Secret(request.authkey)),
      data: request.data,
      dataNonce: request.dataNonce,
      sauce: request.sauce,
      createdAt: clock(),
    });
    if (!stored) throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'User inactive or deleted.' });
    return { recovery_code_id: id };
  }

  /** The user and their recovery code, if the code's authkey is right; one answer for every failure. */
  async function match(request: CodeLoginRequest): Promise<{ user: UserRecord; code: RecoveryCodeRecord }> {
    const user = await vault.findUserByUsername(request.username);
    const code = user?.isActive ? await recovery.findRecoveryCode(user.id) : undefined;
    const matched = await firstMatch(code ? [code] : [], request.authkey);
    if (!user || !matched) throw new BlindvaultError('USERNAME_OR_RECOVERY_CODE_INCORRECT');
    return { user, code: matched };
  }

  /** Step 1: the recovery data and a fresh verifier. */
  async function start(request: CodeLoginRequest) {
    const { user, code } = await match(request);
    const verifier = newVerifier();
    if (!(await recovery.issueRecoveryVerifier(user.id, code.id, verifier.secretKeyHex, clock()))) throw new BlindvaultError('USERNAME_OR_RECOVERY_CODE_INCORRECT');
    return {
      recovery_data: code.data,
      recovery_data_nonce: code.dataNonce,
      recovery_sauce: code.sauce,
      user_sauce: user.userSauce,
      hashing_algorithm: user.hashingAlgorithm,
      hashing_parameters: user.hashingParameters,
      verifier_public_key: verifier.publicKeyHex,
      verifier_time_valid: VERIFIER_SECONDS,
    };
  }

  /**
   * Step 2: the new credentials, boxed by the holder of the user's private key to the verifier. In one
   * transaction the verifier is used up, the credentials replaced and every session of the user ended (BV).
   */
  async function reset(request: PasswordResetRequest): Promise<Record<string, never>> {
    const { user, code } = await match(request);
    const now = clock();
    if (code.verifier === null || !verifierFresh(code.verifierIssuedAt, now)) throw new BlindvaultError('VALIDATOR_EXPIRED');
    const payload = parseResetPayload(openWithVerifier(code.verifier, user.publicKey, request.updateData, request.updateDataNonce));
    if (!payload) throw new BlindvaultError('RESET_VALIDATION_FAILED');
    const hashing: { algorithm: string; parameters: HashingParameters } = request.hashing ?? { algorithm: user.hashingAlgorithm, parameters: user.hashingParameters };
    const done = await recovery.resetPassword({
      userId: user.id,
      codeId: code.id,
      verifier: code.verifier,
      issuedNotBefore: oldestFreshIssue(now),
      reset: {
        authkeyHash: await hashPassword(new Secret(payload.authkey)),
        privateKey: payload.privateKey,
        privateKeyNonce: payload.privateKeyNonce,
        secretKey: payload.secretKey,
        secretKeyNonce: payload.secretKeyNonce,
        hashingAlgorithm: hashing.algorithm,
        hashingParameters: hashing.parameters,
      },
    });
    // Another reset used the verifier first (or a new one replaced it).
    if (!done) throw new BlindvaultError('VALIDATOR_EXPIRED');
    return {};
  }

  return { create, start, reset };
}

export type RecoveryService = ReturnType<typeof createRecoveryService>;
