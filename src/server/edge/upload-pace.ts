// The minimum-throughput rule for request bodies that are streamed to storage (uploads): a client
// that sends fewer than `minBytes` in any `windowSeconds` is cut off, so that a trickle cannot hold
// a connection, a file descriptor and a pending upload for ever. Every upload route uses it: the
// edge plugin starts a watch for each route marked `streamsBody` (request.uploadPace), and the
// route's reader races its reads against it (see files/multipart.ts) to answer a clean 408.
import type { IncomingMessage } from 'node:http';
import { BlindvaultError } from '../../protocol/errors.js';
import type { UploadPaceConfig } from '../config.js';

export interface UploadPace {
  /** Rejects with UPLOAD_TOO_SLOW once the client falls below the pace; never resolves. */
  readonly stalled: Promise<never>;
  /** The step, unless the client stalls first. */
  race<T>(step: Promise<T>): Promise<T>;
  /** Yields the chunks of `source`, failing with UPLOAD_TOO_SLOW when the client stalls. */
  guard<T>(source: AsyncIterable<T>): AsyncGenerator<T>;
  stop(): void;
}

/**
 * Watches the bytes that reach the request's socket, once per window. A window in which the
 * request has bytes waiting to be read is not the client's fault (the server is the slow side) and
 * never counts against it. `onStall` runs once, after `stalled` has rejected.
 */
export function watchUploadPace(request: IncomingMessage, pace: UploadPaceConfig, onStall: () => void = () => {}): UploadPace {
  let rejectStalled: (error: BlindvaultError) => void = () => {};
  const stalled = new Promise<never>((_resolve, reject) => (rejectStalled = reject));
  stalled.catch(() => {}); // observed through race() and guard(); an unobserved stall is not a crash
  // The steps waiting in race(), each until it settles. `Promise.race([step, stalled])` would leave
  // a reaction on `stalled` for every step (one per chunk) until the request ends: memory that grows
  // with the size of the upload. Here each step's listener goes when the step settles.
  const waiting = new Set<(error: BlindvaultError) => void>();
  let stallError: BlindvaultError | undefined;
  const socket = request.socket as { bytesRead?: unknown } | null;
  const bytesRead = () => (typeof socket?.bytesRead === 'number' ? socket.bytesRead : undefined);
  let seen = bytesRead();
  let stopped = false;
  // A socket that does not count (an injected request in a test) has no pace to watch.
  const timer = seen === undefined ? undefined : setInterval(check, pace.windowSeconds * 1000);
  timer?.unref();

  function check(): void {
    if (stopped) return;
    if (request.complete || request.destroyed) return stop();
    const now = bytesRead() ?? 0;
    const progress = now - (seen ?? 0);
    seen = now;
    if (progress >= pace.minBytes || request.readableLength > 0) return;
    stop();
    stallError = new BlindvaultError('UPLOAD_TOO_SLOW');
    rejectStalled(stallError);
    for (const reject of waiting) reject(stallError);
    waiting.clear();
    onStall();
  }

  function stop(): void {
    stopped = true;
    if (timer) clearInterval(timer);
  }

  function race<T>(step: Promise<T>): Promise<T> {
    if (stallError) return Promise.reject(stallError);
    return new Promise<T>((resolve, reject) => {
      waiting.add(reject);
      step.then(
        (value) => {
          waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          waiting.delete(reject);
          reject(error);
        },
      );
    });
  }

  async function* guard<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await race(iterator.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Unblocks and releases the source whether it ended, failed or was abandoned.
      await Promise.race([iterator.return?.(), Promise.resolve()]);
    }
  }

  return { stalled, race, guard, stop };
}
