import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlindvaultError } from '../../../src/protocol/errors.js';
import { parseConfig } from '../../../src/server/config.js';
import { createThrottle } from '../../../src/server/vault/auth/throttle.js';
import type { RateLimitStore } from '../../../src/store/rate-limit-store.js';

/** The arithmetic of the store, in memory, for a fast look at the sliding window. */
function memoryRateLimits(): RateLimitStore {
  const counts = new Map<string, number>();
  return {
    async hit(scope, subject, windowSeconds, now) {
      const windowMs = windowSeconds * 1000;
      const start = Math.floor(now.getTime() / windowMs) * windowMs;
      const key = `${scope}|${subject}|${start}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { hits: counts.get(key) ?? 0, previousHits: counts.get(`${scope}|${subject}|${start - windowMs}`) ?? 0, resetsAt: new Date(start + windowMs) };
    },
    async peek(scope, subject, windowSeconds, now) {
      const windowMs = windowSeconds * 1000;
      const start = Math.floor(now.getTime() / windowMs) * windowMs;
      return { hits: counts.get(`${scope}|${subject}|${start}`) ?? 0, previousHits: counts.get(`${scope}|${subject}|${start - windowMs}`) ?? 0, resetsAt: new Date(start + windowMs) };
    },
    async sweep() {
      return 0;
    },
  };
}

test('rate limiter: under the limit answers nothing; over it, how long to wait', async () => {
  const { createRateLimiter } = await import('../../../src/server/rate-limiter.js');
  let now = Date.parse('2026-01-01T00:00:10Z');
  const overLimit = createRateLimiter(memoryRateLimits(), () => new Date(now));
  assert.equal(await overLimit('upload', 'ip', { limit: 1, windowSeconds: 60 }), undefined);
  assert.deepEqual(await overLimit('upload', 'ip', { limit: 1, windowSeconds: 60 }), { retryAfterSeconds: 50 });
  now = Date.parse('2026-01-01T00:02:30Z');
  assert.equal(await overLimit('upload', 'ip', { limit: 1, windowSeconds: 60 }), undefined, 'two windows later');
});

test('throttle: a sliding window - a burst at the end of one window still counts early in the next', async () => {
  let now = Date.parse('2026-01-01T00:00:50Z');
  const rates = parseConfig({ VAULT_THROTTLE_LOGIN: '10/minute' }).vault.throttles;
  const throttle = createThrottle(memoryRateLimits(), rates, () => new Date(now));
  for (let i = 0; i < 10; i += 1) await throttle('login', 'ip');
  const refused = await throttle('login', 'ip').then(() => undefined, (e: unknown) => e);
  assert.ok(refused instanceof BlindvaultError && refused.code === 'VAULT_THROTTLED');
  now = Date.parse('2026-01-01T00:01:05Z'); // 5 s into the next window: 11 × 55/60 ≈ 10 still weigh
  const stillRefused = await throttle('login', 'ip').then(() => undefined, (e: unknown) => e);
  assert.ok(stillRefused instanceof BlindvaultError, 'a fixed window would have let this through');
  const retry = Number(stillRefused.details?.retryAfterSeconds);
  assert.ok(retry >= 1 && retry <= 55, `retry after ${retry}`);
  now = Date.parse('2026-01-01T00:01:40Z'); // 11 × 20/60 + 1 ≈ 4.7: room again
  await throttle('login', 'ip');
  await throttle('login', 'other-ip');
});
