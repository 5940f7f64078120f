import { createId } from '../../crypto/token.js';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBlobKey, type BlobStore, type BlobUsage, type ByteRange, type StoredBlob } from '../blob-store.js';

/**
 * Blobs as files: blobs/<2-char shard>/<key>. A put writes to partial/<key>.<random>, fsyncs it,
 * renames it into place and fsyncs the directory, so a blob is either whole or absent.
 */
export class FsBlobStore implements BlobStore {
  readonly #blobsDir: string;
  readonly #partialDir: string;

  private constructor(root: string) {
    this.#blobsDir = path.join(root, 'blobs');
    this.#partialDir = path.join(root, 'partial');
  }

  static async open(root: string): Promise<FsBlobStore> {
    const store = new FsBlobStore(path.resolve(root));
    await mkdir(store.#blobsDir, { recursive: true, mode: 0o700 });
    await mkdir(store.#partialDir, { recursive: true, mode: 0o700 });
    return store;
  }

  #pathOf(key: string): { dir: string; file: string } {
    assertBlobKey(key);
    const dir = path.join(this.#blobsDir, key.slice(0, 2));
    return { dir, file: path.join(dir, key) };
  }

  async put(key: string, source: AsyncIterable<Uint8Array> | Readable, options: { signal?: AbortSignal } = {}): Promise<{ sizeBytes: number }> {
    const { dir, file } = this.#pathOf(key);
    const partial = path.join(this.#partialDir, `${key}.${createId()}`);
    let sizeBytes = 0;
    try {
      // flush: fsync before close, so the rename below never publishes unwritten pages.
      const sink = createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true });
      await pipeline(
        source,
        async function* count(chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            sizeBytes += chunk.byteLength;
            yield chunk;
          }
        },
        sink,
        options.signal ? { signal: options.signal } : {},
      );
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await rename(partial, file);
      await fsyncDir(dir);
      return { sizeBytes };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /**
   * Makes a finished file of the same filesystem (a completed resumable upload) the blob `key`:
   * fsync it, rename it into place, fsync the directory. The file is gone from where it was.
   */
  async adopt(key: string, file: string): Promise<{ sizeBytes: number }> {
    const { dir, file: target } = this.#pathOf(key);
    const handle = await open(file, 'r');
    let sizeBytes: number;
    try {
      await handle.sync();
      ({ size: sizeBytes } = await handle.stat());
    } finally {
      await handle.close();
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(file, target);
    await fsyncDir(dir);
    return { sizeBytes };
  }

  async get(key: string, range?: ByteRange): Promise<StoredBlob | undefined> {
    const { file } = this.#pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (range && (range.start < 0 || range.end < range.start || range.end >= size)) {
        throw new RangeError('range outside the blob');
      }
      const stream = handle.createReadStream(range ? { start: range.start, end: range.end, highWaterMark: 256 * 1024 } : { highWaterMark: 256 * 1024 });
      return { sizeBytes: size, stream };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const { file } = this.#pathOf(key);
    try {
      await unlink(file);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async sweepPartials(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await readdir(this.#partialDir)) {
      const file = path.join(this.#partialDir, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await rm(file, { force: true });
          removed += 1;
        }
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return removed;
  }

  /** What an unprivileged writer may still use on the file system of the partial folder. */
  async freeBytes(): Promise<number | undefined> {
    const { bavail, bsize } = await statfs(this.#partialDir);
    return Number(bavail) * Number(bsize);
  }

  async ping(): Promise<void> {
    await stat(this.#blobsDir);
  }

  async usage(): Promise<BlobUsage> {
    let blobs = 0;
    let bytes = 0;
    for (const shard of await readdir(this.#blobsDir)) {
      for (const name of await readdir(path.join(this.#blobsDir, shard)).catch(() => [] as string[])) {
        const info = await stat(path.join(this.#blobsDir, shard, name)).catch(() => undefined);
        if (!info?.isFile()) continue;
        blobs += 1;
        bytes += info.size;
      }
    }
    return { backend: 'folder', blobs, bytes, partials: (await readdir(this.#partialDir)).length };
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
