import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { blobChunkBody } from '../../web/chunk-blob.js';

// The page's tus chunk body: the chunk's stream gathered into one Blob (web/chunk-blob.ts).
function streamOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

test('a chunk of many pieces becomes one Blob of the same bytes, in order', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 777);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 65_536 + 3) pieces.push(bytes.subarray(at, Math.min(bytes.length, at + 65_536 + 3)));
  const body = await blobChunkBody(streamOf(pieces), bytes.length);
  assert.ok(body instanceof Blob);
  assert.equal(body.size, bytes.length);
  assert.deepEqual(Buffer.from(await body.arrayBuffer()), bytes);
});

test('a chunk shorter or longer than asked is refused (UPLOAD_CHANGED); control: the exact length passes', async () => {
  const bytes = randomBytes(1000);
  await assert.rejects(Promise.resolve(blobChunkBody(streamOf([bytes]), 1001)), { code: 'UPLOAD_CHANGED' });
  await assert.rejects(Promise.resolve(blobChunkBody(streamOf([bytes]), 999)), { code: 'UPLOAD_CHANGED' });
  assert.equal(((await blobChunkBody(streamOf([bytes]), 1000)) as Blob).size, 1000);
});
