// Fernet for the SDK's users (the article seed's format, Python's cryptography.fernet): thin over src/crypto/fernet.ts.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { decrypt, encrypt, generateKey } from '../crypto/fernet.js';

export interface FernetCallOptions {
  crypto?: CryptoBackend;
}

export function fernetGenerateKey(options: FernetCallOptions = {}): string {
  return generateKey(options.crypto);
}

export function fernetEncrypt(key: string, data: Uint8Array | string, options: FernetCallOptions = {}): Promise<string> {
  return encrypt(key, data, options.crypto ? { backend: options.crypto } : {});
}

/** FERNET_INVALID_TOKEN for every failure (wrong key, tampering, expiry beyond ttlSeconds), as Python's InvalidToken. */
export function fernetDecrypt(key: string, token: string, options: FernetCallOptions & { ttlSeconds?: number } = {}): Promise<Uint8Array> {
  return decrypt(key, token, { ...(options.crypto ? { backend: options.crypto } : {}), ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}) });
}
