import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from 'tus-js-client';
import type { CreateUploadResponse } from '../../src/protocol/uploads.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { OCTETS, TUS } from '../helpers/uploads.js';

const MIB = 1024 * 1024;
const exec = promisify(execFile);

// Resumable (tus) uploads into the S3 store: the server process configured with BLOB_STORE=s3://…
// (s3rver on loopback) and PostgreSQL, a transfer cut mid-PATCH and resumed by tus-js-client, the
// file served byte for byte from the bucket, and nothing left behind (partial pieces, multipart uploads).
describe('resumable uploads into the S3 store (server process, BLOB_STORE=s3://…)', () => {
  let database: TestDatabase;
  let s3: S3TestServer;
  let direct: S3Client;
  let work: string;
  let server: ServerProcess;

  before(async () => {
    database = await createTestDatabase();
    s3 = await startS3Server();
    direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    work = await mkdtemp(path.join(tmpdir(), 'blindvault-s3-uploads-'));
    server = await startServerProcess({
      DATA_DIR: path.join(work, 'data'),
      DATABASE_URL: database.url,
      BLOB_STORE: s3.blobStoreUrl({ prefix: 'tus' }),
      UPLOAD_MAX_CHUNK_BYTES: String(MIB),
      FILE_UPLOAD_RATE: '1000/hour',
    });
  });
  after(async () => {
    await server?.stop();
    direct?.destroy();
    await s3?.close();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const bucketState = async () => ({
    objects: (await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tus/' }))).Contents?.map((o) => o.Key ?? '') ?? [],
    uploads: (await direct.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'tus/' }))).Uploads?.length ?? 0,
  });
  const offsetOf = async (created: CreateUploadResponse, token = created.upload_token) => {
    const res = await fetch(created.upload_url, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });
    return { status: res.status, offset: Number(res.headers.get('upload-offset')) };
  };

  test('a transfer cut mid-PATCH resumes with tus-js-client from what was kept; the file comes back whole from the bucket', async () => {
    // Larger than one multipart part (8 MiB): completing it is a multipart upload into the bucket.
    const data = randomBytes(9 * MIB + 4321);
    const createdRes = await fetch(`${server.url}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(data.length) } });
    assert.equal(createdRes.status, 201, await createdRes.clone().text());
    const created = (await createdRes.json()) as CreateUploadResponse;
    // Refusal and control: a stranger's token learns nothing, the holder's gets the offset.
    assert.equal((await offsetOf(created, 'x'.repeat(43))).status, 404);
    assert.deepEqual(await offsetOf(created), { status: 200, offset: 0 });

    // The first PATCH is cut: 600 000 bytes of a 1 MiB chunk sent, then the connection goes.
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `PATCH /uploads/${created.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer ${created.upload_token}\r\n` +
        `Upload-Offset: 0\r\nContent-Type: ${OCTETS}\r\nContent-Length: ${MIB}\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.write(data.subarray(0, 600_000), () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();
    let kept = 0;
    for (const deadline = Date.now() + 15_000; kept === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const head = await offsetOf(created);
      assert.equal(head.status, 200);
      kept = head.offset;
    }
    assert.ok(kept > 0 && kept <= 600_000, `kept ${kept} of the 600 000 bytes sent`);
    // Nothing is served, and no blob is in the bucket, before the last byte: the kept prefix is a
    // partial in the bucket (its marker and pieces), where every instance sees it, and not in DATA_DIR.
    assert.equal((await fetch(`${server.url}/f/${created.id}/encrypted`)).status, 404);
    const partial = await bucketState();
    assert.equal(partial.uploads, 0);
    assert.ok(partial.objects.length >= 2, JSON.stringify(partial.objects));
    for (const key of partial.objects) assert.ok(key.startsWith(`tus/partials/${created.id}/`), key);
    await assert.rejects(readdir(path.join(work, 'data', 'uploads')), { code: 'ENOENT' }, 'no partial in DATA_DIR');

    // The client resumes from its stored creation answer: tus-js-client asks the offset and goes on.
    let firstOffset: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(data, {
        uploadUrl: created.upload_url,
        uploadSize: data.length,
        chunkSize: MIB,
        headers: { Authorization: `Bearer ${created.upload_token}` },
        retryDelays: [0, 200, 500],
        onChunkComplete: (chunk, accepted) => void (firstOffset ??= accepted - chunk),
        onError: reject,
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    assert.equal(firstOffset, kept, 'resumed at the kept offset, not from 0');

    const res = await fetch(`${server.url}/f/${created.id}/encrypted`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    const part = await fetch(`${server.url}/f/${created.id}/encrypted`, { headers: { range: `bytes=${8 * MIB - 5}-${8 * MIB + 4}` } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(8 * MIB - 5, 8 * MIB + 5));
    // One object in the bucket (the blob: the partial's pieces are gone), no multipart upload left open.
    const state = await bucketState();
    assert.deepEqual(state.objects, [`tus/${created.id}`]);
    assert.equal(state.uploads, 0);
    assert.doesNotMatch(server.output(), /"statusCode":5\d\d|"level":(50|60)/, server.output());

    // Deleting it through the manage link removes the object.
    assert.equal((await fetch(`${server.url}${created.redirect}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await bucketState(), { objects: [], uploads: 0 });
  });

  test('an upload sent in many short PATCHes keeps at most ceil(offset / 8 MiB) pieces (the last is filled up); the admin storage report counts it until it completes', async () => {
    const PIECE = 8 * MIB;
    const PATCH = 700 * 1024;
    const data = randomBytes(2 * PIECE + 12_345);
    const createdRes = await fetch(`${server.url}/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': String(data.length) } });
    assert.equal(createdRes.status, 201, await createdRes.clone().text());
    const created = (await createdRes.json()) as CreateUploadResponse;
    const pieces = async () => {
      const listed = (await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tus/partials/${created.id}/` }))).Contents ?? [];
      return listed.filter((o) => /\/\d{16}$/.test(o.Key ?? '')).sort((x, y) => (x.Key ?? '').localeCompare(y.Key ?? '')).map((o) => o.Size ?? -1);
    };
    const storage = async () => {
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/server/admin/main.ts', 'storage', '--json'], {
        env: { ...process.env, DATA_DIR: path.join(work, 'data'), DATABASE_URL: database.url, BLOB_STORE: s3.blobStoreUrl({ prefix: 'tus' }) },
        timeout: 120_000,
      });
      return JSON.parse(stdout) as { blobs: { blobs: number; bytes: number }; uploads: { partials: number; bytes: number } };
    };
    let patches = 0;
    for (let offset = 0; offset < data.length; ) {
      const end = Math.min(data.length, offset + PATCH);
      const res = await fetch(`${server.url}/uploads/${created.id}`, {
        method: 'PATCH',
        headers: { ...TUS, authorization: `Bearer ${created.upload_token}`, 'upload-offset': String(offset), 'content-type': OCTETS },
        body: data.subarray(offset, end),
      });
      assert.equal(res.status, 204, await res.text());
      assert.equal(res.headers.get('upload-offset'), String(end));
      offset = end;
      patches += 1;
      if (offset === data.length) break;
      const sizes = await pieces();
      assert.ok(sizes.length <= Math.ceil(offset / PIECE), `${sizes.length} pieces after ${patches} PATCHes (${offset} bytes)`);
      assert.deepEqual(sizes.slice(0, -1), sizes.slice(0, -1).map(() => PIECE), 'every piece but the last is a whole 8 MiB');
      assert.equal(sizes.reduce((sum, n) => sum + n, 0), offset);
      if (patches === 15) {
        // Between 8 and 16 MiB: two pieces, and the admin command counts the upload as unfinished.
        assert.equal(sizes.length, 2);
        const report = await storage();
        assert.deepEqual(report.uploads, { partials: 1, bytes: offset });
        assert.equal(report.blobs.blobs, 0);
      }
    }
    assert.equal(patches, Math.ceil(data.length / PATCH));
    const res = await fetch(`${server.url}/f/${created.id}/encrypted`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    assert.deepEqual(await bucketState(), { objects: [`tus/${created.id}`], uploads: 0 });
    const report = await storage();
    assert.deepEqual(report.uploads, { partials: 0, bytes: 0 });
    assert.deepEqual({ blobs: report.blobs.blobs, bytes: report.blobs.bytes }, { blobs: 1, bytes: data.length });
    assert.doesNotMatch(server.output(), /"statusCode":5\d\d|"level":(50|60)/, server.output());
    assert.equal((await fetch(`${server.url}${created.redirect}`, { method: 'DELETE' })).status, 204);
  });
});
