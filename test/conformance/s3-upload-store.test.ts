import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobStoreUnavailable } from '../../src/store/blob-store.js';
import { S3BlobStore } from '../../src/store/blob/s3-blob-store.js';
import { parseS3Location } from '../../src/store/blob/s3-location.js';
import { S3UploadStore } from '../../src/store/blob/s3-upload-store.js';
import { startFaultyProxy, type FaultyProxy } from '../helpers/faulty-proxy.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

const PIECE = 65_536;

async function* chunksOf(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

// What the conformance suite cannot say about the S3 store: partials shared by stores on one
// bucket (two instances), a store failing mid-append, and the bucket's usage report.
describe('S3UploadStore on s3rver', () => {
  let s3: S3TestServer;
  let proxy: FaultyProxy;
  let blobsA: S3BlobStore;
  let blobsB: S3BlobStore;
  let a: S3UploadStore;
  let b: S3UploadStore;
  let n = 0;
  const key = () => `s${Date.now()}_${(n += 1)}`;
  before(async () => {
    s3 = await startS3Server();
    proxy = await startFaultyProxy(s3.endpoint);
    // A through the proxy that can break it, B straight to the server: two processes' clients.
    blobsA = new S3BlobStore({ location: parseS3Location(s3.blobStoreUrl({ prefix: 'p', endpoint: proxy.url })), partSizeBytes: PIECE });
    blobsB = new S3BlobStore({ location: parseS3Location(s3.blobStoreUrl({ prefix: 'p' })), partSizeBytes: PIECE });
    a = new S3UploadStore(blobsA, { pieceBytes: PIECE });
    b = new S3UploadStore(blobsB, { pieceBytes: PIECE });
  });
  after(async () => {
    blobsA.close();
    blobsB.close();
    await proxy.close();
    await s3.close();
  });

  test('a partial made by one store is continued, completed and served by another on the same bucket', async () => {
    const data = randomBytes(3 * PIECE + 99);
    const k = key();
    await a.create(k);
    assert.equal(await b.offset(k), 0);
    assert.equal(await b.append(k, 0, chunksOf(data.subarray(0, 100_000), 10_000)), 100_000);
    assert.equal(await a.offset(k), 100_000);
    assert.equal(await a.append(k, 100_000, chunksOf(data.subarray(100_000), 30_000)), data.length);
    assert.deepEqual(await b.complete(k, k), { sizeBytes: data.length });
    assert.equal(await a.offset(k), undefined);
    const blob = await blobsA.get(k);
    assert.ok(blob);
    assert.deepEqual(await buffer(blob.stream), data);
    await blobsA.delete(k);
  });

  test('a store that fails mid-append keeps the whole pieces before the failure; the upload goes on from there', async () => {
    const data = randomBytes(4 * PIECE);
    const k = key();
    await a.create(k);
    // Every piece but the first is refused.
    proxy.setFault({ kind: 'status500', when: (r) => r.method === 'PUT' && r.url?.includes(`/partials/${k}/`) === true && !new URL(r.url, 'http://x').pathname.endsWith('/0000000000000000') });
    try {
      await assert.rejects(a.append(k, 0, chunksOf(data, 10_000)), BlobStoreUnavailable);
    } finally {
      proxy.setFault(undefined);
    }
    assert.equal(await a.offset(k), PIECE, 'the first piece, and nothing of the refused one');
    // Control: the same append from the kept offset succeeds.
    assert.equal(await a.append(k, PIECE, chunksOf(data.subarray(PIECE), 10_000)), data.length);
    await a.complete(k, k);
    const blob = await blobsB.get(k);
    assert.ok(blob);
    assert.deepEqual(await buffer(blob.stream), data);
    await blobsB.delete(k);
  });

  test('a partial whose marker is gone (a crash while it was deleted) has no offset, and its pieces are swept', async () => {
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const k = key();
      const other = key();
      for (const each of [k, other]) {
        await b.create(each);
        await b.append(each, 0, chunksOf(randomBytes(PIECE + 5), PIECE));
      }
      await direct.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `p/partials/${k}/created` }));
      assert.equal(await b.offset(k), undefined);
      await assert.rejects(b.append(k, 0, chunksOf(randomBytes(1), 1)), /not at that offset/);
      const pieces = async (of: string) => (await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `p/partials/${of}/` }))).Contents?.length ?? 0;
      assert.equal(await pieces(k), 2);
      // The other partial is claimed (its upload row is alive): kept whole.
      assert.equal(await b.sweepStale(new Date(Date.now() + 60_000), async (claimed) => claimed === other), 1);
      assert.equal(await pieces(k), 0);
      assert.equal(await b.offset(other), PIECE + 5);
      await b.delete(other);
      assert.equal(await pieces(other), 0);
    } finally {
      direct.destroy();
    }
  });

  test('a partial with a gap between its pieces is refused, not read as shorter (control: an intact one reads)', async () => {
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const k = key();
      const intact = key();
      for (const each of [k, intact]) {
        await b.create(each);
        await b.append(each, 0, chunksOf(randomBytes(3 * PIECE), PIECE));
      }
      await direct.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `p/partials/${k}/${String(PIECE).padStart(16, '0')}` }));
      await assert.rejects(b.offset(k), /do not follow each other/);
      await assert.rejects(b.complete(k, k), /do not follow each other/);
      assert.equal(await b.offset(intact), 3 * PIECE);
      await b.delete(k);
      await b.delete(intact);
    } finally {
      direct.destroy();
    }
  });

  for (const layout of ['whole pieces', 'a short piece inside'] as const) {
    test(`complete with ${layout}: ${layout === 'whole pieces' ? 'copied inside the store (no byte through the process)' : 'streamed through the process'}; the same blob either way`, async () => {
      // Pieces count as S3 parts from PIECE bytes on here (5 MiB in production).
      const copying = new S3UploadStore(blobsA, { pieceBytes: PIECE, minCopyPartBytes: PIECE });
      const data = randomBytes(3 * PIECE + 123);
      const k = key();
      await copying.create(k);
      if (layout === 'whole pieces') await copying.append(k, 0, chunksOf(data, 10_000));
      else {
        // Appends never leave a short piece inside any more (they fill up the last one); a partial
        // left by an earlier version may have them: pieces of 1000, PIECE, PIECE and the rest.
        const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
        try {
          for (const [start, end] of [[0, 1000], [1000, 1000 + PIECE], [1000 + PIECE, 1000 + 2 * PIECE], [1000 + 2 * PIECE, data.length]] as const) {
            await direct.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `p/partials/${k}/${String(start).padStart(16, '0')}`, Body: data.subarray(start, end) }));
          }
        } finally {
          direct.destroy();
        }
        assert.equal(await copying.offset(k), data.length);
      }
      let copies = 0;
      let pieceReads = 0;
      proxy.setFault({
        kind: 'status500',
        when: (r) => {
          if (typeof r.headers['x-amz-copy-source'] === 'string') copies += 1;
          if (r.method === 'GET' && r.url?.includes('/partials/') === true && !r.url.includes('list-type')) pieceReads += 1;
          return false;
        },
      });
      try {
        assert.deepEqual(await copying.complete(k, k), { sizeBytes: data.length });
      } finally {
        proxy.setFault(undefined);
      }
      assert.deepEqual({ copies, pieceReads }, layout === 'whole pieces' ? { copies: 4, pieceReads: 0 } : { copies: 0, pieceReads: 4 });
      const blob = await blobsB.get(k);
      assert.ok(blob);
      assert.deepEqual(await buffer(blob.stream), data);
      assert.equal(await copying.offset(k), undefined);
      const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
      try {
        assert.equal((await direct.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'p/' }))).Uploads?.length ?? 0, 0, 'no multipart upload left');
        assert.equal((await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `p/partials/${k}/` }))).Contents?.length ?? 0, 0, 'no piece left');
      } finally {
        direct.destroy();
      }
      await blobsB.delete(k);
    });
  }

  /** The sizes of a partial's pieces, in order (the marker left out). */
  const pieceSizes = async (k: string): Promise<number[]> => {
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const listed = (await direct.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `p/partials/${k}/` }))).Contents ?? [];
      return listed.filter((o) => !(o.Key ?? '').endsWith('/created')).sort((x, y) => (x.Key ?? '').localeCompare(y.Key ?? '')).map((o) => o.Size ?? -1);
    } finally {
      direct.destroy();
    }
  };

  test('many short appends fill up the last piece: never more than ceil(length / pieceBytes) pieces, each but the last whole; complete copies them', async () => {
    const copying = new S3UploadStore(blobsA, { pieceBytes: PIECE, minCopyPartBytes: PIECE });
    const data = randomBytes(3 * PIECE + 4321);
    const k = key();
    await copying.create(k);
    let offset = 0;
    let appends = 0;
    for (const step of [10_000, 1, PIECE - 3, 20_000, 70_000]) {
      for (let i = 0; i < 4 && offset < data.length; i += 1) {
        const end = Math.min(data.length, offset + step);
        offset = await copying.append(k, offset, chunksOf(data.subarray(offset, end), 4_096));
        appends += 1;
        assert.equal(offset, end);
        const sizes = await pieceSizes(k);
        assert.ok(sizes.length <= Math.ceil(offset / PIECE), `${sizes.length} pieces for ${offset} bytes after ${appends} appends`);
        assert.deepEqual(sizes.slice(0, -1), sizes.slice(0, -1).map(() => PIECE), 'every piece but the last is whole');
        assert.equal(sizes.reduce((sum, n) => sum + n, 0), offset);
      }
    }
    while (offset < data.length) offset = await copying.append(k, offset, chunksOf(data.subarray(offset, offset + 9_999), 4_096));
    assert.deepEqual(await pieceSizes(k), [PIECE, PIECE, PIECE, 4321]);
    let copies = 0;
    proxy.setFault({ kind: 'status500', when: (r) => ((copies += typeof r.headers['x-amz-copy-source'] === 'string' ? 1 : 0), false) });
    try {
      assert.deepEqual(await copying.complete(k, k), { sizeBytes: data.length });
    } finally {
      proxy.setFault(undefined);
    }
    assert.equal(copies, 4, 'the pieces were copied inside the store, not streamed');
    const blob = await blobsB.get(k);
    assert.ok(blob);
    assert.deepEqual(await buffer(blob.stream), data);
    await blobsB.delete(k);
  });

  test('filling up a piece that the store refuses to read back or to put again keeps the piece as it was; the same append then succeeds', async () => {
    const data = randomBytes(30_000);
    const k = key();
    await a.create(k);
    assert.equal(await a.append(k, 0, chunksOf(data.subarray(0, 10_000), 4_096)), 10_000);
    const first = (r: { url?: string }) => r.url?.includes(`/partials/${k}/0000000000000000`) === true && !r.url.includes('list-type');
    for (const refused of ['GET', 'PUT'] as const) {
      proxy.setFault({ kind: 'status500', when: (r) => r.method === refused && first(r) });
      try {
        await assert.rejects(a.append(k, 10_000, chunksOf(data.subarray(10_000, 20_000), 4_096)), BlobStoreUnavailable, refused);
        assert.ok(proxy.hits() > 0, `the ${refused} was refused`);
      } finally {
        proxy.setFault(undefined);
      }
      assert.equal(await a.offset(k), 10_000, `after a refused ${refused}`);
      assert.deepEqual(await pieceSizes(k), [10_000]);
    }
    // Control: the store answering again, the same append and the rest.
    assert.equal(await a.append(k, 10_000, chunksOf(data.subarray(10_000, 20_000), 4_096)), 20_000);
    assert.equal(await a.append(k, 20_000, chunksOf(data.subarray(20_000), 4_096)), 30_000);
    assert.deepEqual(await pieceSizes(k), [30_000]);
    await a.complete(k, k);
    const blob = await blobsB.get(k);
    assert.ok(blob);
    assert.deepEqual(await buffer(blob.stream), data);
    await blobsB.delete(k);
  });

  test('a copy that fails mid-complete leaves the partial whole and no multipart upload; completing again succeeds', async () => {
    const copying = new S3UploadStore(blobsA, { pieceBytes: PIECE, minCopyPartBytes: PIECE });
    const data = randomBytes(3 * PIECE);
    const k = key();
    await copying.create(k);
    await copying.append(k, 0, chunksOf(data, 10_000));
    proxy.setFault({ kind: 'status500', when: (r) => typeof r.headers['x-amz-copy-source'] === 'string' && /[?&]partNumber=2(&|$)/.test(r.url ?? '') });
    try {
      await assert.rejects(copying.complete(k, k), BlobStoreUnavailable);
      assert.ok(proxy.hits() > 0, 'the copy of the second piece was refused');
    } finally {
      proxy.setFault(undefined);
    }
    assert.equal(await copying.offset(k), data.length, 'the partial is whole');
    assert.equal(await blobsB.get(k), undefined, 'no blob');
    const direct = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      assert.equal((await direct.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'p/' }))).Uploads?.length ?? 0, 0, 'the multipart upload was aborted');
    } finally {
      direct.destroy();
    }
    // Control: the same complete, the store answering again.
    assert.deepEqual(await copying.complete(k, k), { sizeBytes: data.length });
    const blob = await blobsB.get(k);
    assert.ok(blob);
    assert.deepEqual(await buffer(blob.stream), data);
    await blobsB.delete(k);
  });

  test('a store without UploadPartCopy (NotImplemented): complete streams the pieces instead, and leaves no multipart upload', async () => {
    const plain = await startS3Server('blindvault-nocopy', { uploadPartCopy: false });
    const blobs = new S3BlobStore({ location: parseS3Location(plain.blobStoreUrl({ prefix: 'q' })), partSizeBytes: PIECE });
    const direct = new S3Client({ region: 'us-east-1', endpoint: plain.endpoint, forcePathStyle: true });
    try {
      const uploads = new S3UploadStore(blobs, { pieceBytes: PIECE, minCopyPartBytes: PIECE });
      for (const size of [2 * PIECE + 7, PIECE]) {
        const data = randomBytes(size);
        const k = key();
        await uploads.create(k);
        await uploads.append(k, 0, chunksOf(data, 10_000));
        assert.deepEqual(await uploads.complete(k, k), { sizeBytes: size });
        const blob = await blobs.get(k);
        assert.ok(blob);
        assert.deepEqual(await buffer(blob.stream), data);
        assert.equal((await direct.send(new ListMultipartUploadsCommand({ Bucket: plain.bucket, Prefix: 'q/' }))).Uploads?.length ?? 0, 0);
      }
    } finally {
      blobs.close();
      direct.destroy();
      await plain.close();
    }
  });

  test("the bucket's usage counts blobs, not the pieces of partials", async () => {
    const before = await blobsB.usage();
    const k = key();
    await b.create(k);
    await b.append(k, 0, chunksOf(randomBytes(2 * PIECE + 1), PIECE));
    assert.deepEqual(await blobsB.usage(), before);
    await b.complete(k, k);
    const after = await blobsB.usage();
    assert.equal(after.blobs, before.blobs + 1);
    assert.equal(after.bytes, before.bytes + 2 * PIECE + 1);
    await blobsB.delete(k);
  });
});
