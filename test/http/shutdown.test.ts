import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { startBackendServer, startServerProcess } from '../helpers/server-process.js';

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

const TUS = { 'tus-resumable': '1.0.0' } as const;

interface CreatedUpload {
  id: string;
  upload_url: string;
  upload_token: string;
}

async function createTusUpload(url: string, lengthBytes: number): Promise<CreatedUpload> {
  const res = await fetch(`${url}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(lengthBytes) } });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as CreatedUpload;
}

/** A tus PATCH from offset 0 whose first `sentBytes` are sent now; `finish()` sends the rest. */
function halfSentPatch(created: CreatedUpload, data: Buffer, sentBytes: number) {
  let answered: (answer: { status: number; offset: string | undefined }) => void = () => {};
  const answer = new Promise<{ status: number; offset: string | undefined }>((resolve) => (answered = resolve));
  let failedWith: (error: unknown) => void = () => {};
  const failed = new Promise<unknown>((resolve) => (failedWith = resolve));
  const req = request(
    created.upload_url,
    {
      method: 'PATCH',
      headers: {
        ...TUS,
        authorization: `Bearer ${created.upload_token}`,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': data.length,
      },
    },
    (res) => {
      res.resume();
      answered({ status: res.statusCode ?? 0, offset: res.headers['upload-offset'] as string | undefined });
    },
  );
  req.on('error', (error) => failedWith(error));
  req.write(data.subarray(0, sentBytes));
  return {
    failed,
    finish() {
      req.end(data.subarray(sentBytes));
      return answer;
    },
  };
}

async function download(url: string, id: string): Promise<Buffer> {
  const res = await fetch(`${url}/f/${id}/encrypted`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

test('SIGTERM: a tus PATCH in flight finishes during the drain, no new connection is served, and the upload is whole after a restart', { timeout: 300_000 }, async () => {
  const running = await startBackendServer('sqlite');
  let restarted: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    const url = running.server.url;
    const data = randomBytes(300_000);
    const created = await createTusUpload(url, data.length);
    const patch = halfSentPatch(created, data, 100_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) => running.server.process.once('exit', (code) => resolve(code)));
    running.server.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(running.server.process.exitCode, null, 'the process waits for the PATCH');
    // The listener is closed at once: a new client is refused (a load balancer moves on), not served.
    const late = await fetch(`${url}/livez`).then((res) => `status ${res.status}`, (error: { cause?: { code?: string } }) => error.cause?.code);
    assert.equal(late, 'ECONNREFUSED');
    assert.deepEqual(await patch.finish(), { status: 204, offset: String(data.length) }, 'the PATCH in flight is answered whole');
    assert.equal(await exited, 0);

    restarted = await startServerProcess({ DATA_DIR: path.join(running.work, 'data') });
    assert.deepEqual(await download(restarted.url, created.id), data, 'the acknowledged upload survived the restart');
  } finally {
    await restarted?.stop();
    await running.close();
  }
});

test('SIGTERM: a tus PATCH that outlasts SHUTDOWN_GRACE_SECONDS is cut, the process exits 1, and the upload resumes after a restart', { timeout: 300_000 }, async () => {
  const running = await startBackendServer('sqlite', { SHUTDOWN_GRACE_SECONDS: '1' });
  let restarted: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    const data = randomBytes(300_000);
    const created = await createTusUpload(running.server.url, data.length);
    const patch = halfSentPatch(created, data, 100_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => running.server.process.once('exit', (code) => resolve(code)));
    running.server.process.kill('SIGTERM');
    assert.equal(await exited, 1, 'exit 1: a request was still in flight');
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 10_000, `exited after ${took} ms, at the bound`);
    await patch.failed;

    restarted = await startServerProcess({ DATA_DIR: path.join(running.work, 'data') });
    const auth = { ...TUS, authorization: `Bearer ${created.upload_token}` };
    const head = await fetch(`${restarted.url}/uploads/${created.id}`, { method: 'HEAD', headers: auth });
    assert.equal(head.status, 200);
    const kept = Number(head.headers.get('upload-offset'));
    assert.ok(kept >= 0 && kept <= 100_000, `kept ${kept} of the 100000 bytes sent`);
    const rest = await fetch(`${restarted.url}/uploads/${created.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'upload-offset': String(kept), 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(data.subarray(kept)),
    });
    assert.equal(rest.status, 204);
    assert.deepEqual(await download(restarted.url, created.id), data, 'resumed from what was kept, the file is whole');
  } finally {
    await restarted?.stop();
    await running.close();
  }
});
