import type { RateLimitStore } from '../store/rate-limit-store.js';

export interface Rate {
  limit: number;
  windowSeconds: number;
}

interface Counts {
  hits: number;
  previousHits: number;
  resetsAt: Date;
}

/**
 * A sliding window, estimated from two fixed ones: the previous window's count, weighted by how
 * much of it the sliding window still covers, plus the current count. Over the limit: how long to
 * wait. With room left in this window, until enough of the previous one has slid out; else until
 * this window ends.
 */
function verdict({ hits, previousHits, resetsAt }: Counts, { limit, windowSeconds }: Rate, now: Date): { retryAfterSeconds: number } | undefined {
  const windowMs = windowSeconds * 1000;
  const untilReset = resetsAt.getTime() - now.getTime();
  const overlap = untilReset / windowMs; // share of the previous window still inside the sliding one
  if (previousHits * overlap + hits <= limit) return undefined;
  const waitMs = hits < limit && previousHits > 0 ? untilReset - ((limit - hits) / previousHits) * windowMs : untilReset;
  return { retryAfterSeconds: Math.max(1, Math.ceil(Math.min(waitMs, untilReset) / 1000)) };
}

/**
 * Rate limits counted in the shared store, so every instance sees every request. Counts the request
 * and answers how long to wait when it is over the limit.
 */
export function createRateLimiter(rateLimits: RateLimitStore, clock: () => Date) {
  return async function overLimit(scope: string, subject: string, rate: Rate): Promise<{ retryAfterSeconds: number } | undefined> {
    const now = clock();
    return verdict(await rateLimits.hit(scope, subject, rate.windowSeconds, now), rate, now);
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** The one scope of failed authentications and owner-token guesses, whichever capability saw them. */
const FAILED_AUTH_SCOPE = 'failed_auth';

/**
 * Throttles a client address on its failures only (FAILED_AUTH_RATE): `check` before the work
 * counts nothing and answers whether the address has used up its failures; `fail` counts one. A
 * rightful caller, who does not fail, is never slowed down by it.
 */
export function createFailureThrottle(rateLimits: RateLimitStore, rate: Rate, clock: () => Date) {
  return {
    async check(address: string): Promise<{ retryAfterSeconds: number } | undefined> {
      const now = clock();
      // One more failure would be over the limit: the next attempt is refused before it is tried.
      const counts = await rateLimits.peek(FAILED_AUTH_SCOPE, address, rate.windowSeconds, now);
      return verdict({ ...counts, hits: counts.hits + 1 }, rate, now);
    },
    async fail(address: string): Promise<void> {
      await rateLimits.hit(FAILED_AUTH_SCOPE, address, rate.windowSeconds, clock());
    },
  };
}

export type FailureThrottle = ReturnType<typeof createFailureThrottle>;
