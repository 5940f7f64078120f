import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BlindvaultError } from '../../../src/protocol/errors.js';
import { watchUploadPace } from '../../../src/server/edge/upload-pace.js';

// The rule itself, on a request whose socket the test controls, under mocked timers.

interface FakeRequest {
  socket: { bytesRead: number };
  readableLength: number;
  complete: boolean;
  destroyed: boolean;
}

const fake = (): FakeRequest => ({ socket: { bytesRead: 500 }, readableLength: 0, complete: false, destroyed: false });
const PACE = { minBytes: 1000, windowSeconds: 10 };
const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(() => (state = 'resolved'), (error: unknown) => (state = error instanceof BlindvaultError ? error.code : 'rejected'));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
afterEach(() => mock.timers.reset());

test('a client that keeps the pace is never stopped', async () => {
  const request = fake();
  let stalls = 0;
  const pace = watchUploadPace(request as unknown as IncomingMessage, PACE, () => (stalls += 1));
  for (let i = 0; i < 20; i += 1) {
    request.socket.bytesRead += 1000;
    mock.timers.tick(10_000);
  }
  assert.equal(await settled(pace.race(new Promise(() => {}))), 'pending');
  assert.equal(stalls, 0);
  pace.stop();
});

test('a window with fewer bytes than the pace stops the upload with UPLOAD_TOO_SLOW, once', async () => {
  const request = fake();
  let stalls = 0;
  const pace = watchUploadPace(request as unknown as IncomingMessage, PACE, () => (stalls += 1));
  request.socket.bytesRead += 1000;
  mock.timers.tick(10_000);
  assert.equal(await settled(pace.stalled), 'pending', 'the first window kept the pace');
  request.socket.bytesRead += 999;
  mock.timers.tick(10_000);
  assert.equal(await settled(pace.race(new Promise(() => {}))), 'UPLOAD_TOO_SLOW');
  mock.timers.tick(50_000);
  assert.equal(stalls, 1);
});

test('a window in which the server had bytes it had not read yet is not held against the client', async () => {
  const request = fake();
  let stalls = 0;
  const pace = watchUploadPace(request as unknown as IncomingMessage, PACE, () => (stalls += 1));
  request.readableLength = 65_536; // the server is the slow side: its buffer is full
  mock.timers.tick(50_000);
  assert.equal(stalls, 0);
  request.readableLength = 0;
  mock.timers.tick(10_000);
  assert.equal(stalls, 1, 'control: once the server has read everything, a silent client is stopped');
});

test('a body read to its end stops the watch', async () => {
  const request = fake();
  let stalls = 0;
  watchUploadPace(request as unknown as IncomingMessage, PACE, () => (stalls += 1));
  request.complete = true;
  mock.timers.tick(100_000);
  assert.equal(stalls, 0);
});

test('guard() passes chunks through and fails with UPLOAD_TOO_SLOW when the client stalls mid-stream', async () => {
  const request = fake();
  const pace = watchUploadPace(request as unknown as IncomingMessage, PACE);
  let release: () => void = () => {};
  async function* source() {
    yield 'a';
    await new Promise<void>((resolve) => (release = resolve));
    yield 'b';
  }
  const iterator = pace.guard(source());
  assert.deepEqual(await iterator.next(), { done: false, value: 'a' });
  const pending = iterator.next();
  mock.timers.tick(10_000);
  await assert.rejects(pending, (error: unknown) => error instanceof BlindvaultError && error.code === 'UPLOAD_TOO_SLOW');
  release();
});

test('race() keeps nothing of a step once it settled: memory does not grow with the number of chunks', async () => {
  mock.timers.reset(); // real timers: this test only counts memory
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const request = fake();
  const pace = watchUploadPace(request as unknown as IncomingMessage, PACE);
  const heapAfterGc = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const steps = 200_000; // a 12 GiB upload at 64 KiB a chunk
  for (let i = 0; i < 1_000; i += 1) await pace.race(Promise.resolve(i));
  const before = heapAfterGc();
  for (let i = 0; i < steps; i += 1) await pace.race(Promise.resolve(i));
  const grown = heapAfterGc() - before;
  assert.ok(grown < 4 * 1024 * 1024, `the heap grew by ${(grown / 1024 / 1024).toFixed(1)} MiB over ${steps} steps`);
  // Control: the watch still stops a waiting step when the client stalls.
  mock.timers.enable({ apis: ['setInterval'] });
  const late = watchUploadPace(request as unknown as IncomingMessage, PACE);
  const waiting = late.race(new Promise(() => {}));
  mock.timers.tick(10_000);
  assert.equal(await settled(waiting), 'UPLOAD_TOO_SLOW');
  assert.equal(await settled(late.race(Promise.resolve(1))), 'UPLOAD_TOO_SLOW', 'a step raced after the stall fails at once');
  pace.stop();
});
