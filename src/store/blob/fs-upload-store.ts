import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey } from '../blob-store.js';
import { UploadOffsetConflict, type UploadStore } from '../upload-store.js';
import type { FsBlobStore } from './fs-blob-store.js';

/**
 * Partial uploads as files in <root>/uploads/<key>, beside the folder blob store of the same root,
 * so that completing one is a rename into the blob store rather than a second copy.
 */
export class FsUploadStore implements UploadStore {
  readonly #dir: string;
  readonly #blobs: FsBlobStore;

  private constructor(root: string, blobs: FsBlobStore) {
    this.#dir = path.join(root, 'uploads');
    this.#blobs = blobs;
  }

  /** `root` is the folder `blobs` was opened on (the same filesystem). */
  static async open(root: string, blobs: FsBlobStore): Promise<FsUploadStore> {
    const store = new FsUploadStore(path.resolve(root), blobs);
    await mkdir(store.#dir, { recursive: true, mode: 0o700 });
    return store;
  }

  #pathOf(key: string): string {
    assertBlobKey(key);
    return path.join(this.#dir, key);
  }

  async create(key: string): Promise<void> {
    const handle = await open(this.#pathOf(key), 'wx', 0o600);
    await handle.close();
  }

  async offset(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.#pathOf(key))).size;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async append(key: string, offset: number, source: AsyncIterable<Uint8Array> | Readable): Promise<number> {
    const file = this.#pathOf(key);
    // Swept or terminated an instant ago: as if it had never been there.
    const size = await this.offset(key);
    if (size !== offset) throw new UploadOffsetConflict(size ?? -1);
    let written = 0;
    await pipeline(
      source,
      async function* count(chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          written += chunk.byteLength;
          yield chunk;
        }
      },
      // flush: fsync before close, also when the source fails: what arrived stays, durably, and
      // the client resumes after it.
      createWriteStream(file, { flags: 'r+', start: offset, flush: true, highWaterMark: 1024 * 1024 }),
    );
    return offset + written;
  }

  async complete(key: string, blobKey: string): Promise<{ sizeBytes: number }> {
    return this.#blobs.adopt(blobKey, this.#pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.#pathOf(key), { force: true });
  }

  async sweepStale(before: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#dir)) {
      const file = path.join(this.#dir, name);
      try {
        if ((await stat(file)).mtimeMs < before.getTime()) {
          await rm(file, { force: true });
          removed += 1;
        }
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    await stat(this.#dir);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
