import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { assertBlobKey, type BlobStore } from '../blob-store.js';
import { UploadOffsetConflict, type UploadStore, type UploadUsage } from '../upload-store.js';
import { FsBlobStore } from './fs-blob-store.js';

/** Received pieces are gathered into writes of about this much (network pieces are 16–64 KiB). */
const WRITE_BYTES = 4 * 1024 * 1024;
// A sender trickling tiny pieces must not make one write of countless buffers.
const MAX_GATHERED = 256;
/** A datasync starts in the background after this much has been written since the last one. */
const SYNC_EVERY_BYTES = 8 * 1024 * 1024;

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
    const writer = new PartialWriter(handle);
    try {
      const { size } = await handle.stat();
      if (size !== offset) throw new UploadOffsetConflict(size);
      writer.position = offset;
      try {
        for await (const chunk of source) await writer.push(chunk);
      } finally {
        // When the source breaks, what it gave so far is still written and made durable: the client
        // resumes after it. The answer (the new offset) is given only once every byte of it is on disk.
        await writer.end();
      }
      return writer.position;
    } finally {
      await writer.settled();
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

/**
 * Appends to one open partial with at most one write and one background datasync in flight, so that receiving,
 * writing and flushing overlap instead of taking turns. `end` waits for both and makes everything durable;
 * `position` is then the partial's durable length. A failed write is reported by the next push and by `end`.
 */
class PartialWriter {
  position = 0;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> | undefined;
  #syncing: Promise<void> | undefined;
  #unsynced = 0;
  #failure: { error: unknown } | undefined;

  constructor(readonly handle: FileHandle) {}

  async push(chunk: Uint8Array): Promise<void> {
    this.#check();
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    if (this.#pendingBytes < WRITE_BYTES && this.#pending.length < MAX_GATHERED) return;
    // One write in flight: the next batch waits for it (and the source with it, which is the backpressure).
    await this.#writing;
    this.#check();
    this.#startWrite();
  }

  async end(): Promise<void> {
    await this.#writing;
    if (this.#pendingBytes > 0 && !this.#failure) {
      this.#startWrite();
      await this.#writing;
    }
    await this.#syncing;
    this.#check();
    await this.handle.datasync();
  }

  /** Settles once nothing is in flight on the handle (before it is closed), whatever happened. */
  async settled(): Promise<void> {
    await this.#writing;
    await this.#syncing;
  }

  #check(): void {
    if (this.#failure) throw this.#failure.error;
  }

  #startWrite(): void {
    let chunks = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = (async () => {
      // One writev of the gathered chunks (no copy into one buffer); a short write goes on with the rest.
      while (chunks.length > 0) {
        const { bytesWritten } = await this.handle.writev(chunks, this.position);
        this.position += bytesWritten;
        this.#unsynced += bytesWritten;
        chunks = rest(chunks, bytesWritten);
      }
      if (this.#unsynced >= SYNC_EVERY_BYTES && !this.#syncing) {
        this.#unsynced = 0;
        // Early flushing only shortens the final datasync in end(), which alone makes the offset durable.
        this.#syncing = this.handle.datasync().then(
          () => void (this.#syncing = undefined),
          (error: unknown) => {
            this.#syncing = undefined;
            this.#failure ??= { error };
          },
        );
      }
    })().catch((error: unknown) => {
      this.#failure ??= { error };
    });
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
