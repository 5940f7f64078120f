import { fromHex, toHex } from '../../../crypto/encoding.js';
import { boxKeyPair, boxOpen, boxSeal, secretboxOpen } from '../../../crypto/nacl.js';
import { sha256Hex } from '../../../crypto/psono-kdf.js';
import { hexEqual } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import { fromHexAnyCase } from '../../../protocol/vault/envelope.js';
import { formatIsoTime, parseLoginInfo, type LoginRequest } from '../../../protocol/vault/sessions.js';
import type { ReplayStore } from '../../../store/replay-store.js';
import type { VaultStore } from '../../../store/vault-store.js';
import type { VaultConfig } from '../../config.js';
import type { AccountsService } from '../accounts/service.js';
import type { AuthContext } from '../auth/authenticator.js';
import type { ServerKeys } from '../server-keys.js';
import { mintSession } from './mint-session.js';
import type { SecondFactorsService } from '../second-factors/service.js';

export interface SessionsServiceDeps {
  vault: VaultStore;
  replays: ReplayStore;
  keys: ServerKeys;
  accounts: AccountsService;
  config: VaultConfig;
  /** Which second factors a login must solve before activation (spec §3.15). */
  secondFactors: Pick<SecondFactorsService, 'required'>;
  clock: () => Date;
}

const DEFAULT_SESSION_SECONDS = 86_400;
// A login's public key is single-use for this long, and a device_time must be this close to ours
// (spec §5 #1), so a captured login cannot be replayed later either.
const LOGIN_REPLAY_MS = 24 * 3600_000;
const DEVICE_TIME_SKEW_MS = 5 * 60_000;

const utf8 = (text: string) => new TextEncoder().encode(text);
const clamp = (value: number, [min, max]: [number, number]) => Math.min(max, Math.max(min, value));

/** Password login with forward-secret session keys, token activation, logout, the session list (spec §3.3). */
export function createSessionsService({ vault, replays, keys, accounts, config, secondFactors, clock }: SessionsServiceDeps) {
  async function login(request: LoginRequest): Promise<{ login_info: string; login_info_nonce: string }> {
    const clientPublicKey = fromHexAnyCase(request.publicKey) as Uint8Array;
    const opened = boxOpen(
      clientPublicKey,
      keys.boxSecretKey.reveal(),
      fromHexAnyCase(request.loginInfo) ?? new Uint8Array(),
      fromHexAnyCase(request.loginInfoNonce) ?? new Uint8Array(),
    );
    if (!opened) throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened));
    } catch {
      throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
    }
    const info = parseLoginInfo(parsed);
    const now = clock();
    if (info.deviceTime && Math.abs(info.deviceTime.getTime() - now.getTime()) > DEVICE_TIME_SKEW_MS) {
      throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');
    }
    // A captured login replayed as it is carries the same public key: refuse it (spec §5 #1).
    const fresh = await replays.remember('password_login', sha256Hex(request.publicKey.toLowerCase()), new Date(now.getTime() + LOGIN_REPLAY_MS), now);
    if (!fresh) throw new BlindvaultError('LOGIN_INFO_CANNOT_BE_DECRYPTED');

    const user = await vault.findUserByUsername(info.username);
    const authentic = await accounts.authkeyMatches(user, info.authkey);
    if (!user || !authentic || !user.isActive) throw new BlindvaultError('USERNAME_OR_PASSWORD_WRONG');
    if (!user.isEmailActive) throw new BlindvaultError('ACCOUNT_NOT_VERIFIED');

    const limits = info.clientType === 'app' ? config.tokenSeconds.app : config.tokenSeconds.web;
    const durationSeconds = clamp(request.sessionDurationSeconds ?? DEFAULT_SESSION_SECONDS, limits);
    const requiredMultifactors = await secondFactors.required(user.id);
    const minted = await mintSession(vault, {
      user,
      device: { fingerprint: info.deviceFingerprint, description: info.deviceDescription, time: info.deviceTime },
      lifetimeSeconds: durationSeconds,
      kind: 'password',
      read: true,
      write: true,
      apiKeyId: null,
      exclusive: !config.allowMultipleSessions,
      secondFactorPending: requiredMultifactors.length > 0,
      now,
    });
    if (!minted) throw new BlindvaultError('USERNAME_OR_PASSWORD_WRONG');
    const { session, token } = minted;
    const sessionSecret = session.secretKey;
    const userValidator = session.userValidator as string;

    // A fresh server pair per login: S and V are boxed with it, so they stay secret once both
    // ephemeral secret keys are gone (forward secrecy, spec §2.9).
    const ephemeral = boxKeyPair();
    const sealedSecret = boxSeal(ephemeral.secretKey, clientPublicKey, utf8(sessionSecret));
    const userPublicKey = fromHexAnyCase(user.publicKey) as Uint8Array;
    const sealedValidator = boxSeal(ephemeral.secretKey, userPublicKey, utf8(userValidator));
    const response = {
      token: token.reveal(),
      session_key: session.sessionKey,
      session_valid_till: formatIsoTime(new Date(now.getTime() + durationSeconds * 1000)),
      required_multifactors: requiredMultifactors,
      session_public_key: toHex(ephemeral.publicKey),
      session_secret_key: toHex(sealedSecret.ciphertext),
      session_secret_key_nonce: toHex(sealedSecret.nonce),
      user_validator: toHex(sealedValidator.ciphertext),
      user_validator_nonce: toHex(sealedValidator.nonce),
      user: {
        username: user.username,
        language: user.language,
        public_key: user.publicKey,
        private_key: user.privateKey,
        private_key_nonce: user.privateKeyNonce,
        user_sauce: user.userSauce,
        authentication: 'AUTHKEY',
        hashing_algorithm: user.hashingAlgorithm,
        hashing_parameters: user.hashingParameters,
        require_password_change: false,
      },
    };
    ephemeral.secretKey.fill(0);
    const sealed = boxSeal(keys.boxSecretKey.reveal(), clientPublicKey, utf8(JSON.stringify(response)));
    return { login_info: toHex(sealed.ciphertext), login_info_nonce: toHex(sealed.nonce) };
  }

  /** The client proves it opened V with the user's private key: secretbox(S, V). */
  async function activate(auth: AuthContext, verification: string, verificationNonce: string) {
    const { session, user } = auth;
    if (session.active || session.userValidator === null) throw new BlindvaultError('TOKEN_INCORRECT');
    // The factor first (spec §3.15); the store's activation also requires it, so no race slips past.
    if (session.secondFactorPending) {
      const pending = await secondFactors.required(user.id);
      throw new BlindvaultError(pending[0] === 'webauthn_2fa' ? 'WEBAUTHN_CHALLENGE_UNSOLVED' : 'GA_CHALLENGE_UNSOLVED');
    }
    const opened = secretboxOpen(auth.sessionSecret.reveal(), fromHex(verification) ?? new Uint8Array(), fromHex(verificationNonce) ?? new Uint8Array());
    const presented = opened ? new TextDecoder().decode(opened) : '';
    if (!hexEqual(presented, session.userValidator)) throw new BlindvaultError('VERIFICATION_CODE_INCORRECT');
    if (!(await vault.activateSession(session.id, clock()))) throw new BlindvaultError('TOKEN_INCORRECT');
    await vault.updateUser(user.id, { lastLogin: clock() });
    return {
      user: {
        id: user.id,
        authentication: 'AUTHKEY',
        email: accounts.openEmail(user),
        secret_key: user.secretKey,
        secret_key_nonce: user.secretKeyNonce,
        registration_date: formatIsoTime(user.registrationDate),
        require_password_change: false,
      },
    };
  }

  /** Ends the calling session, or another session of the same user. */
  async function logout(auth: AuthContext, sessionId: string | undefined): Promise<void> {
    const ended = await vault.deleteSession(sessionId ?? auth.session.id, auth.user.id);
    if (!ended) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
  }

  async function list(auth: AuthContext) {
    const sessions = await vault.listActiveSessions(auth.user.id, clock());
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        create_date: formatIsoTime(s.createdAt),
        device_description: s.deviceDescription ?? '',
        current_session: s.id === auth.session.id,
      })),
    };
  }

  return { login, activate, logout, list };
}

export type SessionsService = ReturnType<typeof createSessionsService>;

