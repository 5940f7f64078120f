import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/crypto/stream/byte-queue.js';

test('take and takeInto answer the bytes pushed, in order, whatever the piece and take sizes', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 20 }), fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 30 }), fc.boolean(), (pieces, takes, into) => {
      const queue = new ByteQueue();
      const all = Uint8Array.from(pieces.flatMap((p) => [...p]));
      for (const piece of pieces) queue.push(piece);
      assert.equal(queue.length, all.length);
      let at = 0;
      const scratch = new Uint8Array(60);
      for (const n of takes) {
        if (n > queue.length) {
          assert.throws(() => queue.takeInto(new Uint8Array(n)), RangeError);
          assert.throws(() => queue.take(n), RangeError);
          continue;
        }
        const contiguous = queue.contiguous(n);
        const got = into ? queue.takeInto(scratch.subarray(0, n)) : queue.take(n);
        if (into) assert.equal(got.buffer, scratch.buffer, 'takeInto fills the caller buffer');
        else if (contiguous && n > 0) assert.ok(pieces.some((p) => p.buffer === got.buffer), 'a contiguous take is a view of the piece, no copy');
        assert.deepEqual([...got], [...all.subarray(at, at + n)]);
        at += n;
        assert.equal(queue.length, all.length - at);
      }
    }),
  );
});

test('contiguous says whether the next n bytes lie in one piece', () => {
  const queue = new ByteQueue();
  queue.push(Uint8Array.of(1, 2, 3));
  queue.push(Uint8Array.of(4, 5));
  assert.equal(queue.contiguous(3), true);
  assert.equal(queue.contiguous(4), false);
  assert.deepEqual([...queue.takeInto(new Uint8Array(2))], [1, 2]);
  assert.equal(queue.contiguous(1), true);
  assert.equal(queue.contiguous(2), false);
  assert.deepEqual([...queue.takeInto(new Uint8Array(2))], [3, 4]);
  assert.equal(queue.contiguous(1), true);
  assert.deepEqual([...queue.take(1)], [5]);
  assert.equal(queue.contiguous(1), false, 'an empty queue');
});
