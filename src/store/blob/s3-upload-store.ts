import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type _Object } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { assertBlobKey, BLOB_KEY_PATTERN, BlobStoreUnavailable } from '../blob-store.js';
import { UploadOffsetConflict, type UploadStore, type UploadUsage } from '../upload-store.js';
import type { S3BlobStore, S3Objects } from './s3-blob-store.js';
import { S3_PART_BYTES } from './s3-location.js';

/** The folder of every partial, under the blob store's prefix; blob keys have no "/", so none collides. */
const PARTIALS = 'partials/';
/** Written by `create`: a partial exists (empty or not) while its marker does. */
const MARKER = 'created';
/** Pieces are named by their offset, zero-padded so that S3's order is the bytes' order. */
const PIECE = /^\d{16}$/;
const DELETE_CONCURRENCY = 8;

export interface S3UploadStoreOptions {
  /** The most bytes one piece holds, and so the most one append buffers. Default 8 MiB. */
  pieceBytes?: number;
  /** The least a piece but the last may hold for `complete` to copy pieces inside the store. Default S3's part floor, 5 MiB. */
  minCopyPartBytes?: number;
}

/** S3's floor on every part of a multipart upload but the last. */
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

interface Piece {
  objectKey: string;
  offset: number;
  sizeBytes: number;
}

interface Listing {
  created: boolean;
  pieces: Piece[];
  /** Every object of the partial, marker included (for deletion). */
  objectKeys: string[];
}

/**
 * Partial resumable uploads in the bucket of an S3BlobStore, so that any instance can continue,
 * complete or remove an upload another one began: <prefix>partials/<key>/created marks the partial,
 * and each append writes its bytes as pieces <prefix>partials/<key>/<offset>, each put whole once
 * it holds `pieceBytes` (or the append ends, or its source breaks). An append first fills up a
 * short last piece (read back and put again, longer, under its name), so a partial of n bytes has
 * at most ceil(n / pieceBytes) pieces however small the PATCHes were. A piece is an object, so it
 * is there whole or not at all: the offset (the sum of the pieces' sizes, a gap refused) is always
 * the number of bytes kept. `complete` makes the blob from the pieces (copied inside the store when
 * it can, else streamed in order into the blob store's atomic put), then deletes the partial,
 * marker first.
 *
 * Memory per append: the piece being filled (the short piece read back included), at most
 * `pieceBytes` (plus one copy of it while it is sent). Per complete: one piece's download stream
 * and the blob store's two part buffers. Traffic: PATCHes of c bytes put (pieceBytes / c + 1) / 2
 * times their bytes and read back (pieceBytes / c - 1) / 2 times (1 MiB PATCHes: 4.5 and 3.5; the
 * CLI's 32 MiB chunks: 1 and 0), the price of a piece count that stays small.
 *
 * Relies on S3's strong read-after-write and list-after-write consistency (AWS since 2020, MinIO,
 * Ceph RGW, Garage): an instance's LIST sees the pieces another one has just written.
 */
export class S3UploadStore implements UploadStore {
  readonly #blobs: S3BlobStore;
  readonly #s3: S3Objects;
  readonly #pieceBytes: number;
  readonly #minCopyPartBytes: number;

  constructor(blobs: S3BlobStore, options: S3UploadStoreOptions = {}) {
    this.#blobs = blobs;
    this.#s3 = blobs.objects();
    this.#pieceBytes = options.pieceBytes ?? S3_PART_BYTES;
    this.#minCopyPartBytes = options.minCopyPartBytes ?? S3_MIN_PART_BYTES;
    if (!Number.isSafeInteger(this.#pieceBytes) || this.#pieceBytes < 1) throw new TypeError('pieceBytes must be a positive integer');
  }

  #folder(key: string): string {
    assertBlobKey(key);
    return `${this.#s3.prefix}${PARTIALS}${key}/`;
  }

  /** Every object under `prefix`, page by page. */
  async *#objectsUnder(prefix: string): AsyncGenerator<_Object> {
    const { client, bucket } = this.#s3;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.#s3.call('list objects', () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken })));
      yield* page.Contents ?? [];
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async #list(folder: string): Promise<Listing> {
    const listing: Listing = { created: false, pieces: [], objectKeys: [] };
    for await (const object of this.#objectsUnder(folder)) {
      if (object.Key === undefined) continue;
      listing.objectKeys.push(object.Key);
      const name = object.Key.slice(folder.length);
      if (name === MARKER) listing.created = true;
      else if (PIECE.test(name)) listing.pieces.push({ objectKey: object.Key, offset: Number(name), sizeBytes: object.Size ?? 0 });
    }
    listing.pieces.sort((a, b) => a.offset - b.offset);
    return listing;
  }

  /** The partial's length, or undefined when there is none. Pieces must follow each other exactly. */
  #length(listing: Listing): number | undefined {
    if (!listing.created) return undefined;
    let end = 0;
    for (const piece of listing.pieces) {
      // Only a broken lock (two appends at once) or a hand in the bucket could do this.
      if (piece.offset !== end) throw new Error('a partial upload whose pieces do not follow each other');
      end += piece.sizeBytes;
    }
    return end;
  }

  async #put(objectKey: string, body: Buffer): Promise<void> {
    const { client, bucket } = this.#s3;
    await this.#s3.call('put object', () => client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentLength: body.byteLength })));
  }

  async #deleteAll(objectKeys: string[]): Promise<void> {
    const { client, bucket } = this.#s3;
    for (let i = 0; i < objectKeys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        objectKeys.slice(i, i + DELETE_CONCURRENCY).map((Key) => this.#s3.call('delete object', () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })))),
      );
    }
  }

  /** Marker first: from then on the partial is gone for every reader, even if a piece is left (swept). */
  async #remove(folder: string, listing: Listing): Promise<void> {
    const marker = `${folder}${MARKER}`;
    if (listing.created) await this.#deleteAll([marker]);
    await this.#deleteAll(listing.objectKeys.filter((objectKey) => objectKey !== marker));
  }

  async create(key: string): Promise<void> {
    const folder = this.#folder(key);
    const { client, bucket } = this.#s3;
    const existing = await this.#s3.call('list objects', () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, MaxKeys: 1 })));
    // Not atomic with the put below; keys are fresh random file ids, so no two creates race.
    if ((existing.Contents ?? []).length > 0) throw new Error('a partial upload with this key exists');
    await this.#put(`${folder}${MARKER}`, Buffer.alloc(0));
  }

  async offset(key: string): Promise<number | undefined> {
    return this.#length(await this.#list(this.#folder(key)));
  }

  async append(key: string, offset: number, source: AsyncIterable<Uint8Array> | Readable): Promise<number> {
    const folder = this.#folder(key);
    const listing = await this.#list(folder);
    const length = this.#length(listing);
    // Swept or terminated an instant ago: as if it had never been there.
    if (length === undefined) throw new UploadOffsetConflict(-1);
    if (length !== offset) throw new UploadOffsetConflict(length);
    // A short last piece (the end of an earlier PATCH) is filled up before a new one is begun: it is
    // read back once the first byte arrives and put again, longer, under its own name. A put
    // replaces the object whole, so the partial is always the old piece or the longer one; and
    // every piece but the last holds exactly `pieceBytes`, however small the PATCHes.
    const last = listing.pieces.at(-1);
    const short = last !== undefined && last.sizeBytes < this.#pieceBytes ? last : undefined;
    /** Where the piece being filled begins. */
    let pieceStart = short ? short.offset : offset;
    /** The partial's length as stored. */
    let kept = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let readBack = short === undefined;
    const flush = async () => {
      const body = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.#put(`${folder}${String(pieceStart).padStart(16, '0')}`, body);
      pieceStart += body.byteLength;
      kept = pieceStart;
    };
    let broken: { error: unknown } | undefined;
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (bytes.byteLength === 0) continue;
        if (!readBack && short) {
          // Nothing is pending yet: a read that fails leaves the partial as it was.
          const stored: Buffer[] = [];
          for await (const piece of this.#read([short])) stored.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
          pending = stored;
          pendingBytes = short.sizeBytes;
          readBack = true;
        }
        while (bytes.byteLength > 0) {
          const taken = bytes.subarray(0, this.#pieceBytes - pendingBytes);
          pending.push(taken);
          pendingBytes += taken.byteLength;
          bytes = bytes.subarray(taken.byteLength);
          if (pendingBytes === this.#pieceBytes) await flush();
        }
      }
    } catch (error) {
      broken = { error };
    }
    // What the source gave before it broke is kept too: the client resumes after it. (A piece the
    // store refused was dropped from `pending` when it was sent, so nothing is sent twice; the
    // stored piece it would have replaced is still whole.)
    if (pendingBytes > 0) await flush();
    if (broken) throw broken.error;
    return kept;
  }

  async complete(key: string, blobKey: string): Promise<{ sizeBytes: number }> {
    const folder = this.#folder(key);
    const listing = await this.#list(folder);
    const length = this.#length(listing);
    if (length === undefined) throw new Error('no such partial upload');
    // Both ways are atomic (a multipart upload, aborted on failure, swept after a crash). Copies
    // inside the store when the pieces can be its parts (every piece but the last is whole, as
    // append makes them), else (a partial left by an earlier version with short pieces inside, or
    // pieces smaller than S3's part floor) the pieces stream through this process into the blob
    // store's put.
    const { pieces } = listing;
    const copyable = pieces.length > 0 && pieces.slice(0, -1).every((piece) => piece.sizeBytes >= this.#minCopyPartBytes);
    const stored =
      (copyable ? await this.#blobs.composeFrom(blobKey, pieces.map((piece) => piece.objectKey)) : undefined) ??
      (await this.#blobs.put(blobKey, Readable.from(this.#read(pieces), { objectMode: false })));
    if (stored.sizeBytes !== length) throw new Error('a partial upload changed while it was completed');
    await this.#remove(folder, listing);
    return stored;
  }

  /** The pieces' bytes in order; a piece that is missing or ends early fails the stream. */
  async *#read(pieces: Piece[]): AsyncGenerator<Uint8Array> {
    const { client, bucket } = this.#s3;
    for (const piece of pieces) {
      const answer = await this.#s3.call('get object', () => client.send(new GetObjectCommand({ Bucket: bucket, Key: piece.objectKey })));
      const body = answer.Body;
      if (!(body instanceof Readable)) throw new BlobStoreUnavailable();
      let seen = 0;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          seen += chunk.byteLength;
          yield chunk;
        }
      } catch {
        throw new BlobStoreUnavailable();
      } finally {
        body.destroy();
      }
      if (seen !== piece.sizeBytes) throw new BlobStoreUnavailable();
    }
  }

  async delete(key: string): Promise<void> {
    const folder = this.#folder(key);
    await this.#remove(folder, await this.#list(folder));
  }

  async sweepStale(before: Date, keep: (key: string) => Promise<boolean>): Promise<number> {
    const root = `${this.#s3.prefix}${PARTIALS}`;
    // Each partial's objects and its newest write (a piece lands at least every pieceBytes).
    const partials = new Map<string, { newestMs: number; objectKeys: string[] }>();
    for await (const object of this.#objectsUnder(root)) {
      if (object.Key === undefined) continue;
      const key = object.Key.slice(root.length).split('/', 1)[0] ?? '';
      if (!BLOB_KEY_PATTERN.test(key)) continue; // not one of ours
      const entry = partials.get(key) ?? { newestMs: 0, objectKeys: [] };
      entry.newestMs = Math.max(entry.newestMs, object.LastModified?.getTime() ?? 0);
      entry.objectKeys.push(object.Key);
      partials.set(key, entry);
    }
    let removed = 0;
    for (const [key, { newestMs, objectKeys }] of partials) {
      if (newestMs >= before.getTime() || (await keep(key))) continue;
      const folder = `${root}${key}/`;
      const marker = `${folder}${MARKER}`;
      await this.#remove(folder, { created: objectKeys.includes(marker), pieces: [], objectKeys });
      removed += 1;
    }
    return removed;
  }

  async usage(): Promise<UploadUsage> {
    const root = `${this.#s3.prefix}${PARTIALS}`;
    const usage: UploadUsage = { partials: 0, bytes: 0 };
    for await (const object of this.#objectsUnder(root)) {
      const [key, name] = (object.Key ?? '').slice(root.length).split('/');
      if (key === undefined || !BLOB_KEY_PATTERN.test(key)) continue; // not one of ours
      if (name === MARKER) usage.partials += 1;
      // Pieces whose marker is gone (a crash while a partial was deleted) still take room until swept.
      usage.bytes += object.Size ?? 0;
    }
    return usage;
  }

  async ping(): Promise<void> {
    await this.#blobs.ping();
  }
}
