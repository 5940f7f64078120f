// The portable backend: WebCrypto (crypto.subtle) for AES, SHA-2, HMAC, HKDF and PBKDF2, in browsers and in Node 20;
// libsodium's WASM build for Argon2id, which WebCrypto lacks, loaded on its first use only (a random-key file never
// needs it). The default backend of every format module.
import type { Aes256GcmKey, Argon2idParams, CryptoBackend } from './crypto-backend.js';

const subtle = globalThis.crypto.subtle;

// WebCrypto's types want ArrayBuffer-backed views; ours always are (never SharedArrayBuffer).
const view = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

async function importRaw(key: Uint8Array, algorithm: AlgorithmIdentifier | HmacImportParams, usages: KeyUsage[]): Promise<CryptoKey> {
  return subtle.importKey('raw', view(key), algorithm, false, usages);
}

export const webCryptoBackend: CryptoBackend = {
  name: 'webcrypto',

  constantTimeEqual(a, b) {
    if (a.length !== b.length) return false;
    // No early exit: every byte is compared, and the verdict is read once at the end.
    let difference = 0;
    for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
    return difference === 0;
  },

  randomBytes(length) {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let offset = 0; offset < length; offset += 65_536) globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
    return out;
  },

  async sha256(data) {
    return new Uint8Array(await subtle.digest('SHA-256', view(data)));
  },

  async hmacSha256(key, data) {
    const hmacKey = await importRaw(key, { name: 'HMAC', hash: 'SHA-256' }, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', hmacKey, view(data)));
  },

  async hkdfSha256(ikm, salt, info, length) {
    const base = await importRaw(ikm, 'HKDF', ['deriveBits']);
    return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: view(salt), info: view(info) }, base, length * 8));
  },

  async pbkdf2Sha256(password, salt, iterations, length) {
    const base = await importRaw(password, 'PBKDF2', ['deriveBits']);
    return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: view(salt), iterations }, base, length * 8));
  },

  async argon2id(password, salt, params: Argon2idParams, length) {
    const { sodium } = await import('../sodium.js');
    return sodium.crypto_pwhash(length, password, salt, params.opsLimit, params.memLimitKiB * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13);
  },

  async importAes256Gcm(key): Promise<Aes256GcmKey> {
    if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
    const aesKey = await importRaw(key, 'AES-GCM', ['encrypt', 'decrypt']);
    return {
      async seal(nonce, plaintext, aad) {
        return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: 128 }, aesKey, view(plaintext)));
      },
      async open(nonce, sealed, aad) {
        if (sealed.length < 16) return undefined;
        try {
          return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: 128 }, aesKey, view(sealed)));
        } catch {
          return undefined;
        }
      },
    };
  },

  async aesCbcEncrypt(key, iv, plaintext) {
    const aesKey = await importRaw(key, 'AES-CBC', ['encrypt']);
    return new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv: view(iv) }, aesKey, view(plaintext)));
  },

  async aesCbcDecrypt(key, iv, ciphertext) {
    const aesKey = await importRaw(key, 'AES-CBC', ['decrypt']);
    try {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-CBC', iv: view(iv) }, aesKey, view(ciphertext)));
    } catch {
      return undefined;
    }
  },
};
