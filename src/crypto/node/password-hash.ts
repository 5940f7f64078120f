// Node-only (sodium-native, Buffer): the server's stored Argon2id hashes. client/ and protocol/ may not import this.
// Argon2id (libsodium crypto_pwhash_str) for the authkeys the vault stores. The async calls run on
// libuv's thread pool, so a login does not stall the event loop for the other requests.
import sodium from 'sodium-native';
import type { Secret } from '../secret.js';

/** OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane); encoded in each hash, so it can be raised later. */
const OPS_LIMIT = 2;
const MEM_LIMIT = 19 * 1024 * 1024;

export async function hashPassword(password: Secret<string>): Promise<string> {
  const out = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  await new Promise<void>((resolve, reject) =>
    sodium.crypto_pwhash_str_async(out, Buffer.from(password.reveal(), 'utf8'), OPS_LIMIT, MEM_LIMIT, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return out.toString('utf8').replace(/\0+$/, '');
}

/** Constant-time check inside libsodium. False for a malformed stored hash. */
export async function verifyPassword(storedHash: string, password: Secret<string>): Promise<boolean> {
  const encoded = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  const bytes = Buffer.from(storedHash, 'utf8');
  if (bytes.length >= encoded.length || !storedHash.startsWith('$argon2id$')) return false;
  bytes.copy(encoded);
  return new Promise<boolean>((resolve) =>
    sodium.crypto_pwhash_str_verify_async(encoded, Buffer.from(password.reveal(), 'utf8'), (error, ok) => resolve(!error && ok === true)),
  );
}
