import { BlindvaultError } from '../../../protocol/errors.js';
import type { RateLimitStore } from '../../../store/rate-limit-store.js';
import type { ThrottleRate, ThrottleScope } from '../../config.js';
import { createRateLimiter } from '../../rate-limiter.js';

/** The vault's throttles (spec §4): over the limit, a 429 in Psono's words, with Retry-After. */
export function createThrottle(rateLimits: RateLimitStore, rates: Record<ThrottleScope, ThrottleRate>, clock: () => Date) {
  const overLimit = createRateLimiter(rateLimits, clock);
  return async function throttle(scope: ThrottleScope, subject: string): Promise<void> {
    const over = await overLimit(scope, subject, rates[scope]);
    if (over) {
      const unit = over.retryAfterSeconds === 1 ? 'second' : 'seconds';
      throw new BlindvaultError('VAULT_THROTTLED', {
        retryAfterSeconds: over.retryAfterSeconds,
        detail: `Request was throttled. Expected available in ${over.retryAfterSeconds} ${unit}.`,
      });
    }
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
