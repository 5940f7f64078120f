import { PassThrough, type Readable } from 'node:stream';
import { BlindvaultError } from '../../protocol/errors.js';

/**
 * A request body that must arrive whole within `ms`: the returned stream carries the body, and
 * fails with BODY_TIMEOUT when the deadline passes first. The body parser then fails, the route's
 * error handler answers 408, and the connection is closed (its body was not read to the end).
 */
export function withBodyDeadline(body: Readable, ms: number): Readable {
  const guarded = new PassThrough();
  const timer = setTimeout(() => {
    body.unpipe(guarded);
    guarded.destroy(new BlindvaultError('BODY_TIMEOUT'));
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
