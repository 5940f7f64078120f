import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { startBackendServer } from '../helpers/server-process.js';

/** Sends the head and the first half of an upload; `finish()` sends the rest and answers the status. */
function halfSentUpload(url: string): { finish(): Promise<number>; failed: Promise<unknown> } {
  const { body, contentType } = multipartBody(e2eUpload(randomBytes(200_000)));
  let answered: (status: number) => void = () => {};
  const status = new Promise<number>((resolve) => (answered = resolve));
  let failedWith: (error: unknown) => void = () => {};
  const failed = new Promise<unknown>((resolve) => (failedWith = resolve));
  const req = request(`${url}/upload`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
    res.resume();
    answered(res.statusCode ?? 0);
  });
  req.on('error', (error) => failedWith(error));
  req.write(body.subarray(0, body.length / 2));
  return {
    failed,
    finish() {
      req.end(body.subarray(body.length / 2));
      return status;
    },
  };
}

test('SIGTERM: an upload in flight finishes, then the process exits 0', async () => {
  const running = await startBackendServer('sqlite');
  try {
    const upload = halfSentUpload(running.server.url);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) => running.server.process.once('exit', (code) => resolve(code)));
    running.server.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await upload.finish(), 200, 'the upload in flight is answered');
    assert.equal(await exited, 0);
  } finally {
    await running.close();
  }
});

test('SIGTERM: a request that does not finish within SHUTDOWN_GRACE_SECONDS does not hold the exit', async () => {
  const running = await startBackendServer('sqlite', { SHUTDOWN_GRACE_SECONDS: '1' });
  try {
    const upload = halfSentUpload(running.server.url);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => running.server.process.once('exit', (code) => resolve(code)));
    running.server.process.kill('SIGTERM');
    assert.equal(await exited, 1, 'exit 1: requests were still in flight');
    assert.ok(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
    await upload.failed;
  } finally {
    await running.close();
  }
});
