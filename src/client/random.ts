// Random values the SDK hands out, all from the crypto backend's CSPRNG.
import type { CryptoBackend } from '../crypto/backend/crypto-backend.js';
import { createFileKey, encodeLinkKey } from '../crypto/file-key.js';

/**
 * A v1 passphrase when none is given: 256 random bits, spelled as a v2 link key (43 base64url characters), so the
 * link `…/f/{id}#{passphrase}` has the same shape for both formats.
 */
export function randomPassphrase(crypto?: CryptoBackend): string {
  return encodeLinkKey(createFileKey(crypto));
}
