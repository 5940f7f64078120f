import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import { BlindvaultError } from '../../protocol/errors.js';
import type { UploadCaller, UploadsService } from './service.js';

// @tus/server names an upload by one string, which also keys its lock. Ours is the upload id and
// the hash of the token presented with it, so every store call is made on the caller's behalf and
// a foreign token reaches nothing but a 404. The string never leaves the process.
const SEPARATOR = '.';

export function callerKey(caller: UploadCaller): string {
  return `${caller.id}${SEPARATOR}${caller.uploadTokenHash}`;
}

export function parseCallerKey(key: string): UploadCaller {
  const at = key.indexOf(SEPARATOR);
  return { id: key.slice(0, at), uploadTokenHash: key.slice(at + 1) };
}

/** The tus DataStore over the uploads service: HEAD, PATCH and termination. Creation is our own route. */
export class BlindvaultTusStore extends DataStore {
  readonly #service: UploadsService;
  // The write in progress per upload key, settling to our refusal of it if any (too large, swept
  // meanwhile): tus reports a write that failed mid-stream as "aborted", possibly before the write
  // itself has settled, and the caller wants the real reason.
  readonly #writes = new Map<string, Promise<BlindvaultError | undefined>>();

  constructor(service: UploadsService) {
    super();
    this.#service = service;
    this.extensions = ['creation', 'termination'];
  }

  override async create(): Promise<Upload> {
    // POST /uploads is answered by the uploads routes (it must return the tokens); never here.
    throw new BlindvaultError('NOT_FOUND');
  }

  override async getUpload(key: string): Promise<Upload> {
    const progress = await this.#service.progress(parseCallerKey(key));
    if (!progress) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({ id: key, size: progress.lengthBytes, offset: progress.offset, creation_date: progress.createdAt.toISOString() });
  }

  override async write(stream: Readable, key: string, offset: number): Promise<number> {
    const writing = this.#service.append(parseCallerKey(key), offset, stream);
    this.#writes.set(
      key,
      writing.then(
        () => undefined,
        (error: unknown) => (error instanceof BlindvaultError ? error : undefined),
      ),
    );
    return writing;
  }

  /** Settles when the write in progress for this key (if any) has, so a lock is never handed on mid-write. */
  async writeSettled(key: string): Promise<void> {
    await this.#writes.get(key);
  }

  /** Waits for the request's write (if it made one) to settle; answers our refusal of it, if any. */
  async settleWrite(key: string): Promise<BlindvaultError | undefined> {
    const writing = this.#writes.get(key);
    if (writing === undefined) return undefined;
    this.#writes.delete(key);
    return writing;
  }

  override async remove(key: string): Promise<void> {
    await this.#service.terminate(parseCallerKey(key));
  }
}
