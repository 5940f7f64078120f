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
    return this.#service.append(parseCallerKey(key), offset, stream);
  }

  override async remove(key: string): Promise<void> {
    await this.#service.terminate(parseCallerKey(key));
  }
}
