// WHATWG stream helpers for the crypto tests: bytes in chunks of a given size, and everything read back.
import { BlindvaultError } from '../../src/protocol/errors.js';

export function chunked(bytes: Uint8Array, size: number | number[]): ReadableStream<Uint8Array> {
  const sizes = Array.isArray(size) ? size : [];
  let offset = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const n = Array.isArray(size) ? Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? 1) : size;
      controller.enqueue(bytes.slice(offset, offset + n));
      offset += n;
    },
  });
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return concat(parts);
}

/** Reads a stream to its end or its error: what it released, and the error's catalogue code (if any). */
export async function readUntilError(stream: ReadableStream<Uint8Array>): Promise<{ released: Uint8Array; code: string | undefined }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of stream) parts.push(chunk);
    return { released: concat(parts), code: undefined };
  } catch (error) {
    if (!(error instanceof BlindvaultError)) throw error;
    return { released: concat(parts), code: error.code };
  }
}

export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (!(error instanceof BlindvaultError)) throw error;
    return error.code;
  }
}
