// Node-only (sodium-native, Buffer): the server's stored Argon2id hashes. client/ and protocol/ may not import this.
// Argon2id (libsodium crypto_pwhash_str) for the authkeys the vault stores. The async calls run on
// libuv's thread pool, so a login does not stall the event loop for the other requests; but that
// pool (4 threads unless UV_THREADPOOL_SIZE says otherwise) also does every file read and write,
// so at most `concurrency` hashes run at once and the others wait their turn, never the files.
import sodium from 'sodium-native';
import type { Secret } from '../secret.js';

// Process-wide, as the thread pool it protects is.
let concurrency = 2;
let active = 0;
const queue: Array<() => void> = [];

/** How many Argon2id computations may run at once in this process (PASSWORD_HASH_CONCURRENCY). */
export function setPasswordHashConcurrency(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('password hash concurrency must be a positive integer');
  concurrency = limit;
  while (active < concurrency && queue.length > 0) {
    active += 1;
    queue.shift()?.();
  }
}

/** Hashes running and waiting now (for tests and the operator). */
export function passwordHashLoad(): { active: number; waiting: number } {
  return { active, waiting: queue.length };
}

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (active < concurrency) active += 1;
  else await new Promise<void>((resolve) => queue.push(resolve)); // the slot is handed over, already counted
  try {
    return await work();
  } finally {
    const next = active <= concurrency ? queue.shift() : undefined;
    if (next) next();
    else active -= 1;
  }
}

/** OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane); encoded in each hash, so it can be raised later. */
const OPS_LIMIT = 2;
const MEM_LIMIT = 19 * 1024 * 1024;

export async function hashPassword(password: Secret<string>): Promise<string> {
  const out = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  await withSlot(
    () =>
      new Promise<void>((resolve, reject) =>
        sodium.crypto_pwhash_str_async(out, Buffer.from(password.reveal(), 'utf8'), OPS_LIMIT, MEM_LIMIT, (error) =>
          error ? reject(error) : resolve(),
        ),
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
  return withSlot(
    () =>
      new Promise<boolean>((resolve) =>
        sodium.crypto_pwhash_str_verify_async(encoded, Buffer.from(password.reveal(), 'utf8'), (error, ok) => resolve(!error && ok === true)),
      ),
  );
}
