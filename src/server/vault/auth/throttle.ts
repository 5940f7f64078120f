import { BlindvaultError } from '../../../protocol/errors.js';
import type { RateLimitStore } from '../../../store/rate-limit-store.js';
import type { ThrottleRate, ThrottleScope } from '../../config.js';
import { createRateLimiter } from '../../rate-limiter.js';

/** A 429 in Psono's words, with Retry-After. */
export function throttled(retryAfterSeconds: number): BlindvaultError {
  const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
  return new BlindvaultError('VAULT_THROTTLED', { retryAfterSeconds, detail: `Request was throttled. Expected available in ${retryAfterSeconds} ${unit}.` });
}

/** The vault's throttles (spec §4). */
export function createThrottle(rateLimits: RateLimitStore, rates: Record<ThrottleScope, ThrottleRate>, clock: () => Date) {
  const overLimit = createRateLimiter(rateLimits, clock);
  return async function throttle(scope: ThrottleScope, subject: string): Promise<void> {
    const over = await overLimit(scope, subject, rates[scope]);
    if (over) throw throttled(over.retryAfterSeconds);
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
