import { BlindvaultError } from '../../protocol/errors.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { ThrottleRate, ThrottleScope } from '../config.js';

/**
 * The vault's throttles (spec §4): fixed windows counted in the shared store, so every instance
 * sees every request. Over the limit: 429 with Retry-After.
 */
export function createThrottle(rateLimits: RateLimitStore, rates: Record<ThrottleScope, ThrottleRate>, clock: () => Date) {
  return async function throttle(scope: ThrottleScope, subject: string): Promise<void> {
    const { limit, windowSeconds } = rates[scope];
    const now = clock();
    const { hits, resetsAt } = await rateLimits.hit(scope, subject, windowSeconds, now);
    if (hits > limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
      const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
      throw new BlindvaultError('VAULT_THROTTLED', {
        retryAfterSeconds,
        detail: `Request was throttled. Expected available in ${retryAfterSeconds} ${unit}.`,
      });
    }
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
