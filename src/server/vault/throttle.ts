import { BlindvaultError } from '../../protocol/errors.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { ThrottleRate, ThrottleScope } from '../config.js';

/**
 * The vault's throttles (spec §4), counted in the shared store so every instance sees every
 * request. A sliding window, estimated from two fixed ones: the previous window's count, weighted
 * by how much of it the sliding window still covers, plus the current count. Over the limit: 429
 * with Retry-After, the time until the estimate has room again.
 */
export function createThrottle(rateLimits: RateLimitStore, rates: Record<ThrottleScope, ThrottleRate>, clock: () => Date) {
  return async function throttle(scope: ThrottleScope, subject: string): Promise<void> {
    const { limit, windowSeconds } = rates[scope];
    const windowMs = windowSeconds * 1000;
    const now = clock();
    const { hits, previousHits, resetsAt } = await rateLimits.hit(scope, subject, windowSeconds, now);
    const untilReset = resetsAt.getTime() - now.getTime();
    const overlap = untilReset / windowMs; // share of the previous window still inside the sliding one
    if (previousHits * overlap + hits > limit) {
      // With room left in this window, wait until enough of the previous one has slid out; else
      // until this window ends.
      const waitMs = hits < limit && previousHits > 0 ? untilReset - ((limit - hits) / previousHits) * windowMs : untilReset;
      const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(waitMs, untilReset) / 1000));
      const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
      throw new BlindvaultError('VAULT_THROTTLED', {
        retryAfterSeconds,
        detail: `Request was throttled. Expected available in ${retryAfterSeconds} ${unit}.`,
      });
    }
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
