/** Counters of requests per scope and subject (a user id or a client address), shared by every instance. */
export interface RateLimitStore {
  /**
   * Counts one request in the fixed window of `windowSeconds` that holds `now` (one atomic
   * statement: concurrent requests on any instance are all counted) and returns the window's count
   * after it, the count of the window before, and when the current window ends.
   */
  hit(scope: string, subject: string, windowSeconds: number, now: Date): Promise<{ hits: number; previousHits: number; resetsAt: Date }>;
  /** What `hit` would answer before counting, without counting anything. */
  peek(scope: string, subject: string, windowSeconds: number, now: Date): Promise<{ hits: number; previousHits: number; resetsAt: Date }>;
  /** Removes the counters of windows that ended before `now`. */
  sweep(now: Date): Promise<number>;
}
