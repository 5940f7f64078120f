import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';

// Issue 8 item 4, over a real socket: a body that trickles is cut off, and leaves nothing behind.

interface RawAnswer {
  status: number;
  body: string;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Sends `head` and `start` at once, then nothing more: waits for the server's answer and its close. */
function stall(port: number, head: string, start: Buffer, giveUpMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${giveUpMs} ms: ${text}`));
    }, giveUpMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {}); // a reset after the answer is a close too
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), closed: true });
    });
    socket.write(head);
    socket.write(start);
  });
}

const request = (method: string, path: string, headers: Record<string, string | number>) =>
  `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

for (const backend of BACKENDS) {
  describe(`slow bodies are cut off (${backend})`, () => {
    let t: TestApp;
    let port: number;
    let base: string;
    before(async () => {
      t = await openTestApp(backend, { BODY_TIMEOUT_SECONDS: '1', UPLOAD_MIN_BYTES: '4096', UPLOAD_MIN_BYTES_SECONDS: '1', MAX_UPLOAD_BYTES: '10MiB' });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address();
      port = typeof address === 'object' && address ? address.port : 0;
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => t.close());

    test('a JSON body that does not arrive whole within BODY_TIMEOUT_SECONDS is a 408, and the connection is closed', async () => {
      const started = Date.now();
      const answer = await stall(port, request('PATCH', '/f/00000000-0000-4000-8000-000000000000/manage', { 'content-type': 'application/json', 'content-length': 200 }), Buffer.from('{"max_d'));
      assert.equal(answer.status, 408, answer.body);
      assert.equal(JSON.parse(answer.body).error, 'BODY_TIMEOUT');
      assert.ok(answer.closed);
      assert.ok(Date.now() - started < 10_000);
    });

    test('the same on a vault route, in Psono shape', async () => {
      const answer = await stall(port, request('POST', '/server/authentication/login/', { 'content-type': 'application/json', 'content-length': 500 }), Buffer.from('{"login_info": "'));
      assert.equal(answer.status, 408, answer.body);
      assert.equal(typeof JSON.parse(answer.body).detail, 'string');
    });

    test('a body refused unread (415) and never finished leaves the process serving once its deadline passes', async () => {
      // The route answers before reading the body; the client then goes quiet. When the deadline passed, the
      // unread guard stream failed with no one listening, and the unhandled error ended the whole process.
      const socket: Socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      let text = '';
      let closed = false;
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => (closed = true));
      socket.write(request('POST', '/server/password/', { 'content-type': 'text/plain', 'content-length': 5000 }));
      socket.write('{"username": "');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.match(text, /^HTTP\/1\.1 415/, text);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past BODY_TIMEOUT_SECONDS
      assert.ok(closed, 'the connection is closed at the deadline (the rest of the body is never read)');
      socket.destroy();
      const res = await fetch(`${base}/livez`);
      assert.equal(res.status, 200, 'the process still serves');
    });

    test('control: a whole JSON body is answered on its merits', async () => {
      const res = await fetch(`${base}/f/00000000-0000-4000-8000-000000000000/manage?token=${'a'.repeat(43)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ max_downloads: 3 }),
      });
      assert.equal(res.status, 404);
    });

    test('an upload that sends too few bytes per window is a 408 and leaves no row, blob or partial', async () => {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(1024 * 1024)));
      const headerEnd = body.indexOf('\r\n\r\n', body.indexOf('name="file"')) + 4;
      // The fields and the start of the file: the pending upload exists when the client goes quiet.
      const answer = await stall(port, request('POST', '/upload', { 'content-type': contentType, 'content-length': body.length }), body.subarray(0, headerEnd + 100));
      assert.equal(answer.status, 408, answer.body);
      assert.equal(JSON.parse(answer.body).error, 'UPLOAD_TOO_SLOW');
      assert.deepEqual(await allFileIds(t.stores.metadata), [], 'no metadata row');
      assert.deepEqual(await blobFiles(t.stores.dataDir), [], 'no blob, whole or partial');
    });

    test('an upload that goes quiet before its file part is a 408 too', async () => {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(64 * 1024)));
      const answer = await stall(port, request('POST', '/upload', { 'content-type': contentType, 'content-length': body.length }), body.subarray(0, 40));
      assert.equal(answer.status, 408, answer.body);
      assert.deepEqual(await allFileIds(t.stores.metadata), []);
    });

    test('control: an upload at full speed under the same rule is stored', async () => {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(2 * 1024 * 1024)));
      const res = await fetch(`${base}/upload`, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
      assert.equal(res.status, 200, await res.clone().text());
      const { id } = (await res.json()) as { id: string };
      assert.deepEqual(await allFileIds(t.stores.metadata), [id]);
    });
  });
}
