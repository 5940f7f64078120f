import { sha256Hex } from '../../../crypto/psono-kdf.js';
import { Secret } from '../../../crypto/secret.js';
import { hashSessionToken, hexEqual } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import { fromHexAnyCase, openJson } from '../../../protocol/vault/envelope.js';
import { parseValidatorPayload } from '../../../protocol/vault/sessions.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../../store/api-key-store.js';
import type { ReplayStore } from '../../../store/replay-store.js';
import type { SessionRecord, UserRecord, VaultStore } from '../../../store/vault-store.js';
import type { VaultConfig } from '../../config.js';

export interface AuthContext {
  session: SessionRecord;
  user: UserRecord;
  /** The key that opened the session, for an API-key session. */
  apiKey?: ApiKeyRecord;
  /** S, the session's transport key. */
  sessionSecret: Secret<Uint8Array>;
}

/** The `detail` texts of a failed authentication (spec §1.2, §1.3), answered as a plain 401. */
export const AUTH_FAILURES = {
  noHeader: 'Invalid token header. No token header present.',
  noCredentials: 'Invalid token header. No credentials provided.',
  spaces: 'Invalid token header. Token string should not contain spaces.',
  invalidCharacters: 'Invalid token header. Token string should not contain invalid characters.',
  invalidToken: 'Invalid token or not yet activated.',
  userInactive: 'User inactive or deleted.',
  notVerified: 'Account not yet verified.',
  validatorFormat: 'Invalid token header. Incorrect format in token header.',
  validatorAttribute: 'Invalid token header. Token attribute not present.',
  validatorEncryption: 'Invalid token header. Not proper encrypted.',
  fingerprintMissing: 'Device Fingerprint Protection: request_device_fingerprint missing',
  fingerprintMismatch: 'Device Fingerprint Protection: device_fingerprint mismatch',
  requestTimeMissing: 'Replay Protection: request_time missing',
  timeDifference: 'Replay Protection: Time difference too big',
} as const;

const unauthenticated = (detail: string) => new BlindvaultError('VAULT_UNAUTHENTICATED', { detail });

export interface AuthenticatorDeps {
  vault: VaultStore;
  apiKeys: ApiKeyStore;
  replays: ReplayStore;
  config: VaultConfig;
  clock: () => Date;
}

/**
 * Token authentication of the vault (`Authorization: Token <token>`), checked in the order of the
 * spec, then the Authorization-Validator when the session requires it. Every failure is a 401.
 */
export function createAuthenticator({ vault, apiKeys, replays, config, clock }: AuthenticatorDeps) {
  async function validate(context: AuthContext, header: string | undefined): Promise<void> {
    const { session } = context;
    if (!header) throw unauthenticated(AUTH_FAILURES.validatorFormat);
    let envelope: unknown;
    try {
      envelope = JSON.parse(header);
    } catch {
      throw unauthenticated(AUTH_FAILURES.validatorFormat);
    }
    if (typeof envelope !== 'object' || envelope === null) throw unauthenticated(AUTH_FAILURES.validatorFormat);
    const { text, nonce } = envelope as Record<string, unknown>;
    if (typeof text !== 'string' || typeof nonce !== 'string') throw unauthenticated(AUTH_FAILURES.validatorAttribute);
    const opened = openJson(context.sessionSecret.reveal(), envelope);
    if (!opened) throw unauthenticated(AUTH_FAILURES.validatorEncryption);
    const payload = parseValidatorPayload(opened.value);
    // From here on a failure is an attack on the session, which therefore ends (§1.3 rows 4–7).
    const reject = async (detail: string): Promise<never> => {
      await vault.deleteSession(session.id, session.userId);
      throw unauthenticated(detail);
    };
    if (config.deviceProtection && session.deviceFingerprint) {
      if (payload.fingerprint === undefined) await reject(AUTH_FAILURES.fingerprintMissing);
      if (!hexEqual(payload.fingerprint ?? '', session.deviceFingerprint)) await reject(AUTH_FAILURES.fingerprintMismatch);
    }
    if (!payload.requestTime) return reject(AUTH_FAILURES.requestTimeMissing);
    const now = clock();
    // The client's clock offset at login must still hold now, within the replay window. Without a
    // device time at login the offset is taken as zero (BV: Psono skips the check, so a validator
    // would stay valid for the whole session once its replay mark expired).
    const offsetAtLogin = session.clientDate ? session.clientDate.getTime() - session.createdAt.getTime() : 0;
    const offsetNow = payload.requestTime.getTime() - now.getTime();
    if (Math.abs(offsetAtLogin - offsetNow) > config.replayWindowSeconds * 1000) await reject(AUTH_FAILURES.timeDifference);
    // BV: a validator is single-use within its window (true replay protection, §1.3 / §5 #7).
    const digest = sha256Hex(`${session.id}:${nonce.toLowerCase()}`);
    const windowEnd = new Date(now.getTime() + 2 * config.replayWindowSeconds * 1000 + 60_000);
    if (!(await replays.remember('validator', digest, windowEnd, now))) await reject(AUTH_FAILURES.timeDifference);
  }

  /** `allowInactive` for activate-token only (the spec's `token*`). */
  async function authenticate(headers: { authorization?: string; validator?: string }, options: { allowInactive: boolean }): Promise<AuthContext> {
    const words = (headers.authorization ?? '').split(' ').filter((w) => w.length > 0);
    if (words.length === 0 || words[0]?.toLowerCase() !== 'token') throw unauthenticated(AUTH_FAILURES.noHeader);
    if (words.length === 1) throw unauthenticated(AUTH_FAILURES.noCredentials);
    if (words.length > 2) throw unauthenticated(AUTH_FAILURES.spaces);
    const token = words[1] as string;
    if (!/^[\x21-\x7e]+$/.test(token)) throw unauthenticated(AUTH_FAILURES.invalidCharacters);
    const tokenHash = hashSessionToken(new Secret(token));
    const found = await vault.findSessionByTokenHash(tokenHash);
    const now = clock();
    if (!found || !hexEqual(found.session.tokenHash, tokenHash)) throw unauthenticated(AUTH_FAILURES.invalidToken);
    const { session, user } = found;
    if ((!session.active && !options.allowInactive) || session.validTill.getTime() < now.getTime()) {
      throw unauthenticated(AUTH_FAILURES.invalidToken);
    }
    if (!user.isActive) throw unauthenticated(AUTH_FAILURES.userInactive);
    if (!user.isEmailActive) throw unauthenticated(AUTH_FAILURES.notVerified);
    const secret = fromHexAnyCase(session.secretKey);
    if (secret?.length !== 32) throw unauthenticated(AUTH_FAILURES.invalidToken);
    const context: AuthContext = { session, user, sessionSecret: new Secret(secret) };
    if (session.apiKeyId !== null) {
      // A key that is gone or inactive takes its sessions with it (spec §1.2 row 8).
      const apiKey = await apiKeys.getApiKey(session.apiKeyId);
      if (!apiKey || !apiKey.active || apiKey.userId !== user.id) throw unauthenticated(AUTH_FAILURES.invalidToken);
      context.apiKey = apiKey;
      // The key's flags as they are now, not as they were when the session began: a session made
      // while the owner took a flag away does not keep it.
      context.session = { ...session, read: session.read && apiKey.read, write: session.write && apiKey.write };
    }
    if (session.requiresValidator) await validate(context, headers.validator);
    return context;
  }

  return { authenticate };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
