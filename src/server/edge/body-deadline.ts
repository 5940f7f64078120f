import { PassThrough, type Readable } from 'node:stream';
import { BlindvaultError } from '../../protocol/errors.js';

/**
 * A request body that must arrive whole within `ms`: the returned stream carries the body, and
 * fails with BODY_TIMEOUT when the deadline passes first. The body parser then fails, the route's
 * error handler answers 408, and the connection is closed (its body was not read to the end).
 */
export function withBodyDeadline(body: Readable, ms: number, answered: () => boolean = () => false): Readable {
  const guarded = new PassThrough();
  // A route may answer without reading the body (415, 413): then no one listens on the guard, and its
  // error must not become an unhandled 'error' event, which would end the process.
  guarded.on('error', () => {});
  const timer = setTimeout(() => {
    body.unpipe(guarded);
    guarded.destroy(new BlindvaultError('BODY_TIMEOUT'));
    // Already answered: no 408 will follow, so close the connection here (the rest of the body is never read).
    if (answered()) body.destroy();
  }, ms);
  timer.unref();
  const done = () => clearTimeout(timer);
  body.once('end', done);
  body.once('close', done);
  body.once('error', (error) => {
    done();
    guarded.destroy(error);
  });
  guarded.once('close', done);
  body.pipe(guarded);
  return guarded;
}

/** Whether a request announces a body at all (GET, HEAD and DELETE usually do not). */
export function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
