import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Readable, addAbortSignal } from 'node:stream';
import { assertBlobKey, BLOB_KEY_PATTERN, BlobStoreUnavailable, type BlobStore, type BlobUsage, type ByteRange, type StoredBlob } from '../blob-store.js';
import { S3_PART_BYTES, type S3Location } from './s3-location.js';

/** S3's ceiling on parts per upload. */
const MAX_PARTS = 10_000;

export interface S3BlobStoreOptions {
  location: S3Location;
  /** Each part is buffered whole before it is sent; at most two are held per upload. Default 8 MiB (S3's floor is 5 MiB). */
  partSizeBytes?: number;
  /** A connection to the store that carries no byte for this long fails (upload or download). Default 120 s. */
  idleTimeoutMs?: number;
  /** Attempts per request (the SDK retries 5xx and network errors with backoff). Default 3. */
  maxAttempts?: number;
  /** Told about every failure of the store itself (for the log and the metrics). */
  onStoreError?: (failure: BlobStoreFailure) => void;
}

/** What S3BlobStore.objects() shares. */
export interface S3Objects {
  client: S3Client;
  bucket: string;
  /** Empty, or ends in "/". */
  prefix: string;
  /** Runs one request; a failure is reported and rejects as BlobStoreUnavailable. */
  call<T>(operation: string, run: () => Promise<T>): Promise<T>;
}

/**
 * A failure of the store as it may be logged: the error's name and HTTP status only. Messages are
 * left out: S3's quote the object key, which is a file id.
 */
export interface BlobStoreFailure {
  operation: string;
  errorName: string;
  httpStatus: number | undefined;
}

/** A failure of the store (not of the caller's source): answered as UNAVAILABLE. */
class StoreFailure extends Error {
  constructor(readonly operation: string, override readonly cause: unknown) {
    super(`S3 ${operation} failed`);
  }
}

/**
 * Blobs as objects of an S3-compatible bucket, under <prefix><key>. A put streams through a
 * multipart upload with bounded part buffers straight to the final key: S3 makes the object
 * visible only when the upload completes, so a blob is whole or absent. A put that fails or is
 * aborted aborts its multipart upload (and deletes the object if a completing request may have
 * landed) before it rejects. The sweeper aborts multipart uploads left by a crash.
 *
 * A multipart writer of our own rather than lib-storage's Upload: on abort, Upload rejects at once
 * and aborts the multipart upload later, so "nothing remains when put rejects" would not hold.
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSizeBytes: number;
  readonly #onStoreError: (operation: string, error: unknown) => void;
  /** Set when the store answered UploadPartCopy with NotImplemented: composeFrom is not tried again. */
  #copyUnsupported = false;

  constructor(options: S3BlobStoreOptions) {
    const { location } = options;
    this.#bucket = location.bucket;
    this.#prefix = location.prefix;
    this.#partSizeBytes = options.partSizeBytes ?? S3_PART_BYTES;
    if (!Number.isSafeInteger(this.#partSizeBytes) || this.#partSizeBytes < 1) throw new TypeError('partSizeBytes must be a positive integer');
    const report = options.onStoreError ?? (() => {});
    this.#onStoreError = (operation, error) => report({ operation, errorName: nameOf(error) ?? 'Error', httpStatus: httpStatusOf(error) });
    quietNodeVersionNotice();
    this.#client = new S3Client({
      region: location.region,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      forcePathStyle: location.forcePathStyle,
      maxAttempts: options.maxAttempts ?? 3,
      // Checksum trailers (aws-chunked bodies) are not understood by every S3-compatible store; the
      // ciphertext is authenticated by the client's AEAD anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // No cap on sockets: the SDK's default pool of 50 per instance let 50 downloads (each holds its
      // GET's socket while the client reads, at the client's pace) starve every other request, and
      // the SDK counts the wait for a free socket in connectionTimeout, so the queued ones failed as
      // "did not establish a connection" (503) with the store healthy. The server's own bounds
      // (MAX_CONNECTIONS; one S3 request at a time per client request, 8 deletes when a partial or a sweep
      // removes objects) bound the sockets.
      requestHandler: {
        connectionTimeout: 10_000,
        socketTimeout: options.idleTimeoutMs ?? 120_000,
        httpAgent: { keepAlive: true, maxSockets: Infinity },
        httpsAgent: { keepAlive: true, maxSockets: Infinity },
      },
    });
  }

  #objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.#prefix}${key}`;
  }

  async #send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new StoreFailure(operation, error);
    }
  }

  #unavailable(failure: StoreFailure): BlobStoreUnavailable {
    this.#onStoreError(failure.operation, failure.cause);
    return new BlobStoreUnavailable();
  }

  /**
   * The same client, bucket and prefix for the paired S3UploadStore (partial resumable uploads in
   * this bucket), with the store's failures reported and answered as this store's own.
   */
  objects(): S3Objects {
    return {
      client: this.#client,
      bucket: this.#bucket,
      prefix: this.#prefix,
      call: async (operation, run) => {
        try {
          return await run();
        } catch (error) {
          throw this.#unavailable(new StoreFailure(operation, error));
        }
      },
    };
  }

  async put(key: string, source: AsyncIterable<Uint8Array> | Readable, options: { signal?: AbortSignal } = {}): Promise<{ sizeBytes: number }> {
    const objectKey = this.#objectKey(key);
    const Bucket = this.#bucket;
    const partSize = this.#partSizeBytes;
    // Aborted by the caller, or by us when a part fails: stops the source and every request.
    const controller = new AbortController();
    const callerSignal = options.signal;
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const abortSignal = controller.signal;

    const pending: Buffer[] = [];
    let pendingBytes = 0;
    let sizeBytes = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    let partCount = 0;
    let inFlight: Promise<void> | undefined;
    let partFailure: StoreFailure | undefined;
    /** A request that could have created the object was sent: on failure, delete it too. */
    let mayExist = false;

    const take = (bytes: number): Buffer => {
      const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      const rest = all.subarray(bytes);
      if (rest.byteLength > 0) pending.push(rest);
      pendingBytes = rest.byteLength;
      return all.subarray(0, bytes);
    };
    // One part in flight while the next one fills: at most two parts in memory.
    const sendPart = async (body: Buffer): Promise<void> => {
      await inFlight;
      if (partFailure) throw partFailure;
      if (uploadId === undefined) {
        const created = await this.#send('create multipart upload', () => this.#client.send(new CreateMultipartUploadCommand({ Bucket, Key: objectKey }), { abortSignal }));
        if (!created.UploadId) throw new StoreFailure('create multipart upload', new Error('no UploadId in the answer'));
        uploadId = created.UploadId;
      }
      partCount += 1;
      if (partCount > MAX_PARTS) throw new RangeError(`a blob of more than ${MAX_PARTS} parts`);
      const PartNumber = partCount;
      const UploadId = uploadId;
      inFlight = this.#send('upload part', () =>
        this.#client.send(new UploadPartCommand({ Bucket, Key: objectKey, UploadId, PartNumber, Body: body, ContentLength: body.byteLength }), { abortSignal }),
      ).then(
        (answer) => {
          parts[PartNumber - 1] = { PartNumber, ETag: answer.ETag };
        },
        (error: StoreFailure) => {
          if (abortSignal.aborted) return; // we stopped it: the cause is recorded elsewhere
          partFailure = error;
          controller.abort(error);
        },
      );
    };

    try {
      const readable = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
      addAbortSignal(abortSignal, readable);
      for await (const chunk of readable as AsyncIterable<Uint8Array>) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        sizeBytes += bytes.byteLength;
        pending.push(bytes);
        pendingBytes += bytes.byteLength;
        while (pendingBytes >= partSize) await sendPart(take(partSize));
      }
      if (uploadId === undefined && partCount === 0) {
        const body = take(pendingBytes);
        mayExist = true;
        await this.#send('put object', () => this.#client.send(new PutObjectCommand({ Bucket, Key: objectKey, Body: body, ContentLength: body.byteLength }), { abortSignal }));
      } else {
        if (pendingBytes > 0) await sendPart(take(pendingBytes));
        await inFlight;
        if (partFailure) throw partFailure;
        const UploadId = uploadId;
        mayExist = true;
        await this.#send('complete multipart upload', () =>
          this.#client.send(new CompleteMultipartUploadCommand({ Bucket, Key: objectKey, UploadId, MultipartUpload: { Parts: parts } }), { abortSignal }),
        );
      }
      return { sizeBytes };
    } catch (error) {
      const reason = callerSignal?.aborted ? callerSignal.reason : (partFailure ?? error);
      controller.abort(reason);
      await inFlight;
      await this.#cleanUp(objectKey, uploadId, mayExist);
      throw reason instanceof StoreFailure ? this.#unavailable(reason) : reason;
    } finally {
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /**
   * Makes the blob `key` from whole objects of this bucket, in order, by copies inside the store
   * (UploadPartCopy into one multipart upload): no byte passes through this process. Every source
   * but the last must hold at least S3's part floor (5 MiB). Whole or absent, as `put`. Resolves
   * undefined, leaving nothing, when the store does not implement UploadPartCopy (s3rver does not):
   * the caller then streams the sources through `put`.
   */
  async composeFrom(key: string, sourceObjectKeys: string[]): Promise<{ sizeBytes: number } | undefined> {
    const objectKey = this.#objectKey(key);
    const Bucket = this.#bucket;
    if (this.#copyUnsupported || sourceObjectKeys.length === 0 || sourceObjectKeys.length > MAX_PARTS) return undefined;
    let uploadId: string | undefined;
    let mayExist = false;
    try {
      const created = await this.#send('create multipart upload', () => this.#client.send(new CreateMultipartUploadCommand({ Bucket, Key: objectKey })));
      if (!created.UploadId) throw new StoreFailure('create multipart upload', new Error('no UploadId in the answer'));
      const UploadId = created.UploadId;
      uploadId = UploadId;
      const parts: CompletedPart[] = [];
      for (const [index, source] of sourceObjectKeys.entries()) {
        const PartNumber = index + 1;
        const answer = await this.#send('upload part copy', () =>
          this.#client.send(new UploadPartCopyCommand({ Bucket, Key: objectKey, UploadId, PartNumber, CopySource: `${Bucket}/${source}` })),
        );
        parts.push({ PartNumber, ETag: answer.CopyPartResult?.ETag });
      }
      mayExist = true;
      await this.#send('complete multipart upload', () => this.#client.send(new CompleteMultipartUploadCommand({ Bucket, Key: objectKey, UploadId, MultipartUpload: { Parts: parts } })));
      const head = await this.#send('head object', () => this.#client.send(new HeadObjectCommand({ Bucket, Key: objectKey })));
      if (head.ContentLength === undefined) throw new StoreFailure('head object', new Error('the answer has no Content-Length'));
      return { sizeBytes: head.ContentLength };
    } catch (error) {
      await this.#cleanUp(objectKey, uploadId, mayExist);
      if (error instanceof StoreFailure && error.operation === 'upload part copy' && nameOf(error.cause) === 'NotImplemented') {
        this.#copyUnsupported = true;
        return undefined;
      }
      throw error instanceof StoreFailure ? this.#unavailable(error) : error;
    }
  }

  /** Leaves nothing of a failed put: its multipart upload aborted, its object gone if it may exist. */
  async #cleanUp(objectKey: string, uploadId: string | undefined, mayExist: boolean): Promise<void> {
    if (uploadId !== undefined) {
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: objectKey, UploadId: uploadId }))
        .catch((error: unknown) => this.#onStoreError('abort multipart upload (the sweeper will retry)', error));
    }
    if (mayExist) {
      await this.#client
        .send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }))
        .catch((error: unknown) => this.#onStoreError('delete after a failed put', error));
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredBlob | undefined> {
    const objectKey = this.#objectKey(key);
    if (range && (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start)) {
      throw new RangeError('range outside the blob');
    }
    let answer;
    try {
      answer = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: objectKey, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 404 || nameOf(error) === 'NoSuchKey') return undefined;
      if (status === 416 || nameOf(error) === 'InvalidRange') throw new RangeError('range outside the blob');
      throw this.#unavailable(new StoreFailure('get object', error));
    }
    const body = answer.Body;
    if (!(body instanceof Readable)) throw this.#unavailable(new StoreFailure('get object', new Error('the answer has no body stream')));
    let sizeBytes: number;
    let expected: number;
    if (range) {
      const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.ContentRange ?? '');
      const total = match ? Number(match[3]) : NaN;
      // S3 shortens a range that runs past the end; the interface refuses it, as the folder does.
      // Some S3-compatible servers send more than asked (s3rver answers bytes=0-0 with the whole
      // object): only the asked bytes are passed on.
      if (match && range.end >= total) {
        body.destroy();
        throw new RangeError('range outside the blob');
      }
      if (!match || Number(match[1]) !== range.start || Number(match[2]) < range.end) {
        body.destroy();
        throw this.#unavailable(new StoreFailure('get object', new Error('the answer has an unexpected Content-Range')));
      }
      sizeBytes = total;
      expected = range.end - range.start + 1;
    } else {
      if (answer.ContentLength === undefined) {
        body.destroy();
        throw this.#unavailable(new StoreFailure('get object', new Error('the answer has no Content-Length')));
      }
      sizeBytes = answer.ContentLength;
      expected = sizeBytes;
    }
    // Destroying `stream` (a client gone) ends the generator, which destroys the body.
    const stream = Readable.from(this.#exactly(body, expected), { objectMode: false, highWaterMark: 256 * 1024 });
    return { sizeBytes, stream };
  }

  /**
   * Exactly `expected` bytes of the body. A connection cut or gone silent fails the stream: a
   * download never ends short as if it were whole.
   */
  async *#exactly(body: Readable, expected: number): AsyncGenerator<Uint8Array> {
    let seen = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const rest = expected - seen;
        if (chunk.byteLength >= rest) {
          if (rest > 0) yield chunk.subarray(0, rest);
          seen = expected;
          break;
        }
        seen += chunk.byteLength;
        yield chunk;
      }
    } catch (error) {
      this.#onStoreError('read object', error);
      throw new BlobStoreUnavailable();
    } finally {
      body.destroy();
    }
    if (seen !== expected) {
      this.#onStoreError('read object', new Error('the object ended early'));
      throw new BlobStoreUnavailable();
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.#objectKey(key);
    try {
      await this.#send('delete object', () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey })));
    } catch (error) {
      throw error instanceof StoreFailure ? this.#unavailable(error) : error;
    }
  }

  /**
   * Aborts multipart uploads under the prefix that began before the cutoff and have received no
   * part since (a put that is still sending is left alone). Returns how many.
   */
  async sweepPartials(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.#send('list multipart uploads', () =>
          this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#prefix, KeyMarker, UploadIdMarker })),
        );
        for (const upload of page.Uploads ?? []) {
          const { Key, UploadId, Initiated } = upload;
          if (!Key || !UploadId || !Initiated || Initiated.getTime() >= cutoff) continue;
          if (!BLOB_KEY_PATTERN.test(Key.slice(this.#prefix.length))) continue; // not one of ours
          if (await this.#hasPartSince(Key, UploadId, cutoff)) continue;
          await this.#send('abort multipart upload', () => this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId })));
          removed += 1;
        }
        if (!page.IsTruncated) break;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      throw error instanceof StoreFailure ? this.#unavailable(error) : error;
    }
    return removed;
  }

  async #hasPartSince(Key: string, UploadId: string, cutoff: number): Promise<boolean> {
    let PartNumberMarker: string | undefined;
    for (;;) {
      const page = await this.#send('list parts', () => this.#client.send(new ListPartsCommand({ Bucket: this.#bucket, Key, UploadId, PartNumberMarker })));
      if ((page.Parts ?? []).some((part) => (part.LastModified?.getTime() ?? 0) >= cutoff)) return true;
      if (!page.IsTruncated) return false;
      PartNumberMarker = page.NextPartNumberMarker;
    }
  }

  /** A bucket has no free-space figure: the floor (FILE_MIN_FREE_BYTES) is the folder store's alone. */
  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  async ping(): Promise<void> {
    try {
      await this.#send('head bucket', () => this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket })));
    } catch (error) {
      throw error instanceof StoreFailure ? this.#unavailable(error) : error;
    }
  }

  async usage(): Promise<BlobUsage> {
    let blobs = 0;
    let bytes = 0;
    let partials = 0;
    try {
      let ContinuationToken: string | undefined;
      do {
        const page = await this.#send('list objects', () => this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken })));
        for (const object of page.Contents ?? []) {
          // Pieces of resumable uploads (<prefix>partials/…) are not blobs.
          if (!BLOB_KEY_PATTERN.test((object.Key ?? '').slice(this.#prefix.length))) continue;
          blobs += 1;
          bytes += object.Size ?? 0;
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (;;) {
        const page = await this.#send('list multipart uploads', () =>
          this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#prefix, KeyMarker, UploadIdMarker })),
        );
        partials += page.Uploads?.length ?? 0;
        if (!page.IsTruncated) break;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      throw error instanceof StoreFailure ? this.#unavailable(error) : error;
    }
    return { backend: 's3', blobs, bytes, partials };
  }

  close(): void {
    this.#client.destroy();
  }
}

/**
 * On Node < 22 the SDK prints, once per process, that SDK versions published after the first week
 * of January 2027 will require Node 22. It is a notice about future releases, not a fault: the
 * installed SDK packages state Node >= 20 in their engines, as does this project. It concerns
 * whoever upgrades the dependency (package.json's engines), not the operator, so the server turns
 * it off with the variable AWS documents for this (aws/aws-sdk-js-v3#7983). An operator who sets
 * the variable keeps their value. Read by the SDK when a client is constructed.
 */
function quietNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}
