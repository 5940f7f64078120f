// Format v2 over WHATWG streams: the boundary matrix, round-trip and tamper properties, resume, misuse.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { webCryptoBackend } from '../../../../src/crypto/backend/webcrypto.js';
import { nodeCryptoBackend } from '../../../../src/crypto/node/node-backend.js';
import {
  ARGON2ID_FLOOR,
  createFileKey,
  createV2Decryptor,
  createV2Encryptor,
  openV2,
  parseV2Header,
  resumeV2Encryptor,
  v2PlaintextSize,
  V2Decoder,
} from '../../../../src/crypto/stream/index.js';
import { chunked, codeOf, concat, readAll, readUntilError } from '../../../helpers/streams.js';

const R = 16_384; // the smallest allowed record size keeps multi-record cases small
const SEALED = R + 16;
const H = 57;
const key = createFileKey().reveal();

function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function seal(plaintext: Uint8Array, writeSize: number | number[] = 4096, options: Parameters<typeof createV2Encryptor>[0] = { key, recordSize: R }) {
  const encryptor = await createV2Encryptor(options);
  const ciphertext = await readAll(chunked(plaintext, writeSize).pipeThrough(encryptor.transform()));
  return { encryptor, ciphertext };
}

async function open(ciphertext: Uint8Array, readSize: number | number[] = 5000, options: Parameters<typeof createV2Decryptor>[0] = { key }) {
  return readUntilError(chunked(ciphertext, readSize).pipeThrough(createV2Decryptor(options)));
}

/** Record i of a ciphertext with the test's record size. */
const record = (ciphertext: Uint8Array, i: number) => ciphertext.subarray(H + i * SEALED, Math.min(ciphertext.length, H + (i + 1) * SEALED));

describe('format v2 boundary matrix', () => {
  const lengths = [0, 1, R - 1, R, R + 1, 2 * R + 7];
  const writeSizes = [1, 7, 4096, R, R + 1, 3 * R];
  for (const length of lengths) {
    test(`plaintext of ${length} bytes, every write size, read back in every size, either backend`, async () => {
      const plaintext = bytesOf(length, length + 3);
      let first: Uint8Array | undefined;
      for (const writeSize of writeSizes) {
        const { encryptor, ciphertext } = await seal(plaintext, length > R && writeSize === 1 ? 97 : writeSize);
        assert.equal(ciphertext.length, encryptor.ciphertextSize(length), `write ${writeSize}: size rule`);
        assert.equal(v2PlaintextSize(ciphertext.length, H, R), length);
        assert.equal(ciphertext.length, H + length + 16 * Math.max(1, Math.ceil(length / R)));
        const opened = await open(ciphertext, writeSize);
        assert.equal(opened.code, undefined, `write ${writeSize}`);
        assert.deepEqual(opened.released, plaintext);
        first ??= ciphertext;
        assert.equal(ciphertext.length, first.length);
      }
      const { ciphertext } = await seal(plaintext, 1000, { key, recordSize: R, backend: nodeCryptoBackend });
      assert.deepEqual((await open(ciphertext, 3000, { key, backend: webCryptoBackend })).released, plaintext, 'Node-sealed opens with WebCrypto');
      assert.deepEqual((await open(first as Uint8Array, 3000, { key, backend: nodeCryptoBackend })).released, plaintext, 'WebCrypto-sealed opens with Node');
    });
  }

  test('each allowed record size round-trips; a record size outside the set is refused', async () => {
    for (const recordSize of [16_384, 65_536, 262_144, 1_048_576]) {
      const plaintext = bytesOf(recordSize + 5);
      const { ciphertext } = await seal(plaintext, 65_536, { key, recordSize });
      assert.equal(parseV2Header(ciphertext).fields.recordSize, recordSize);
      assert.deepEqual((await open(ciphertext, 65_536)).released, plaintext);
    }
    for (const recordSize of [0, 1000, 32_768, 2 ** 21]) assert.equal(await codeOf(createV2Encryptor({ key, recordSize })), 'INVALID_KDF_PARAMETERS');
  });
});

describe('format v2 properties', () => {
  test('seal/open round trip for any bytes, any write and read chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3 * R + 100 }),
        fc.array(fc.integer({ min: 1, max: 2 * R }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 2 * R }), { minLength: 1, maxLength: 8 }),
        async (plaintext, writes, reads) => {
          const { ciphertext } = await seal(plaintext, writes);
          const opened = await open(ciphertext, reads);
          assert.equal(opened.code, undefined);
          assert.deepEqual(opened.released, plaintext);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('any flipped byte fails, and nothing of its record (or after it) is released', async () => {
    const plaintext = bytesOf(2 * R + 100);
    const { ciphertext } = await seal(plaintext);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ciphertext.length - 1 }), fc.integer({ min: 1, max: 255 }), async (position, mask) => {
        const bad = ciphertext.slice();
        bad[position] = (bad[position] as number) ^ mask;
        const opened = await open(bad);
        if (position < H) {
          assert.ok(['BAD_HEADER', 'WRONG_KEY'].includes(opened.code ?? ''), `header byte ${position}: ${opened.code}`);
          assert.equal(opened.released.length, 0);
        } else {
          assert.equal(opened.code, 'DECRYPTION_FAILED');
          const failing = Math.floor((position - H) / SEALED);
          assert.deepEqual(opened.released, plaintext.subarray(0, failing * R));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('every header byte is covered: each flip is BAD_HEADER or WRONG_KEY', async () => {
    const { ciphertext } = await seal(bytesOf(10));
    for (let i = 0; i < H; i++) {
      const bad = ciphertext.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      assert.ok(['BAD_HEADER', 'WRONG_KEY'].includes((await open(bad)).code ?? ''), `byte ${i}`);
    }
    assert.equal((await open(ciphertext)).code, undefined, 'control: the untouched file opens');
  });

  test('any dropped, duplicated or moved record, any cut and any appended bytes fail', async () => {
    const plaintext = bytesOf(4 * R + 33);
    const { ciphertext } = await seal(plaintext);
    const header = ciphertext.subarray(0, H);
    const records = [0, 1, 2, 3, 4].map((i) => record(ciphertext, i));
    const rebuild = (order: number[]) => concat([header, ...order.map((i) => records[i] as Uint8Array)]);
    assert.deepEqual((await open(rebuild([0, 1, 2, 3, 4]))).released, plaintext, 'control: in order it opens');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 }), async (order) => {
        fc.pre(order.join() !== '0,1,2,3,4');
        const opened = await open(rebuild(order));
        assert.ok(['DECRYPTION_FAILED', 'TRUNCATED'].includes(opened.code ?? ''), `${order}: ${opened.code}`);
        // Released plaintext is always a prefix of the original, ending at a record boundary.
        assert.deepEqual(opened.released, plaintext.subarray(0, opened.released.length));
        assert.equal(opened.released.length % R, 0);
      }),
      { numRuns: 60 },
    );
    // Dropping the final record (a cut at a record boundary) is a truncation; so is a cut inside the header.
    assert.equal((await open(rebuild([0, 1, 2, 3]))).code, 'TRUNCATED');
    assert.equal((await open(rebuild([0, 1, 2, 3, 3]))).code, 'DECRYPTION_FAILED');
    assert.equal((await open(header)).code, 'TRUNCATED');
    assert.equal((await open(header.subarray(0, 30))).code, 'TRUNCATED');
    assert.equal((await open(new Uint8Array())).code, 'TRUNCATED');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ciphertext.length - 1 }), async (cut) => {
        const opened = await open(ciphertext.subarray(0, cut));
        assert.ok(['DECRYPTION_FAILED', 'TRUNCATED'].includes(opened.code ?? ''), `cut at ${cut}: ${opened.code}`);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: SEALED + 1 }), async (extra) => {
        assert.equal((await open(concat([ciphertext, extra]))).code, 'DECRYPTION_FAILED');
      }),
      { numRuns: 30 },
    );
  });

  test('a full-size final record: a cut before it is TRUNCATED, bytes after it fail', async () => {
    const plaintext = bytesOf(2 * R);
    const { ciphertext } = await seal(plaintext);
    assert.equal(ciphertext.length, H + 2 * SEALED);
    assert.deepEqual((await open(ciphertext)).released, plaintext);
    assert.equal((await open(ciphertext.subarray(0, H + SEALED))).code, 'TRUNCATED');
    assert.equal((await open(concat([ciphertext, Uint8Array.of(0)]))).code, 'DECRYPTION_FAILED');
    assert.equal((await open(concat([ciphertext, record(ciphertext, 1)]))).code, 'DECRYPTION_FAILED');
  });

  test('records of another file with the same key do not splice in', async () => {
    const a = await seal(bytesOf(2 * R + 1, 1));
    const b = await seal(bytesOf(2 * R + 1, 2));
    const spliced = concat([a.ciphertext.subarray(0, H), record(a.ciphertext, 0), record(b.ciphertext, 1), record(a.ciphertext, 2)]);
    assert.equal((await open(spliced)).code, 'DECRYPTION_FAILED');
  });
});

describe('format v2 keys and headers', () => {
  test('a wrong key is WRONG_KEY before any record; a passphrase file needs its passphrase', async () => {
    const { ciphertext } = await seal(bytesOf(100));
    assert.equal((await open(ciphertext, 5000, { key: createFileKey().reveal() })).code, 'WRONG_KEY');
    assert.equal((await open(ciphertext, 5000, { passphrase: 'x' })).code, 'KEY_MODE_MISMATCH');
    const p = await seal(bytesOf(R + 3), 999, { passphrase: 'correct horse', recordSize: R, kdfParams: ARGON2ID_FLOOR });
    assert.equal(parseV2Header(p.ciphertext).bytes.length, 82);
    assert.deepEqual((await open(p.ciphertext, 5000, { passphrase: 'correct horse' })).released, bytesOf(R + 3));
    assert.equal((await open(p.ciphertext, 5000, { passphrase: 'correct horse ' })).code, 'WRONG_KEY');
    assert.equal((await open(p.ciphertext, 5000, { key })).code, 'KEY_MODE_MISMATCH');
  });

  test('the passphrase is NFC-normalized: composed and decomposed spellings open the same file', async () => {
    const p = await seal(bytesOf(10), 10, { passphrase: 'caf\u00e9', recordSize: R, kdfParams: ARGON2ID_FLOOR });
    assert.deepEqual((await open(p.ciphertext, 100, { passphrase: 'cafe\u0301' })).released, bytesOf(10));
  });

  test('a server that changes header parameters is caught: out of bounds → BAD_HEADER, in bounds → WRONG_KEY', async () => {
    const { ciphertext } = await seal(bytesOf(2 * R), 4096, { passphrase: 'pw', recordSize: R, kdfParams: ARGON2ID_FLOOR });
    const altered = (edit: (b: Uint8Array, v: DataView) => void) => {
      const b = ciphertext.slice();
      edit(b, new DataView(b.buffer));
      return b;
    };
    const opts = { passphrase: 'pw' };
    assert.equal((await open(altered((b) => (b[8] = 16)), 5000, opts)).code, 'WRONG_KEY', 'another allowed record size');
    assert.equal((await open(altered((b) => (b[8] = 15)), 5000, opts)).code, 'BAD_HEADER', 'a record size outside the set');
    assert.equal((await open(altered((_, v) => v.setUint32(10, 1)), 5000, opts)).code, 'BAD_HEADER', 't below the floor');
    assert.equal((await open(altered((_, v) => v.setUint32(10, 11)), 5000, opts)).code, 'BAD_HEADER', 't above the ceiling');
    assert.equal((await open(altered((_, v) => v.setUint32(14, 19_455)), 5000, opts)).code, 'BAD_HEADER', 'm below the floor');
    assert.equal((await open(altered((_, v) => v.setUint32(14, 262_145)), 5000, opts)).code, 'BAD_HEADER', 'm above the ceiling');
    assert.equal((await open(altered((b) => (b[9] = 2)), 5000, opts)).code, 'BAD_HEADER', 'unknown KDF');
    assert.equal((await open(altered((b) => (b[6] = 3)), 5000, opts)).code, 'BAD_HEADER', 'unknown version');
    assert.equal((await open(altered((b) => (b[7] = 1)), 5000, opts)).code, 'KEY_MODE_MISMATCH', 'key mode flipped to random key');
    assert.equal((await open(altered((b) => (b[0] = 0x62)), 5000, opts)).code, 'BAD_HEADER', 'magic');
    assert.equal((await open(Uint8Array.of(0x42, 0x56, 0x00), 5000, opts)).code, 'BAD_HEADER', 'a short stream that is not v2');
    assert.equal((await open(altered(() => undefined), 5000, opts)).code, undefined, 'control: unaltered opens');
  });

  test('an encryptor refuses bad KDF parameters and a key of the wrong length', async () => {
    assert.equal(await codeOf(createV2Encryptor({ passphrase: 'pw', kdfParams: { opsLimit: 1, memLimitKiB: 65_536 } })), 'INVALID_KDF_PARAMETERS');
    assert.equal(await codeOf(createV2Encryptor({ passphrase: 'pw', kdfParams: { opsLimit: 3, memLimitKiB: 1024 } })), 'INVALID_KDF_PARAMETERS');
    assert.equal(await codeOf(createV2Encryptor({ key: new Uint8Array(16) })), 'INVALID_FILE_KEY');
    assert.equal(await codeOf(createV2Encryptor({})), 'ENCRYPTOR_MISUSE');
  });
});

describe('format v2 streaming guarantees', () => {
  test('a record is released only after its tag verifies, and only once the next byte shows it is not final', async () => {
    const plaintext = bytesOf(2 * R + 5);
    const { ciphertext } = await seal(plaintext);
    const decoder = new V2Decoder({ key });
    assert.deepEqual(await decoder.push(ciphertext.subarray(0, H + SEALED)), [], 'a full record alone could still be the final one');
    assert.equal(decoder.header?.recordSize, R);
    const out = await decoder.push(ciphertext.subarray(H + SEALED, H + SEALED + 1));
    assert.deepEqual(concat(out), plaintext.subarray(0, R));
    // Record 1 with its last tag byte flipped: the push that completes it releases nothing and fails.
    const bad = ciphertext.slice(H + SEALED + 1, H + 2 * SEALED + 1);
    bad[SEALED - 2] = (bad[SEALED - 2] as number) ^ 1;
    assert.equal(await codeOf(decoder.push(bad)), 'DECRYPTION_FAILED');
    assert.equal(await codeOf(decoder.push(new Uint8Array(1))), 'ENCRYPTOR_MISUSE', 'a failed decoder stays failed');
  });

  test('openV2 checks the key before answering, then streams with backpressure', async () => {
    const plaintext = bytesOf(3 * R);
    const { ciphertext } = await seal(plaintext);
    assert.equal(await codeOf(openV2(chunked(ciphertext, 1000), { key: createFileKey() })), 'WRONG_KEY');
    assert.equal(await codeOf(openV2(chunked(ciphertext.subarray(0, 40), 10), { key })), 'TRUNCATED');
    let pulled = 0;
    const source = chunked(ciphertext, 1000).pipeThrough(new TransformStream({ transform: (c, ctl) => { pulled += c.length; ctl.enqueue(c); } }));
    const opened = await openV2(source, { key });
    assert.deepEqual(opened.header, { keyMode: 'key', recordSize: R, headerLength: H });
    assert.ok(pulled < ciphertext.length, 'the header is read without draining the source');
    assert.deepEqual(await readAll(opened.plaintext), plaintext);
    const bad = ciphertext.slice();
    bad[H + SEALED + 3] = (bad[H + SEALED + 3] as number) ^ 1;
    const result = await readUntilError((await openV2(chunked(bad, 777), { key })).plaintext);
    assert.equal(result.code, 'DECRYPTION_FAILED');
    assert.deepEqual(result.released, plaintext.subarray(0, R));
  });

  test('an encryptor seals one stream', async () => {
    const encryptor = await createV2Encryptor({ key, recordSize: R });
    encryptor.transform();
    assert.throws(() => encryptor.transform(), { code: 'ENCRYPTOR_MISUSE' });
    assert.throws(() => encryptor.sealFrom(1), { code: 'ENCRYPTOR_MISUSE' });
  });

  test('two encryptors under one key make different headers and ciphertexts (fresh stream nonce)', async () => {
    const a = await seal(bytesOf(100));
    const b = await seal(bytesOf(100));
    assert.notDeepEqual(a.ciphertext.subarray(9, 25), b.ciphertext.subarray(9, 25));
    assert.notDeepEqual(a.ciphertext.subarray(H), b.ciphertext.subarray(H));
  });
});

describe('format v2 resume', () => {
  test('for any stored byte count, headerTail + sealFrom(recordIndex) minus skipBytes continues the ciphertext exactly', async () => {
    for (const options of [{ key, recordSize: R }, { passphrase: 'resume me', recordSize: R, kdfParams: ARGON2ID_FLOOR }]) {
      const plaintext = bytesOf(3 * R + 11);
      const { encryptor, ciphertext } = await seal(plaintext, 4096, options);
      const resumeOptions = 'key' in options ? { header: encryptor.header, key } : { header: encryptor.header, passphrase: 'resume me' };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: ciphertext.length - 1 }), fc.integer({ min: 1, max: 3 * R }), async (stored, writeSize) => {
          const resumed = await resumeV2Encryptor(resumeOptions);
          const point = resumed.resumePoint(stored);
          const tail = await readAll(chunked(plaintext.subarray(point.plaintextOffset), writeSize).pipeThrough(resumed.sealFrom(point.recordIndex)));
          assert.deepEqual(concat([ciphertext.subarray(0, stored), point.headerTail, tail.subarray(point.skipBytes)]), ciphertext);
        }),
        { numRuns: 25 },
      );
    }
  });

  test('resuming needs the right key, and the header as written', async () => {
    const { encryptor } = await seal(bytesOf(10));
    assert.equal(await codeOf(resumeV2Encryptor({ header: encryptor.header, key: createFileKey() })), 'WRONG_KEY');
    assert.equal(await codeOf(resumeV2Encryptor({ header: concat([encryptor.header, Uint8Array.of(0)]), key })), 'BAD_HEADER');
    assert.equal(await codeOf(resumeV2Encryptor({ header: encryptor.header, key })), undefined);
  });
});
