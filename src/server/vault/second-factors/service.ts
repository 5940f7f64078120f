import { createTotpSecret, matchTotp, openTotpSecret, sealTotpSecret, toBase32, TOTP_STEP_SECONDS } from '../../../crypto/node/totp.js';
import { sha256Hex } from '../../../crypto/psono-kdf.js';
import { createId } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import type { ReplayStore } from '../../../store/replay-store.js';
import type { SecondFactorKind, SecondFactorRecord, SecondFactorStore } from '../../../store/second-factor-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import type { ServerKeys } from '../server-keys.js';
import { createWebauthnCeremonies } from './webauthn.js';

export interface SecondFactorsServiceDeps {
  secondFactors: SecondFactorStore;
  replays: ReplayStore;
  keys: ServerKeys;
  /** The origins of this server's web clients: the only ones WebAuthn credentials are made for (BV, §3.15). */
  webauthnOrigins: readonly string[];
  clock: () => Date;
}

// BV: factors per user (TOTP and WebAuthn together); each login checks every TOTP factor.
const MAX_FACTORS = 8;
// The steps either side of now that a code may come from (Psono's TOTP_VALID_WINDOW default).
const TOTP_WINDOW = 1;
// A used (factor, step) is remembered past the last moment the step could be accepted.
const TOTP_REPLAY_MS = (2 * TOTP_WINDOW + 2) * TOTP_STEP_SECONDS * 1000;

/** The names of the factor kinds in login answers (spec §3.3), in the order the web client offers them. */
export const MULTIFACTOR_NAMES: Record<SecondFactorKind, string> = { totp: 'google_authenticator_2fa', webauthn: 'webauthn_2fa' };

const listed = (factors: SecondFactorRecord[]) => factors.map((f) => ({ id: f.id, title: f.title, active: f.active }));

/** Enrolment, removal and login verification of second factors (docs/vault-protocol.md §3.15). */
export function createSecondFactorsService({ secondFactors, replays, keys, webauthnOrigins, clock }: SecondFactorsServiceDeps) {
  const webauthn = createWebauthnCeremonies({ secondFactors, webauthnOrigins, clock });

  /** The multifactor names of a user's active factors, for the login answer. */
  async function required(userId: string): Promise<string[]> {
    const kinds = await secondFactors.activeKinds(userId);
    return (['totp', 'webauthn'] as const).filter((k) => kinds.has(k)).map((k) => MULTIFACTOR_NAMES[k]);
  }

  async function created(outcome: 'created' | 'limit' | 'no_user'): Promise<void> {
    if (outcome === 'limit') throw new BlindvaultError('TOO_MANY_SECOND_FACTORS');
    if (outcome === 'no_user') throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
  }

  /**
   * The step whose code this is for the factor, used up in the shared replay store (BV: a code serves once, on any
   * instance); undefined for a wrong, unreadable or used code.
   */
  async function useCode(factor: SecondFactorRecord, code: string, now: Date): Promise<boolean> {
    if (factor.totpSecret === null) return false;
    const secret = openTotpSecret(keys.secondFactorKey.reveal(), factor.id, factor.totpSecret);
    if (!secret) return false;
    const step = matchTotp(secret, code, now, TOTP_WINDOW);
    secret.fill(0);
    if (step === undefined) return false;
    return replays.remember('totp', sha256Hex(`${factor.id}:${step}`), new Date(now.getTime() + TOTP_REPLAY_MS), now);
  }

  async function solve(auth: AuthContext): Promise<Record<string, never>> {
    if (auth.session.active) throw new BlindvaultError('TOKEN_INCORRECT');
    if (!(await secondFactors.solveSession(auth.session.id, auth.user.id))) throw new BlindvaultError('TOKEN_INCORRECT');
    return {};
  }

  return {
    required,

    async listTotp(auth: AuthContext) {
      return { google_authenticators: listed(await secondFactors.list(auth.user.id, 'totp')) };
    },

    async createTotp(auth: AuthContext, title: string) {
      const id = createId();
      const secret = createTotpSecret();
      const sealed = sealTotpSecret(keys.secondFactorKey.reveal(), id, secret);
      await created(await secondFactors.create({ id, userId: auth.user.id, kind: 'totp', title, totpSecret: sealed, origin: null, rpId: null, challenge: null, createdAt: clock() }, MAX_FACTORS));
      const answer = { id, secret: toBase32(secret) };
      secret.fill(0);
      return answer;
    },

    async activateTotp(auth: AuthContext, factorId: string, code: string) {
      const factor = await secondFactors.find(auth.user.id, factorId, 'totp');
      if (!factor || factor.active) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      if (!(await useCode(factor, code, clock()))) throw new BlindvaultError('GA_TOKEN_INCORRECT');
      if (!(await secondFactors.activate(auth.user.id, factorId, 'totp'))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      return {};
    },

    async remove(auth: AuthContext, factorId: string, kind: SecondFactorKind) {
      if (!(await secondFactors.remove(auth.user.id, factorId, kind))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      return {};
    },

    /** POST /authentication/ga-verify/: any active TOTP factor of the user's whose code this is. */
    async verifyTotp(auth: AuthContext, code: string) {
      if (auth.session.active) throw new BlindvaultError('TOKEN_INCORRECT');
      const factors = (await secondFactors.list(auth.user.id, 'totp')).filter((f) => f.active);
      if (factors.length === 0) throw new BlindvaultError('NO_GOOGLE_AUTHENTICATOR_FOUND');
      const now = clock();
      let matched = false;
      for (const factor of factors) {
        if (await useCode(factor, code, now)) {
          matched = true;
          break;
        }
      }
      if (!matched) throw new BlindvaultError('GA_TOKEN_INCORRECT');
      return solve(auth);
    },

    async listWebauthn(auth: AuthContext) {
      return { webauthns: listed(await secondFactors.list(auth.user.id, 'webauthn')) };
    },

    async createWebauthn(auth: AuthContext, title: string, origin: string) {
      const id = createId();
      const { options, challenge, rpId, origin: accepted } = await webauthn.registrationOptions(auth.user, origin);
      await created(await secondFactors.create({ id, userId: auth.user.id, kind: 'webauthn', title, totpSecret: null, origin: accepted, rpId, challenge, createdAt: clock() }, MAX_FACTORS));
      return { id, options };
    },

    async activateWebauthn(auth: AuthContext, factorId: string, credential: string) {
      const verified = await webauthn.verifyRegistration(auth.user.id, factorId, credential);
      if (!(await secondFactors.activate(auth.user.id, factorId, 'webauthn', verified))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      return {};
    },

    async webauthnChallenge(auth: AuthContext, origin: string) {
      if (auth.session.active) throw new BlindvaultError('TOKEN_INCORRECT');
      return webauthn.authenticationOptions(auth.user.id, auth.session.id, origin);
    },

    async verifyWebauthn(auth: AuthContext, credential: string) {
      if (auth.session.active) throw new BlindvaultError('TOKEN_INCORRECT');
      await webauthn.verifyAuthentication(auth.user.id, auth.session.id, credential);
      return solve(auth);
    },
  };
}

export type SecondFactorsService = ReturnType<typeof createSecondFactorsService>;
