// The CLI runs on Node: it hands the SDK the node:crypto backend, 5–8× faster for AES-GCM than WebCrypto
// (docs/formats/file-v2.md). The SDK itself defaults to the portable WebCrypto backend.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { nodeCryptoBackend } from '../crypto/node/node-backend.js';

export async function cryptoBackend(): Promise<CryptoBackend> {
  return nodeCryptoBackend;
}
