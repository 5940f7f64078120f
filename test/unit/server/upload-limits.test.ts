import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BlindvaultError } from '../../../src/protocol/errors.js';
import { downloadLimit, expiryAfter } from '../../../src/server/files/upload-limits.js';
import { addressSubject as quotaSubject } from '../../../src/server/edge/address-subject.js';

const isCode = (code: string) => (error: unknown) => error instanceof BlindvaultError && error.code === code;

describe('upload limits', () => {
  test('an IPv6 address counts by its /64; IPv4 (also IPv4-mapped) by itself', () => {
    assert.equal(quotaSubject('203.0.113.9'), '203.0.113.9');
    assert.equal(quotaSubject('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(quotaSubject('2001:db8:aa:bb:1:2:3:4'), '2001:db8:aa:bb::/64');
    assert.equal(quotaSubject('2001:DB8:AA:BB::9'), '2001:db8:aa:bb::/64');
    assert.equal(quotaSubject('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(quotaSubject('::1'), '0:0:0:0::/64');
    assert.equal(quotaSubject('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.notEqual(quotaSubject('2001:db8:aa:bc::1'), quotaSubject('2001:db8:aa:bb::1'));
  });

  test('expiry arithmetic is total: every value is a valid time or INVALID_EXPIRES_IN', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const max = 10 * 365 * 86400;
    assert.deepEqual(expiryAfter(now, 60, now, max), new Date(now.getTime() + 60_000));
    for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 9e12, max + 1]) {
      assert.throws(() => expiryAfter(now, ttl, now, max), isCode('INVALID_EXPIRES_IN'), String(ttl));
    }
    const lateNow = new Date(8.64e15 - 1000);
    assert.throws(() => expiryAfter(lateNow, 60, lateNow, max), isCode('INVALID_EXPIRES_IN'), 'past the last time a Date holds');
    const createdAt = new Date(now.getTime() - 3600_000);
    assert.throws(() => expiryAfter(now, 86400, createdAt, 86400), isCode('INVALID_EXPIRES_IN'), 'past FILE_MAX_TTL_SECONDS after the upload');
    assert.deepEqual(expiryAfter(now, 82800, createdAt, 86400), new Date(createdAt.getTime() + 86400_000), 'exactly the latest');
  });

  test('every file has a download limit within FILE_MAX_DOWNLOADS', () => {
    assert.equal(downloadLimit(undefined, 50), 50);
    assert.equal(downloadLimit(undefined, 50, 3), 3);
    assert.equal(downloadLimit(null, 50), 50);
    assert.equal(downloadLimit(7, 50), 7);
    for (const bad of [0, 51, 2.5, Number.NaN]) assert.throws(() => downloadLimit(bad, 50), isCode('INVALID_MAX_DOWNLOADS'), String(bad));
  });
});
