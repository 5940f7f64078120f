// tus chunks as Node streams: tus-js-client's Node HTTP stack pipes a Readable body, so a chunk of any size
// goes out without being held in memory.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ChunkBody } from '../tus-transfer.js';

export const nodeStreamingBody: ChunkBody = (chunk) => Readable.fromWeb(chunk as NodeReadableStream<Uint8Array>);

/** With streamed chunks, larger PATCHes cost no memory and fewer round trips (the server's default limit is 64 MiB). */
export const NODE_CHUNK_BYTES = 32 * 1024 * 1024;
