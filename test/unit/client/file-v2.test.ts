import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { nodeCryptoBackend } from '../../../src/crypto/node/node-backend.js';
import { decodeLinkKey, encodeLinkKey, openFileV2, sealFileV2 } from '../../../src/client/file-v2.js';
import { blobSource } from '../../../src/client/upload-source.js';
import { BlindvaultError } from '../../../src/protocol/errors.js';

// The SDK's adapter of format v2: the ciphertext read from any offset (what a tus retry or a resume in a new
// process asks for) is the same bytes as the uninterrupted stream, and the download side opens it.

const R = 256 * 1024;
const H = 57;

async function all(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const bytesStream = (bytes: Uint8Array, piece = 7777) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += piece) controller.enqueue(bytes.slice(at, at + piece));
      controller.close();
    },
  });

for (const size of [0, 1, R - 1, R, R + 1, 2 * R + 3]) {
  test(`v2 of ${size} bytes: every offset reads the same ciphertext, fresh or resumed, and it opens`, async () => {
    const plaintext = new Uint8Array(randomBytes(size));
    const source = blobSource(new Blob([plaintext]));
    const sealed = await sealFileV2(source, { crypto: nodeCryptoBackend });
    const whole = await all(sealed.read(0));
    assert.equal(whole.length, sealed.ciphertextBytes);
    assert.equal(whole.length, H + size + 16 * Math.max(1, Math.ceil(size / R)));
    const resumed = await sealFileV2(source, { header: sealed.header, fileKey: sealed.fileKey, crypto: nodeCryptoBackend });
    const offsets = [0, 1, H - 1, H, H + 1, H + R + 15, H + R + 16, H + R + 17, whole.length - 1, whole.length].filter((o) => o <= whole.length);
    for (const offset of offsets) {
      assert.deepEqual(await all(sealed.read(offset)), whole.slice(offset), `fresh encryptor, offset ${offset}`);
      assert.deepEqual(await all(resumed.read(offset)), whole.slice(offset), `resumed encryptor, offset ${offset}`);
    }
    const opened = await openFileV2(bytesStream(whole), { fragment: encodeLinkKey(sealed.fileKey), passphrase: () => Promise.reject(new Error('not asked')) });
    assert.deepEqual(await all(opened), plaintext);
  });
}

test('a source that changes size under the sealer is UPLOAD_CHANGED, never a wrong final record', async () => {
  const plaintext = new Uint8Array(randomBytes(R + 10));
  const sealed = await sealFileV2({ sizeBytes: R + 9, read: (offset) => new Blob([plaintext]).slice(offset).stream() }, { crypto: nodeCryptoBackend });
  await assert.rejects(all(sealed.read(0)), (e: unknown) => e instanceof BlindvaultError && e.code === 'UPLOAD_CHANGED');
});

test('a passphrase file opens with the passphrase and asks for it only then; a tampered record fails', async () => {
  const plaintext = new Uint8Array(randomBytes(R + 100));
  const sealed = await sealFileV2(blobSource(new Blob([plaintext])), { passphrase: 'pass phrase', crypto: nodeCryptoBackend });
  assert.equal(sealed.keyMode, 'passphrase');
  const whole = await all(sealed.read(0));
  let asked = 0;
  const opened = await openFileV2(bytesStream(whole), { fragment: undefined, passphrase: async () => (asked++, 'pass phrase'), crypto: nodeCryptoBackend });
  assert.deepEqual(await all(opened), plaintext);
  assert.equal(asked, 1);
  await assert.rejects(
    openFileV2(bytesStream(whole), { fragment: undefined, passphrase: async () => 'wrong', crypto: nodeCryptoBackend }),
    (e: unknown) => e instanceof BlindvaultError && e.code === 'WRONG_KEY',
  );
  const tampered = whole.slice();
  tampered[whole.length - 5] = (tampered[whole.length - 5] ?? 0) ^ 1;
  const bad = await openFileV2(bytesStream(tampered), { fragment: undefined, passphrase: async () => 'pass phrase', crypto: nodeCryptoBackend });
  await assert.rejects(all(bad), (e: unknown) => e instanceof BlindvaultError && e.code === 'DECRYPTION_FAILED');
});

test('a random-key file without its key is refused before anything is asked; link keys are canonical', async () => {
  const sealed = await sealFileV2(blobSource(new Blob([new Uint8Array(10)])), {});
  const whole = await all(sealed.read(0));
  await assert.rejects(
    openFileV2(bytesStream(whole), { fragment: undefined, passphrase: () => Promise.reject(new Error('must not be asked')) }),
    (e: unknown) => e instanceof BlindvaultError && e.code === 'KEY_MODE_MISMATCH',
  );
  assert.deepEqual(decodeLinkKey(encodeLinkKey(sealed.fileKey)), sealed.fileKey);
  assert.throws(() => decodeLinkKey('abc'), (e: unknown) => e instanceof BlindvaultError && e.code === 'INVALID_FILE_KEY');
});
