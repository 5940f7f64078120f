import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BlindvaultError, blobSource, deleteFile, downloadFile, fileInfo, uploadFile, type ResumeStore, type UploadResumeRecord } from '../../../src/client/index.js';
import { startBackendServer, type BackendServer } from '../../helpers/server-process.js';

// The SDK as a browser would use it (Blob sources, WebCrypto, no Node adapter) against a real server process.

async function all(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

function memoryResumeStore(): ResumeStore & { records: Map<string, UploadResumeRecord> } {
  const records = new Map<string, UploadResumeRecord>();
  return {
    records,
    find: async (match) => records.get(match),
    save: async (record) => void records.set(record.match, record),
    remove: async (match) => void records.delete(match),
  };
}

const isCode = (code: string) => (e: unknown) => e instanceof BlindvaultError && e.code === code;

describe('SDK: uploadFile, downloadFile, fileInfo, deleteFile', () => {
  let running: BackendServer;
  let serverUrl: string;
  before(async () => {
    running = await startBackendServer('sqlite', { FILE_UPLOAD_RATE: '1000/hour' });
    serverUrl = running.server.url;
  });
  after(async () => running?.close());

  test('a v2 upload reports progress up to the ciphertext size; the download is a stream of the plaintext', async () => {
    const plaintext = new Uint8Array(randomBytes(3 * 1024 * 1024 + 11));
    const progress: [number, number][] = [];
    const result = await uploadFile(blobSource(new Blob([plaintext])), { serverUrl, maxDownloads: 2, onProgress: (sent, total) => progress.push([sent, total]), chunkSizeBytes: 1024 * 1024 });
    assert.equal(result.format, 'v2');
    assert.equal(result.resumed, false);
    assert.equal(result.maxDownloads, 2);
    const total = 57 + plaintext.length + 16 * Math.ceil(plaintext.length / (256 * 1024));
    assert.ok(progress.length >= 2);
    assert.ok(progress.every(([sent, t], i) => t === total && sent <= total && (i === 0 || sent >= (progress[i - 1] as [number, number])[0])));
    assert.equal(progress.at(-1)?.[0], total);
    const download = await downloadFile(result.downloadUrl);
    assert.equal(download.format, 'v2');
    assert.deepEqual(await all(download.plaintext), plaintext);
    assert.equal((await fileInfo(result.manageUrl)).downloads, 1);
  });

  test('an aborted upload resumes from its saved state: same file, whole', async () => {
    const plaintext = new Uint8Array(randomBytes(6 * 1024 * 1024));
    const source = blobSource(new Blob([plaintext]), { location: 'memory:resume-test', identity: 'v1' });
    const store = memoryResumeStore();
    const controller = new AbortController();
    await assert.rejects(
      uploadFile(source, { serverUrl, resume: store, chunkSizeBytes: 1024 * 1024, signal: controller.signal, onProgress: (sent) => sent >= 2 * 1024 * 1024 && controller.abort() }),
    );
    const saved = [...store.records.values()][0];
    assert.ok(saved, 'the state was saved before the first byte');
    assert.equal(saved.fileKey?.length, 43, 'a random-key upload keeps its key to resume');
    const result = await uploadFile(source, { serverUrl, resume: store, chunkSizeBytes: 1024 * 1024 });
    assert.equal(result.resumed, true);
    assert.equal(result.id, saved.id);
    assert.equal(store.records.size, 0, 'the state is removed when done');
    assert.deepEqual(await all((await downloadFile(result.downloadUrl)).plaintext), plaintext);
  });

  test('a changed source is never resumed: a new upload with a new key', async () => {
    const store = memoryResumeStore();
    const controller = new AbortController();
    const first = blobSource(new Blob([new Uint8Array(randomBytes(4 * 1024 * 1024))]), { location: 'memory:changed', identity: 'a' });
    await assert.rejects(uploadFile(first, { serverUrl, resume: store, chunkSizeBytes: 1024 * 1024, signal: controller.signal, onProgress: (sent) => sent > 0 && controller.abort() }));
    const savedId = [...store.records.values()][0]?.id;
    const changedBytes = new Uint8Array(randomBytes(4 * 1024 * 1024));
    const changed = blobSource(new Blob([changedBytes]), { location: 'memory:changed', identity: 'b' });
    const result = await uploadFile(changed, { serverUrl, resume: store, chunkSizeBytes: 1024 * 1024 });
    assert.equal(result.resumed, false);
    assert.notEqual(result.id, savedId);
    assert.deepEqual(await all((await downloadFile(result.downloadUrl)).plaintext), changedBytes);
  });

  test('v1 through the SDK; errors are typed BlindvaultErrors of the catalogue, each refusal beside its control', async () => {
    const plaintext = new Uint8Array(randomBytes(1000));
    const result = await uploadFile(blobSource(new Blob([plaintext])), { serverUrl, format: 'v1', passphrase: 'p' });
    assert.equal(result.format, 'v1');
    await assert.rejects(downloadFile(result.downloadUrl), isCode('PASSPHRASE_REQUIRED'));
    await assert.rejects(downloadFile(result.downloadUrl, { passphrase: async () => 'wrong' }), isCode('WRONG_KEY'));
    assert.deepEqual(await all((await downloadFile(result.downloadUrl, { passphrase: async () => 'p' })).plaintext), plaintext);
    const wrongToken = result.manageUrl.replace(/token=.*/, `token=${'B'.repeat(43)}`);
    await assert.rejects(fileInfo(wrongToken), isCode('NOT_FOUND'));
    await assert.rejects(deleteFile(wrongToken), isCode('NOT_FOUND'));
    await deleteFile(result.manageUrl);
    await assert.rejects(downloadFile(result.downloadUrl, { passphrase: async () => 'p' }), isCode('NOT_FOUND'));
    await assert.rejects(downloadFile('not a link'), isCode('INVALID_LINK'));
    await assert.rejects(fileInfo(`http://127.0.0.1:1/f/${result.id}/manage?token=${'A'.repeat(43)}`), isCode('NETWORK_ERROR'));
  });
});
