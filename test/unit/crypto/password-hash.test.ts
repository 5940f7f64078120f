import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, passwordHashLoad, setPasswordHashConcurrency, verifyPassword } from '../../../src/crypto/node/password-hash.js';
import { Secret } from '../../../src/crypto/secret.js';

// Issue 8 item 8: Argon2id shares libuv's thread pool with file I/O, so only a few run at once.

test('no more Argon2id computations run at once than the configured concurrency; the others wait their turn', async () => {
  const stored = await hashPassword(new Secret('right'));
  for (const limit of [1, 2]) {
    setPasswordHashConcurrency(limit);
    const checks = [
      verifyPassword(stored, new Secret('right')),
      verifyPassword(stored, new Secret('wrong')),
      hashPassword(new Secret('another')),
      verifyPassword(stored, new Secret('right')),
      verifyPassword(stored, new Secret('wrong')),
    ];
    assert.deepEqual(passwordHashLoad(), { active: limit, waiting: 5 - limit }, `limit ${limit}`);
    const [a, b, hash, c, d] = await Promise.all(checks);
    assert.deepEqual([a, b, c, d], [true, false, true, false], 'every queued check still gives its own answer');
    assert.ok(await verifyPassword(hash as string, new Secret('another')));
    assert.deepEqual(passwordHashLoad(), { active: 0, waiting: 0 });
  }
});

test('raising the limit starts waiting computations at once', async () => {
  setPasswordHashConcurrency(1);
  const stored = await hashPassword(new Secret('pw'));
  const checks = [1, 2, 3].map(() => verifyPassword(stored, new Secret('pw')));
  assert.deepEqual(passwordHashLoad(), { active: 1, waiting: 2 });
  setPasswordHashConcurrency(3);
  assert.equal(passwordHashLoad().waiting, 0);
  assert.deepEqual(await Promise.all(checks), [true, true, true]);
  assert.throws(() => setPasswordHashConcurrency(0), RangeError);
});
