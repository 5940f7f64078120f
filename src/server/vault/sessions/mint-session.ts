import { toHex } from '../../../crypto/encoding.js';
import { randomBytes } from '../../../crypto/nacl.js';
import type { Secret } from '../../../crypto/secret.js';
import { createId, createSessionToken, hashSessionToken } from '../../../crypto/token.js';
import type { SessionRecord, UserRecord, VaultStore } from '../../../store/vault-store.js';

// How long a password login may stay unactivated before its session (and S, V) is gone.
const ACTIVATION_WINDOW_SECONDS = 600;

export interface MintSessionInput {
  user: UserRecord;
  /** What the login told about its device; a fingerprint or a device time makes the validator required (spec §1.3). */
  device: { fingerprint?: string; description?: string; time?: Date };
  lifetimeSeconds: number;
  /**
   * A password login starts inactive with a user validator V, valid for the activation window only
   * (spec §3.3); an API-key login is active at once and has no V (spec §3.9.3), and so is an emergency login,
   * whose caller proved the user's private key already (§3.14).
   */
  kind: 'password' | 'api_key' | 'emergency';
  read: boolean;
  write: boolean;
  apiKeyId: string | null;
  /** Ends the user's other sessions (a password login when multiple sessions are not allowed). */
  exclusive: boolean;
  /** The user has an active second factor: the session waits for it before activation (spec §3.15). */
  secondFactorPending?: boolean;
  now: Date;
}

export interface MintedSession {
  session: SessionRecord;
  /** The bearer token, handed to the client once; only its hash is stored. */
  token: Secret<string>;
}

/**
 * The one place a vault session is made, for password and API-key logins alike: fresh token,
 * session secret S and session key from the CSPRNG. The session is stored only if the user's
 * authkey is still the one the login verified (no race with a password change); undefined otherwise.
 */
export async function mintSession(vault: VaultStore, input: MintSessionInput): Promise<MintedSession | undefined> {
  const { user, device, lifetimeSeconds, now } = input;
  const token = createSessionToken();
  const pending = input.kind === 'password';
  const session: SessionRecord = {
    id: createId(),
    tokenHash: hashSessionToken(token),
    userId: user.id,
    secretKey: toHex(randomBytes(32)),
    userValidator: pending ? toHex(randomBytes(32)) : null,
    sessionKey: toHex(randomBytes(32)),
    deviceFingerprint: device.fingerprint ?? null,
    deviceDescription: device.description ?? null,
    clientDate: device.time ?? null,
    requiresValidator: device.fingerprint !== undefined || device.time !== undefined,
    createdAt: now,
    validTill: new Date(now.getTime() + (pending ? Math.min(lifetimeSeconds, ACTIVATION_WINDOW_SECONDS) : lifetimeSeconds) * 1000),
    active: !pending,
    read: input.read,
    write: input.write,
    apiKeyId: input.apiKeyId,
    lifetimeSeconds,
    secondFactorPending: pending && input.secondFactorPending === true,
  };
  if (!(await vault.createSession(session, { exclusive: input.exclusive, authkeyHash: user.authkeyHash }))) return undefined;
  return { session, token };
}
