import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { assertBlobKey, type BlobStore } from '../blob-store.js';
import { UploadOffsetConflict, type UploadStore, type UploadUsage } from '../upload-store.js';
import { FsBlobStore } from './fs-blob-store.js';

const WRITE_BYTES = 1024 * 1024;
// A sender trickling tiny pieces must not make one write of countless buffers.
const MAX_GATHERED = 256;

/**
 * Partial uploads as files in <root>/uploads/<key>, beside the folder blob store of the same root,
 * so that completing one is a rename into the blob store rather than a second copy.
 */
export class FsUploadStore implements UploadStore {
  readonly #dir: string;
  readonly #blobs: FsBlobStore | BlobStore;

  private constructor(root: string, blobs: FsBlobStore | BlobStore) {
    this.#dir = path.join(root, 'uploads');
    this.#blobs = blobs;
  }

  /** `root` is the folder `blobs` was opened on (the same filesystem). */
  static async open(root: string, blobs: FsBlobStore | BlobStore): Promise<FsUploadStore> {
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
    let handle;
    try {
      handle = await open(this.#pathOf(key), 'r+');
    } catch (error) {
      // Swept or terminated an instant ago: as if it had never been there.
      if (isNotFound(error)) throw new UploadOffsetConflict(-1);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size !== offset) throw new UploadOffsetConflict(size);
      let position = offset;
      // Chunks are gathered into writes of about WRITE_BYTES (network chunks are small; one
      // syscall each would cost more than the copy). When the source breaks, what it gave so far
      // is still written: the client resumes after it.
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        // One writev of the gathered chunks (no copy into one buffer); a short write goes on with the rest.
        let chunks = pending;
        pending = [];
        pendingBytes = 0;
        while (chunks.length > 0) {
          const { bytesWritten } = await handle.writev(chunks, position);
          position += bytesWritten;
          chunks = rest(chunks, bytesWritten);
        }
      };
      try {
        for await (const chunk of source) {
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= WRITE_BYTES || pending.length >= MAX_GATHERED) await flush();
        }
      } finally {
        if (pendingBytes > 0) await flush();
        await handle.datasync();
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  async complete(key: string, blobKey: string): Promise<{ sizeBytes: number }> {
    if (this.#blobs instanceof FsBlobStore) return this.#blobs.adopt(blobKey, this.#pathOf(key));
    // Another blob store (a bucket): the partial is put there as one blob, atomically, then removed.
    const stored = await this.#blobs.put(blobKey, createReadStream(this.#pathOf(key), { highWaterMark: 256 * 1024 }));
    await rm(this.#pathOf(key), { force: true });
    return stored;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#pathOf(key), { force: true });
  }

  async sweepStale(before: Date, keep: (key: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#dir)) {
      const file = path.join(this.#dir, name);
      try {
        if ((await stat(file)).mtimeMs < before.getTime() && !(await keep(name))) {
          await rm(file, { force: true });
          removed += 1;
        }
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return removed;
  }

  async usage(): Promise<UploadUsage> {
    const usage: UploadUsage = { partials: 0, bytes: 0 };
    for (const name of await readdir(this.#dir)) {
      try {
        const info = await stat(path.join(this.#dir, name));
        if (!info.isFile()) continue;
        usage.partials += 1;
        usage.bytes += info.size;
      } catch (error) {
        // Completed or deleted since the listing.
        if (!isNotFound(error)) throw error;
      }
    }
    return usage;
  }

  async ping(): Promise<void> {
    await stat(this.#dir);
  }
}

/** The chunks after the first `written` bytes of them. */
function rest(chunks: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let i = 0;
  while (i < chunks.length && skip >= (chunks[i] as Uint8Array).byteLength) skip -= (chunks[i++] as Uint8Array).byteLength;
  const left = chunks.slice(i);
  if (skip > 0 && left.length > 0) left[0] = (left[0] as Uint8Array).subarray(skip);
  return left;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
