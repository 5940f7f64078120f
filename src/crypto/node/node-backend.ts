// Node-only backend: node:crypto (OpenSSL) for AES, SHA-2, HMAC, HKDF and PBKDF2, sodium-native for Argon2id on
// libuv's thread pool. Same bytes as the portable WebCrypto backend, several times faster for AES-GCM in Node; for
// the CLI and the server. client/ and protocol/ may not import this: the CLI passes it to the SDK as `backend`.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdf, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Aes256GcmKey, Argon2idParams, CryptoBackend } from '../backend/crypto-backend.js';

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeCryptoBackend: CryptoBackend = {
  name: 'node',

  constantTimeEqual(a, b) {
    return a.length === b.length && timingSafeEqual(a, b);
  },

  randomBytes(length) {
    return bytes(randomBytes(length));
  },

  async sha256(data) {
    return bytes(createHash('sha256').update(data).digest());
  },

  async hmacSha256(key, data) {
    return bytes(createHmac('sha256', key).update(data).digest());
  },

  hkdfSha256(ikm, salt, info, length) {
    return new Promise((resolve, reject) =>
      hkdf('sha256', ikm, salt, info, length, (error, key) => (error ? reject(error) : resolve(new Uint8Array(key)))),
    );
  },

  pbkdf2Sha256(password, salt, iterations, length) {
    return new Promise((resolve, reject) =>
      pbkdf2(password, salt, iterations, length, 'sha256', (error, key) => (error ? reject(error) : resolve(bytes(key)))),
    );
  },

  async argon2id(password, salt, params: Argon2idParams, length) {
    // Loaded on first use: it adds some 14 MiB to a process, and a random-key upload or download never needs it.
    const { default: sodium } = await import('sodium-native');
    const out = Buffer.alloc(length);
    return new Promise((resolve, reject) =>
      sodium.crypto_pwhash_async(out, Buffer.from(password), Buffer.from(salt), params.opsLimit, params.memLimitKiB * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13, (error) =>
        error ? reject(error) : resolve(bytes(out)),
      ),
    );
  },

  async importAes256Gcm(key): Promise<Aes256GcmKey> {
    if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
    const secret = Buffer.from(key);
    return {
      async seal(nonce, plaintext, aad) {
        const cipher = createCipheriv('aes-256-gcm', secret, nonce, { authTagLength: 16 });
        cipher.setAAD(aad);
        return bytes(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
      },
      async open(nonce, sealed, aad) {
        if (sealed.length < 16) return undefined;
        const decipher = createDecipheriv('aes-256-gcm', secret, nonce, { authTagLength: 16 });
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        // update() output is kept until final() has checked the tag: nothing unverified leaves this function.
        const head = decipher.update(sealed.subarray(0, sealed.length - 16));
        try {
          const tail = decipher.final();
          // GCM's final() gives no bytes: the plaintext is `head` as it is, without another copy.
          return bytes(tail.byteLength === 0 ? head : Buffer.concat([head, tail]));
        } catch {
          return undefined;
        }
      },
    };
  },

  async aesCbcEncrypt(key, iv, plaintext) {
    const cipher = createCipheriv(key.length === 16 ? 'aes-128-cbc' : 'aes-256-cbc', key, iv);
    return bytes(Buffer.concat([cipher.update(plaintext), cipher.final()]));
  },

  async aesCbcDecrypt(key, iv, ciphertext) {
    const decipher = createDecipheriv(key.length === 16 ? 'aes-128-cbc' : 'aes-256-cbc', key, iv);
    try {
      return bytes(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
    } catch {
      return undefined;
    }
  },
};
