import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { startServerProcess } from '../helpers/server-process.js';
import { blobFiles, tempDir } from '../helpers/stores.js';

test('a running server deletes an expired file from disk on its own, without any request for it', async () => {
  const work = await tempDir();
  const dataDir = path.join(work, 'data');
  const server = await startServerProcess({ DATA_DIR: dataDir, SWEEP_INTERVAL_SECONDS: '1' });
  try {
    const upload = async (expiresIn: string) => {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(1000), [{ name: 'expires_in', value: expiresIn }]));
      const res = await fetch(`${server.url}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { id: string }).id;
    };
    const shortLived = await upload('1');
    const kept = await upload('3600'); // control: a file that has not expired stays
    const has = async (id: string) => (await blobFiles(dataDir)).some((f) => f.endsWith(id));
    assert.ok(await has(shortLived));
    const deadline = Date.now() + 10_000;
    while (await has(shortLived)) {
      assert.ok(Date.now() < deadline, 'the expired blob is still on disk after 10 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(await has(kept));
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
});
