import type { Lock, Locker, RequestRelease } from '@tus/utils';
import { createId } from '../../crypto/token.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { UploadRecordStore } from '../../store/upload-record-store.js';
import { parseCallerKey } from './tus-data-store.js';

export interface UploadLockerOptions {
  records: UploadRecordStore;
  clock: () => Date;
  /** How long a lock lasts unless renewed (a crashed instance's lock ends by itself). */
  leaseMs?: number;
  /** How long a request waits for an upload another request holds, before 423. */
  acquireTimeoutMs?: number;
  pollMs?: number;
  /** Settles when the write of the lock's holder has (tus may let go of a lock before that). */
  writeSettled?: (key: string) => Promise<void>;
}

/**
 * tus's lock, kept in the shared database so that two instances never append to one upload at
 * once. A waiting request asks the holder to let go (tus's hand-over: the holder's PATCH stops and
 * keeps what it received); a holder in this process is told at once, one elsewhere when it renews
 * its lease.
 */
export function createUploadLocker({
  records,
  clock,
  leaseMs = 15_000,
  acquireTimeoutMs = 20_000,
  pollMs = 100,
  writeSettled = async () => {},
}: UploadLockerOptions): Locker {
  const localHolders = new Map<string, RequestRelease>();

  class DatabaseLock implements Lock {
    readonly #key: string;
    #token: string | undefined;
    #renewal: NodeJS.Timeout | undefined;
    #release: RequestRelease | undefined;

    constructor(key: string) {
      this.#key = key;
    }

    async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
      const { id, uploadTokenHash } = parseCallerKey(this.#key);
      const token = createId();
      const deadline = Date.now() + acquireTimeoutMs;
      for (;;) {
        if (signal.aborted) throw new BlindvaultError('UPLOAD_ABORTED');
        const now = clock();
        const attempt = await records.tryLock(id, uploadTokenHash, token, now, new Date(now.getTime() + leaseMs));
        // No such upload for this caller: nothing to serialize; the read that follows answers 404.
        if (attempt === 'absent') return;
        if (attempt === 'acquired') {
          this.#token = token;
          this.#release = requestRelease;
          localHolders.set(this.#key, requestRelease);
          this.#renewal = setInterval(() => void this.#renew(id, token, requestRelease), leaseMs / 3);
          this.#renewal.unref();
          return;
        }
        await records.requestRelease(id, uploadTokenHash);
        await localHolders.get(this.#key)?.();
        if (Date.now() >= deadline) throw new BlindvaultError('UPLOAD_LOCKED');
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }

    async #renew(id: string, token: string, requestRelease: RequestRelease): Promise<void> {
      try {
        const now = clock();
        const { held, releaseRequested } = await records.renewLock(id, token, new Date(now.getTime() + leaseMs));
        if (!held || releaseRequested) await requestRelease();
      } catch {
        // The next renewal tries again; an unrenewed lease ends by itself.
      }
    }

    async unlock(): Promise<void> {
      const token = this.#token;
      if (token === undefined) return;
      await writeSettled(this.#key);
      clearInterval(this.#renewal);
      this.#token = undefined;
      // A lease that ran out may have passed the lock on already: leave the new holder's entry.
      if (localHolders.get(this.#key) === this.#release) localHolders.delete(this.#key);
      await records.unlock(parseCallerKey(this.#key).id, token);
    }
  }

  return { newLock: (key: string) => new DatabaseLock(key) };
}
