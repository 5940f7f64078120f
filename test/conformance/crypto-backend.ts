// cryptoBackendSuite: what every CryptoBackend must do. Known answers from the RFCs and NIST (and, for Argon2id,
// from PyNaCl, an independent implementation), then equality with another backend on random inputs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CryptoBackend } from '../../src/crypto/backend/crypto-backend.js';
import { fromHex, toHex } from '../../src/crypto/encoding.js';

const hex = (text: string) => fromHex(text) as Uint8Array;
const utf8 = (text: string) => new TextEncoder().encode(text);
const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte);

export function cryptoBackendSuite(backend: CryptoBackend, other: CryptoBackend): void {
  describe(`CryptoBackend ${backend.name}`, () => {
    test('randomBytes: the asked length, beyond 64 KiB too, and not constant', () => {
      for (const n of [0, 1, 12, 32, 65_536, 100_000]) assert.equal(backend.randomBytes(n).length, n);
      assert.notDeepEqual(backend.randomBytes(32), backend.randomBytes(32));
      const big = backend.randomBytes(100_000);
      assert.notDeepEqual(big.subarray(70_000, 70_032), new Uint8Array(32), 'bytes past the first 64 KiB are filled');
    });

    test('constantTimeEqual: true for equal bytes (any length, empty too); false for any one differing byte or another length', () => {
      assert.equal(backend.constantTimeEqual(new Uint8Array(), new Uint8Array()), true);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, flip) => {
          const copy = bytes.slice();
          assert.equal(backend.constantTimeEqual(bytes, copy), true);
          copy[at % copy.length] = (copy[at % copy.length] as number) ^ flip;
          assert.equal(backend.constantTimeEqual(bytes, copy), false);
          assert.equal(backend.constantTimeEqual(bytes, bytes.subarray(0, bytes.length - 1)), false);
          assert.equal(backend.constantTimeEqual(bytes.subarray(0, bytes.length - 1), bytes), false);
        }),
      );
    });

    test('SHA-256 (FIPS 180-4 examples)', async () => {
      assert.equal(toHex(await backend.sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      assert.equal(toHex(await backend.sha256(new Uint8Array())), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    });

    test('HMAC-SHA-256 (RFC 4231 cases 1 and 6: a key longer than the block)', async () => {
      assert.equal(toHex(await backend.hmacSha256(repeat(0x0b, 20), utf8('Hi There'))), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
      assert.equal(
        toHex(await backend.hmacSha256(repeat(0xaa, 131), utf8('Test Using Larger Than Block-Size Key - Hash Key First'))),
        '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      );
    });

    test('HKDF-SHA-256 (RFC 5869 cases 1 and 3: empty salt and info)', async () => {
      assert.equal(
        toHex(await backend.hkdfSha256(repeat(0x0b, 22), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42)),
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      );
      assert.equal(
        toHex(await backend.hkdfSha256(repeat(0x0b, 22), new Uint8Array(), new Uint8Array(), 42)),
        '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
      );
    });

    test('PBKDF2-HMAC-SHA-256 (RFC 7914 §11 and the common 1 and 4096 iteration vectors)', async () => {
      assert.equal(toHex(await backend.pbkdf2Sha256(utf8('password'), utf8('salt'), 1, 32)), '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b');
      assert.equal(toHex(await backend.pbkdf2Sha256(utf8('password'), utf8('salt'), 4096, 32)), 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a');
      assert.equal(
        toHex(await backend.pbkdf2Sha256(utf8('passwd'), utf8('salt'), 1, 64)),
        '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
      );
    });

    test('Argon2id v1.3, parallelism 1 (answers computed with PyNaCl)', async () => {
      const kat = await backend.argon2id(utf8('password'), utf8('somesaltsomesalt'), { opsLimit: 2, memLimitKiB: 19_456 }, 32);
      assert.equal(toHex(kat), '2b5dc4054886ec957ef59c73b661c54dd6fb274590b278f657c6d96aac8fa6d1');
      assert.equal(toHex(await backend.argon2id(new Uint8Array(), new Uint8Array(16), { opsLimit: 3, memLimitKiB: 8 }, 16)), '66f1d28991b268ca4d8cb37c16ec9b92');
    });

    test('AES-256-GCM (McGrew–Viega test cases 13, 14 and 16)', async () => {
      const zero = await backend.importAes256Gcm(new Uint8Array(32));
      assert.equal(toHex(await zero.seal(new Uint8Array(12), new Uint8Array(), new Uint8Array())), '530f8afbc74536b9a963b4f1c4cb738b');
      assert.equal(toHex(await zero.seal(new Uint8Array(12), new Uint8Array(16), new Uint8Array())), 'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919');
      const key = await backend.importAes256Gcm(hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'));
      const nonce = hex('cafebabefacedbaddecaf888');
      const plaintext = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
      const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
      const sealed = await key.seal(nonce, plaintext, aad);
      assert.equal(
        toHex(sealed),
        '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
          '76fc6ece0f4e1768cddf8853bb2d551b',
      );
      assert.deepEqual(await key.open(nonce, sealed, aad), plaintext);
    });

    test('AES-256-GCM refuses any altered byte, nonce, AAD or key, and stubs shorter than a tag', async () => {
      const keyBytes = backend.randomBytes(32);
      const key = await backend.importAes256Gcm(keyBytes);
      const nonce = backend.randomBytes(12);
      const aad = utf8('aad');
      const sealed = await key.seal(nonce, utf8('attack at dawn'), aad);
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i] = (bad[i] as number) ^ 0x01;
        assert.equal(await key.open(nonce, bad, aad), undefined, `byte ${i}`);
      }
      const otherNonce = nonce.slice();
      otherNonce[11] = (otherNonce[11] as number) ^ 1;
      assert.equal(await key.open(otherNonce, sealed, aad), undefined);
      assert.equal(await key.open(nonce, sealed, utf8('aae')), undefined);
      assert.equal(await (await backend.importAes256Gcm(backend.randomBytes(32))).open(nonce, sealed, aad), undefined);
      assert.equal(await key.open(nonce, sealed.subarray(0, 15), aad), undefined);
      assert.equal(await key.open(nonce, sealed.subarray(0, sealed.length - 1), aad), undefined);
      assert.deepEqual(await key.open(nonce, sealed, aad), utf8('attack at dawn'), 'control: the untouched ciphertext opens');
      await assert.rejects(backend.importAes256Gcm(new Uint8Array(16)));
    });

    test('AES-128-CBC and AES-256-CBC with PKCS#7 (SP 800-38A F.2.1 and F.2.5, first block)', async () => {
      const iv = hex('000102030405060708090a0b0c0d0e0f');
      const block = hex('6bc1bee22e409f96e93d7e117393172a');
      const c128 = await backend.aesCbcEncrypt(hex('2b7e151628aed2a6abf7158809cf4f3c'), iv, block);
      assert.equal(c128.length, 32, 'a full block of padding follows a whole block');
      assert.equal(toHex(c128.subarray(0, 16)), '7649abac8119b246cee98e9b12e9197d');
      const k256 = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
      const c256 = await backend.aesCbcEncrypt(k256, iv, block);
      assert.equal(toHex(c256.subarray(0, 16)), 'f58c4c04d6e5f1ba779eabfb5f7bfbd6');
      assert.deepEqual(await backend.aesCbcDecrypt(k256, iv, c256), block);
      const badPadding = c128.slice();
      badPadding[31] = (badPadding[31] as number) ^ 0xff;
      assert.equal(await backend.aesCbcDecrypt(hex('2b7e151628aed2a6abf7158809cf4f3c'), iv, badPadding), undefined);
      assert.equal(await backend.aesCbcDecrypt(hex('2b7e151628aed2a6abf7158809cf4f3c'), iv, c128.subarray(0, 20)), undefined);
    });

    test(`gives the same bytes as the ${other.name} backend on random inputs`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), async (data, key, aad) => {
          assert.deepEqual(await backend.sha256(data), await other.sha256(data));
          assert.deepEqual(await backend.hmacSha256(key, data), await other.hmacSha256(key, data));
          assert.deepEqual(await backend.hkdfSha256(key, aad, data, 48), await other.hkdfSha256(key, aad, data, 48));
          assert.deepEqual(await backend.pbkdf2Sha256(key, data, 3, 40), await other.pbkdf2Sha256(key, data, 3, 40));
          const k32 = await backend.sha256(key);
          const nonce = (await backend.sha256(aad)).subarray(0, 12);
          const sealed = await (await backend.importAes256Gcm(k32)).seal(nonce, data, aad);
          assert.deepEqual(sealed, await (await other.importAes256Gcm(k32)).seal(nonce, data, aad));
          assert.deepEqual(await (await other.importAes256Gcm(k32)).open(nonce, sealed, aad), data);
          const iv = (await backend.sha256(data)).subarray(0, 16);
          const cbc = await backend.aesCbcEncrypt(k32.subarray(0, 16), iv, data);
          assert.deepEqual(cbc, await other.aesCbcEncrypt(k32.subarray(0, 16), iv, data));
          assert.deepEqual(await other.aesCbcDecrypt(k32.subarray(0, 16), iv, cbc), data);
        }),
        { numRuns: 60 },
      );
      const salt = backend.randomBytes(16);
      const params = { opsLimit: 2, memLimitKiB: 19_456 };
      assert.deepEqual(await backend.argon2id(utf8('pässword'), salt, params, 32), await other.argon2id(utf8('pässword'), salt, params, 32));
    });
  });
}
