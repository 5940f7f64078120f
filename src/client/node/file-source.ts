// A file on disk as an upload source: its size, an identity that changes when the file does (for
// resuming), and its bytes from any offset as a pull-based WHATWG stream (one 1 MiB read per pull, so
// memory stays flat whatever the file's size).
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { BlindvaultError } from '../../protocol/errors.js';
import type { UploadSource } from '../upload-source.js';

// One read per pull: 1 MiB reads are a quarter of the system calls (and thread-pool hand-offs) of 256 KiB ones.
const READ_BYTES = 1024 * 1024;

/** A file's bytes from `offset`, one read per pull. */
export function readFileFrom(file: string, offset: number, unchanged?: { sizeBytes: number; mtimeMs: number }): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let position = offset;
  const close = async () => {
    const open = handle;
    handle = undefined;
    await open?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          handle ??= await open(file, 'r');
          const buffer = new Uint8Array(READ_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
          if (bytesRead === 0) {
            // After the last byte: a file rewritten meanwhile must not end up sealed under a saved key and header.
            const now = unchanged ? await handle.stat() : undefined;
            await close();
            if (unchanged && now && (now.size !== unchanged.sizeBytes || now.mtimeMs !== unchanged.mtimeMs)) {
              controller.error(new BlindvaultError('UPLOAD_CHANGED'));
              return;
            }
            controller.close();
            return;
          }
          position += bytesRead;
          controller.enqueue(bytesRead === READ_BYTES ? buffer : buffer.subarray(0, bytesRead));
        } catch (error) {
          await close().catch(() => undefined);
          controller.error(error);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}

export async function fileSource(file: string): Promise<UploadSource> {
  const absolute = path.resolve(file);
  const info = await stat(absolute);
  if (!info.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR' });
  return {
    sizeBytes: info.size,
    location: absolute,
    identity: JSON.stringify([info.size, info.mtimeMs, info.ino, info.dev]),
    read: (offset) => readFileFrom(absolute, offset, { sizeBytes: info.size, mtimeMs: info.mtimeMs }),
  };
}
