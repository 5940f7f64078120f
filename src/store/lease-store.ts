/**
 * Named leases in the shared database, so that a job every instance runs is done by one at a time.
 * A holder that dies loses its lease when it expires; one that lives renews it by acquiring again.
 */
export interface LeaseStore {
  /**
   * Takes or renews the lease for `holder` until now + ttlSeconds, in one atomic statement, when it
   * is free, expired or already `holder`'s. True when `holder` holds it afterwards.
   */
  acquire(name: string, holder: string, now: Date, ttlSeconds: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it, so another instance need not wait for it to expire. */
  release(name: string, holder: string): Promise<void>;
}
