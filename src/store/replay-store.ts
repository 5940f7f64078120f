/** Remembers digests of single-use values (signed logins, validator nonces) until they expire. */
export interface ReplayStore {
  /** True the first time a (kind, digest) is seen while unexpired; false for a replay. Atomic across instances. */
  remember(kind: string, digest: string, expiresAt: Date, now: Date): Promise<boolean>;
  sweep(now: Date): Promise<number>;
}
