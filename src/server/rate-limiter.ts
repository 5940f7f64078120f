import type { RateLimitStore } from '../store/rate-limit-store.js';

export interface Rate {
  limit: number;
  windowSeconds: number;
}

/**
 * Rate limits counted in the shared store, so every instance sees every request. A sliding window,
 * estimated from two fixed ones: the previous window's count, weighted by how much of it the
 * sliding window still covers, plus the current count. Answers how long to wait when over the limit.
 */
export function createRateLimiter(rateLimits: RateLimitStore, clock: () => Date) {
  return async function overLimit(scope: string, subject: string, { limit, windowSeconds }: Rate): Promise<{ retryAfterSeconds: number } | undefined> {
    const windowMs = windowSeconds * 1000;
    const now = clock();
    const { hits, previousHits, resetsAt } = await rateLimits.hit(scope, subject, windowSeconds, now);
    const untilReset = resetsAt.getTime() - now.getTime();
    const overlap = untilReset / windowMs; // share of the previous window still inside the sliding one
    if (previousHits * overlap + hits <= limit) return undefined;
    // With room left in this window, wait until enough of the previous one has slid out; else
    // until this window ends.
    const waitMs = hits < limit && previousHits > 0 ? untilReset - ((limit - hits) / previousHits) * windowMs : untilReset;
    return { retryAfterSeconds: Math.max(1, Math.ceil(Math.min(waitMs, untilReset) / 1000)) };
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
