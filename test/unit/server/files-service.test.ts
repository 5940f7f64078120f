import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../../src/server/config.js';
import { createFilesService, type UploadPart } from '../../../src/server/files/service.js';
import { BlindvaultError } from '../../../src/protocol/errors.js';
import { IV, SALT } from '../../helpers/multipart.js';
import { allFileIds, blobFiles, openTestStores, type TestStores } from '../../helpers/stores.js';

const STALE_SECONDS = 600;

/** An upload whose file part sends one chunk each time `next()` is called. */
function slowUpload(chunks: number) {
  const gates: Array<() => void> = [];
  let sent = 0;
  const waiters: Array<() => void> = [];
  const parts = (async function* (): AsyncGenerator<UploadPart> {
    yield { kind: 'field', name: 'e2e', value: 'true' };
    yield { kind: 'field', name: 'e2e_salt', value: SALT.toString('base64') };
    yield { kind: 'field', name: 'e2e_iv', value: IV.toString('base64') };
    yield {
      kind: 'file',
      name: 'file',
      stream: (async function* () {
        for (let i = 0; i < chunks; i += 1) {
          await new Promise<void>((resolve) => gates.push(resolve));
          yield randomBytes(1000);
          sent += 1;
          waiters.shift()?.();
        }
      })(),
    };
  })();
  return {
    parts,
    /** Lets one more chunk through and waits until the service has taken it. */
    async next() {
      while (gates.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const before = sent;
      const taken = new Promise<void>((resolve) => waiters.push(resolve));
      gates.shift()?.();
      await taken;
      assert.equal(sent, before + 1);
      await new Promise((resolve) => setTimeout(resolve, 20)); // let the store write catch up
    },
  };
}

describe('files service: uploads and the sweeper', () => {
  let stores: TestStores;
  let nowMs = Date.parse('2026-06-01T00:00:00Z');
  before(async () => {
    stores = await openTestStores('sqlite');
  });
  after(async () => stores.close());
  const service = () =>
    createFilesService({
      metadata: stores.metadata,
      blobs: stores.blobs,
      config: parseConfig({ STALE_UPLOAD_SECONDS: String(STALE_SECONDS) }),
      clock: () => new Date(nowMs),
    });

  test('an upload that keeps receiving bytes is never swept as abandoned, however long it takes', async () => {
    const files = service();
    const upload = slowUpload(4);
    const result = files.upload(upload.parts, '203.0.113.7');
    for (let i = 0; i < 3; i += 1) {
      await upload.next();
      nowMs += (STALE_SECONDS / 2) * 1000; // half the stale time between chunks: 1.5× in all
      await files.sweep();
      assert.equal((await allFileIds(stores.metadata)).length, 1, `still pending after chunk ${i + 1}`);
    }
    await upload.next();
    const { record } = await result;
    assert.equal(record.sizeBytes, 4000);
    assert.equal(record.state, 'ready');
    // A finished file expires a day later: move past that so the next test starts clean.
    nowMs += 2 * 86400_000;
    await files.sweep();
  });

  test('an upload that stops sending is swept, and its late end is a 4xx, not a 500', async () => {
    const files = service();
    const rowsBefore = await allFileIds(stores.metadata);
    const blobsBefore = await blobFiles(stores.dataDir);
    const storedBefore = (await stores.metadata.uploadUsage()).storedBytes;
    const upload = slowUpload(2);
    const outcome = files.upload(upload.parts, '203.0.113.7').then(() => undefined, (error: unknown) => error);
    await upload.next();
    assert.equal((await allFileIds(stores.metadata)).length, rowsBefore.length + 1, 'pending');
    assert.ok((await stores.metadata.uploadUsage()).storedBytes > storedBefore, 'the pending upload holds reserved bytes');
    nowMs += (STALE_SECONDS + 1) * 1000;
    await files.sweep();
    assert.deepEqual(await allFileIds(stores.metadata), rowsBefore, 'swept as abandoned');
    assert.equal((await stores.metadata.uploadUsage()).storedBytes, storedBefore, 'sweeping it gave its reserved bytes back');
    await upload.next();
    const error = await outcome;
    assert.ok(error instanceof BlindvaultError, String(error));
    assert.equal(error.code, 'UPLOAD_ABORTED');
    assert.equal(error.status, 400);
    assert.deepEqual(await allFileIds(stores.metadata), rowsBefore);
    assert.deepEqual(await blobFiles(stores.dataDir), blobsBefore, 'no blob left of it');
  });
});
