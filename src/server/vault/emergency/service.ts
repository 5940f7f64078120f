import type { Throttle } from '../auth/throttle.js';
import { fromHex, toHex } from '../../../crypto/encoding.js';
import { boxSeal } from '../../../crypto/nacl.js';
import { hashPassword } from '../../../crypto/node/password-hash.js';
import { Secret } from '../../../crypto/secret.js';
import { createId } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import {
  parseEmergencyLoginInfo,
  type BoxedUpdateRequest,
  type CodeLoginRequest,
  type EmergencyCodeCreateRequest,
} from '../../../protocol/vault/recovery.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { AccountRecoveryStore, EmergencyCodeRecord } from '../../../store/account-recovery-store.js';
import type { UserRecord, VaultStore } from '../../../store/vault-store.js';
import type { VaultConfig } from '../../config.js';
import type { AccountsService } from '../accounts/service.js';
import type { AuthContext } from '../auth/authenticator.js';
import { codeOwnerOf } from '../auth/policy.js';
import { createCodeChecker, newVerifier, oldestFreshIssue, openWithVerifier, VERIFIER_SECONDS, verifierFresh } from '../recovery/verifier.js';
import type { ServerKeys } from '../server-keys.js';
import { mintSession } from '../sessions/mint-session.js';

/** BV: each emergency login checks the code against every code of the user with Argon2id, so their number is bounded. */
export const MAX_EMERGENCY_CODES_PER_USER = 16;
const DEFAULT_SESSION_SECONDS = 86_400;

export interface EmergencyServiceDeps {
  vault: VaultStore;
  recovery: AccountRecoveryStore;
  accounts: AccountsService;
  keys: ServerKeys;
  config: VaultConfig;
  /** BV: each code's authkey is hashed with Argon2id, bounded per user (scope `code_hash`) in the shared store. */
  throttle: Throttle;
  clock: () => Date;
}

/**
 * Emergency codes (vault-protocol.md §3.14): a trusted person gets the owner's keys and a session once the
 * owner-chosen waiting period has passed, unless the owner deleted the code. The period is decided by the store's
 * statement against the server clock, never by the caller.
 */
export function createEmergencyService({ vault, recovery, accounts, keys, config, throttle, clock }: EmergencyServiceDeps) {
  const firstMatch = createCodeChecker();

  async function list(auth: AuthContext) {
    const codes = await recovery.listEmergencyCodes(codeOwnerOf(auth));
    return {
      emegency_codes: codes.map((code) => ({
        id: code.id,
        description: code.description,
        activation_date: code.activatedAt ? formatIsoTime(code.activatedAt) : null,
        activation_delay: code.activationDelaySeconds,
      })),
    };
  }

  async function create(auth: AuthContext, request: EmergencyCodeCreateRequest): Promise<{ emergency_code_id: string }> {
    // The hash shares the server's few hashing slots with every login: no account may queue them without bound.
    await throttle('code_hash', `user:${codeOwnerOf(auth)}`);
    const id = createId();
    const outcome = await recovery.createEmergencyCode(
      {
        id,
        userId: codeOwnerOf(auth),
        description: request.description,
        activationDelaySeconds: request.activationDelaySeconds,
        authkeyHash: await hashPassword(new Secret(request.authkey)),
        data: request.data,
        dataNonce: request.dataNonce,
        sauce: request.sauce,
        createdAt: clock(),
      },
      MAX_EMERGENCY_CODES_PER_USER,
    );
    if (outcome === 'limit') throw new BlindvaultError('TOO_MANY_EMERGENCY_CODES');
    if (outcome === 'no_user') throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'User inactive or deleted.' });
    return { emergency_code_id: id };
  }

  /** The owner refuses (or retires) a code. */
  async function remove(auth: AuthContext, codeId: string): Promise<Record<string, never>> {
    if (!(await recovery.deleteEmergencyCode(codeOwnerOf(auth), codeId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  /** The user and the code whose authkey matches; one answer for every failure. */
  async function match(request: CodeLoginRequest): Promise<{ user: UserRecord; code: EmergencyCodeRecord }> {
    const user = await vault.findUserByUsername(request.username);
    const codes = user?.isActive ? await recovery.listEmergencyCodes(user.id) : [];
    const code = await firstMatch(codes, request.authkey);
    if (!user || !code) throw new BlindvaultError('USERNAME_OR_EMERGENCY_CODE_INCORRECT');
    return { user, code };
  }

  /** Starts the waiting period, tells how much of it is left, or (once it is over) answers the data and a verifier. */
  async function arm(request: CodeLoginRequest) {
    const { user, code } = await match(request);
    const now = clock();
    const armed = await recovery.armEmergencyCode(user.id, code.id, now);
    if (!armed?.code.activatedAt) throw new BlindvaultError('USERNAME_OR_EMERGENCY_CODE_INCORRECT');
    const delayMs = armed.code.activationDelaySeconds * 1000;
    const remainingMs = armed.code.activatedAt.getTime() + delayMs - now.getTime();
    if (delayMs > 0 && remainingMs > 0) {
      return { status: armed.started ? ('started' as const) : ('waiting' as const), remaining_wait_time: Math.ceil(remainingMs / 1000) };
    }
    const verifier = newVerifier();
    // BV: the store issues it only if the period is over by its own check (§3.14), and only while the code exists.
    if (!(await recovery.issueEmergencyVerifier(user.id, code.id, verifier.secretKeyHex, now))) throw new BlindvaultError('USERNAME_OR_EMERGENCY_CODE_INCORRECT');
    return {
      status: 'ready' as const,
      remaining_wait_time: 0,
      emergency_data: code.data,
      emergency_data_nonce: code.dataNonce,
      emergency_sauce: code.sauce,
      user_sauce: user.userSauce,
      authentication: 'AUTHKEY',
      hashing_algorithm: user.hashingAlgorithm,
      hashing_parameters: user.hashingParameters,
      verifier_public_key: verifier.publicKeyHex,
      verifier_time_valid: VERIFIER_SECONDS,
    };
  }

  /** Uses up the verifier and opens an active session, answered boxed to the caller's session key. */
  async function login(request: BoxedUpdateRequest): Promise<{ login_info: string; login_info_nonce: string }> {
    const { user, code } = await match(request);
    const now = clock();
    if (code.verifier === null || !verifierFresh(code.verifierIssuedAt, now)) throw new BlindvaultError('VALIDATOR_EXPIRED');
    const info = parseEmergencyLoginInfo(openWithVerifier(code.verifier, user.publicKey, request.updateData, request.updateDataNonce));
    if (!info) throw new BlindvaultError('VALIDATOR_FAILED');
    const used = await recovery.useEmergencyVerifier({ userId: user.id, codeId: code.id, verifier: code.verifier, issuedNotBefore: oldestFreshIssue(now), now });
    if (!used) throw new BlindvaultError('VALIDATOR_EXPIRED');
    const [min, max] = config.tokenSeconds.web;
    const lifetimeSeconds = Math.min(max, Math.max(min, DEFAULT_SESSION_SECONDS));
    const minted = await mintSession(vault, {
      user,
      device: { fingerprint: info.deviceFingerprint, description: info.deviceDescription, time: info.deviceTime },
      lifetimeSeconds,
      kind: 'emergency',
      read: true,
      write: true,
      apiKeyId: null,
      exclusive: !config.allowMultipleSessions,
      now,
    });
    // The password changed (or the user went) between the check and the session: no session.
    if (!minted) throw new BlindvaultError('USERNAME_OR_EMERGENCY_CODE_INCORRECT');
    const answer = {
      token: minted.token.reveal(),
      session_valid_till: formatIsoTime(minted.session.validTill),
      session_secret_key: minted.session.secretKey,
      user_public_key: user.publicKey,
      user_email: accounts.openEmail(user),
      user_id: user.id,
    };
    // The web client opens this with the server's public key of /info/ (Psono's design: no ephemeral key here).
    const sealed = boxSeal(keys.boxSecretKey.reveal(), fromHex(info.sessionPublicKey) as Uint8Array, new TextEncoder().encode(JSON.stringify(answer)));
    return { login_info: toHex(sealed.ciphertext), login_info_nonce: toHex(sealed.nonce) };
  }

  return { list, create, remove, arm, login };
}

export type EmergencyService = ReturnType<typeof createEmergencyService>;
