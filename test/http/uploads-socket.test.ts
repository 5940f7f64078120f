import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Upload } from 'tus-js-client';
import type { CreateUploadResponse } from '../../src/protocol/uploads.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { BACKENDS, allFileIds, blobFiles } from '../helpers/stores.js';
import { OCTETS, TUS } from '../helpers/uploads.js';

const MIB = 1024 * 1024;

async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** No request of the run answered 5xx, and nothing unexpected was logged. */
function assertNoServerFault(t: TestApp): void {
  const lines = t.logs.map((l) => JSON.parse(l) as { level: number; statusCode?: number; msg: string });
  assert.deepEqual(lines.filter((l) => (l.statusCode ?? 0) >= 500 || l.level >= 50), []);
}

for (const backend of BACKENDS) {
  describe(`resumable uploads over a real socket (${backend})`, () => {
    let t: TestApp;
    let base: string;
    before(async () => {
      t = await openTestApp(backend, { UPLOAD_MAX_CHUNK_BYTES: String(MIB), MAX_UPLOAD_BYTES: String(64 * MIB) });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    after(async () => t.close());

    const create = async (lengthBytes: number): Promise<CreateUploadResponse> => {
      const res = await fetch(`${base}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(lengthBytes) } });
      assert.equal(res.status, 201);
      return (await res.json()) as CreateUploadResponse;
    };
    const offsetOf = async (created: CreateUploadResponse): Promise<number> => {
      const res = await fetch(created.upload_url, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${created.upload_token}` } });
      assert.equal(res.status, 200);
      return Number(res.headers.get('upload-offset'));
    };
    const download = async (id: string) => Buffer.from(await (await fetch(`${base}/f/${id}/encrypted`)).arrayBuffer());
    const leftovers = async (id: string) => (await blobFiles(t.stores.dataDir)).filter((f) => f.endsWith(id));

    test('tus-js-client: an upload aborted mid-way resumes from the stored URL and completes whole, as one file', async () => {
      const data = randomBytes(6 * MIB + 12_345);
      const created = await create(data.length);
      // What a client persists before it sends a byte: the creation answer.
      const stored = JSON.stringify(created);
      const options = (record: CreateUploadResponse) => ({
        uploadUrl: record.upload_url,
        uploadSize: data.length,
        chunkSize: 512 * 1024,
        headers: { Authorization: `Bearer ${record.upload_token}` },
        retryDelays: [0, 200, 500],
      });
      await new Promise<void>((resolve, reject) => {
        let aborted = false;
        const upload: Upload = new Upload(data, {
          ...options(created),
          onProgress: (sent) => {
            if (!aborted && sent > 2 * MIB) {
              aborted = true;
              // Mid-chunk: the server sees the connection go in the middle of a PATCH body.
              upload.abort().then(resolve, reject);
            }
          },
          onError: reject,
          onSuccess: () => reject(new Error('completed before it was aborted')),
        });
        upload.start();
      });
      const reached = await eventually(async () => {
        const offset = await offsetOf(created);
        return offset > 0 ? offset : undefined;
      }, 'the bytes before the abort are kept');
      assert.ok(reached < data.length, `stopped part-way (${reached})`);
      assertErrorFree404(await fetch(`${base}/f/${created.id}/encrypted`));

      const record = JSON.parse(stored) as CreateUploadResponse;
      let firstOffset: number | undefined;
      await new Promise<void>((resolve, reject) => {
        const upload = new Upload(data, {
          ...options(record),
          onChunkComplete: (chunk, accepted) => void (firstOffset ??= accepted - chunk),
          onError: reject,
          onSuccess: () => resolve(),
        });
        upload.start();
      });
      assert.ok(firstOffset !== undefined && firstOffset >= reached, `resumed at ${firstOffset}, not from 0`);
      assert.deepEqual(await download(created.id), data);
      assert.equal((await allFileIds(t.stores.metadata)).filter((id) => id === created.id).length, 1);
      assert.deepEqual(await leftovers(created.id), [`blobs/${created.id.slice(0, 2)}/${created.id}`]);
      assertNoServerFault(t);
    });

    test('a client hanging up mid-PATCH: no 5xx, the received prefix is kept and the rest can follow', async () => {
      const data = randomBytes(3 * MIB);
      const created = await create(data.length);
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `PATCH /uploads/${created.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${created.upload_token}\r\n` +
          `Upload-Offset: 0\r\nContent-Type: ${OCTETS}\r\nContent-Length: ${MIB}\r\n\r\n`,
      );
      await new Promise<void>((resolve) => socket.write(data.subarray(0, 600_000), () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 150));
      socket.destroy();
      const kept = await eventually(async () => {
        const offset = await offsetOf(created);
        return offset > 0 ? offset : undefined;
      }, 'the prefix is stored');
      assert.ok(kept <= 600_000, `kept ${kept}`);
      for (let offset = kept; offset < data.length; offset += MIB) {
        const body = data.subarray(offset, offset + MIB);
        const res = await fetch(created.upload_url, {
          method: 'PATCH',
          headers: { ...TUS, authorization: `Bearer ${created.upload_token}`, 'upload-offset': String(offset), 'content-type': OCTETS },
          body,
        });
        assert.equal(res.status, 204, await res.text());
      }
      assert.deepEqual(await download(created.id), data);
      assertNoServerFault(t);
    });

    test('a chunk streamed without Content-Length is cut at UPLOAD_MAX_CHUNK_BYTES with a 413', async () => {
      const data = randomBytes(3 * MIB);
      const created = await create(data.length);
      const res = await fetch(created.upload_url, {
        method: 'PATCH',
        headers: { ...TUS, authorization: `Bearer ${created.upload_token}`, 'upload-offset': '0', 'content-type': OCTETS },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < data.length; i += 256 * 1024) controller.enqueue(data.subarray(i, i + 256 * 1024));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 413, await res.clone().text());
      assert.equal(((await res.json()) as { error: string }).error, 'PAYLOAD_TOO_LARGE');
      const offset = await offsetOf(created);
      assert.ok(offset <= MIB, `no more than one chunk's worth kept (${offset})`);
      assertNoServerFault(t);
    });

    test('hung-up uploads leave nothing behind once ended or abandoned', async () => {
      const hangUp = async (created: CreateUploadResponse) => {
        const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(
          `PATCH /uploads/${created.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${created.upload_token}\r\n` +
            `Upload-Offset: 0\r\nContent-Type: ${OCTETS}\r\nContent-Length: ${MIB}\r\n\r\n`,
        );
        await new Promise<void>((resolve) => socket.write(randomBytes(300_000), () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.destroy();
        await eventually(async () => ((await offsetOf(created)) > 0 ? true : undefined), 'the prefix is stored');
      };
      const ended = await create(2 * MIB);
      const abandoned = await create(2 * MIB);
      await hangUp(ended);
      await hangUp(abandoned);
      const end = await fetch(ended.upload_url, { method: 'DELETE', headers: { ...TUS, authorization: `Bearer ${ended.upload_token}` } });
      assert.equal(end.status, 204);
      assert.deepEqual(await leftovers(ended.id), []);
      t.advance(86_401_000);
      try {
        await t.uploads.sweep();
        await t.files.sweep();
      } finally {
        t.advance(-86_401_000);
      }
      assert.deepEqual(await leftovers(abandoned.id), []);
      const ids = await allFileIds(t.stores.metadata);
      assert.ok(!ids.includes(ended.id) && !ids.includes(abandoned.id), 'no rows');
      assertNoServerFault(t);
    });
  });
}

describe('a PATCH that trickles below the upload pace', () => {
  test('is cut off with 408 UPLOAD_TOO_SLOW, keeps what arrived, and the upload goes on from there', async () => {
    const t = await openTestApp('sqlite', { UPLOAD_MIN_BYTES: '65536', UPLOAD_MIN_BYTES_SECONDS: '1' });
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const data = randomBytes(300_000);
      const res = await fetch(`${base}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(data.length) } });
      const created = (await res.json()) as CreateUploadResponse;
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.on('error', () => {});
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (/\r\n\r\n[\s\S]*\}/.test(text)) resolve(text);
        });
        socket.on('close', () => resolve(text));
      });
      socket.write(
        `PATCH /uploads/${created.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${created.upload_token}\r\n` +
          `Upload-Offset: 0\r\nContent-Type: ${OCTETS}\r\nContent-Length: ${data.length}\r\n\r\n`,
      );
      socket.write(data.subarray(0, 10_000));
      const text = await answer;
      socket.destroy();
      assert.match(text, /^HTTP\/1\.1 408/);
      assert.match(text, /"error":"UPLOAD_TOO_SLOW"/);
      const head = await fetch(created.upload_url, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${created.upload_token}` } });
      const kept = Number(head.headers.get('upload-offset'));
      assert.ok(kept <= 10_000, `kept ${kept}`);
      const rest = await fetch(created.upload_url, {
        method: 'PATCH',
        headers: { ...TUS, authorization: `Bearer ${created.upload_token}`, 'upload-offset': String(kept), 'content-type': OCTETS },
        body: new Uint8Array(data.subarray(kept)),
      });
      assert.equal(rest.status, 204);
      assert.deepEqual(Buffer.from(await (await fetch(`${base}/f/${created.id}/encrypted`)).arrayBuffer()), data);
      assertNoServerFault(t);
    } finally {
      await t.close();
    }
  });
});

function assertErrorFree404(res: Response): void {
  assert.equal(res.status, 404, 'nothing partial is served');
}
