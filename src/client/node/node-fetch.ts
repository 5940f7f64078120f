// A `fetch` for the Node CLI's downloads, over node:http / node:https. Node's built-in fetch (undici) hands a
// body on in 16–64 KiB pieces, each one a round of promises through every WHATWG stage after it; this one buffers
// up to BODY_BUFFER_BYTES in the socket and answers a pull with everything buffered by then (one piece when the
// reader keeps up, up to about 1 MiB when it does not). Bounded: that buffer, an idle timeout on the socket, and
// an abort signal that ends the request or the body at once. No redirects are followed (a Blindvault server
// answers none on these routes): a 3xx is answered as it is. Node only: the SDK defaults to the global fetch.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlindvaultError } from '../../protocol/errors.js';
import type { Fetch } from '../files-api.js';

/** How much of a body may wait in memory before the socket is paused (Node's readable high-water mark). */
export const BODY_BUFFER_BYTES = 1024 * 1024;
/** A socket silent for this long ends the request (undici's default headers and body timeouts). */
const IDLE_TIMEOUT_MS = 300_000;
const NO_BODY_STATUSES = new Set([101, 204, 205, 304]);

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('nodeFetch sends a string or Uint8Array body only');
}

function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/** The body as a pull stream: each pull answers what is buffered (waiting for the first byte if none is). */
function bodyOf(response: IncomingMessage, origin: string, signal: AbortSignal | undefined, done: () => void): ReadableStream<Uint8Array> {
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  response.on('readable', notify);
  response.once('end', () => {
    ended = true;
    done();
    notify();
  });
  response.once('error', (error) => {
    failure ??= error;
    done();
    notify();
  });
  response.once('close', () => {
    if (!ended) failure ??= new BlindvaultError('NETWORK_ERROR', { url: origin, cause: 'the connection closed before the body ended' });
    done();
    notify();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          // read() answers the whole buffer (at most about BODY_BUFFER_BYTES), or null when it is empty.
          const chunk = response.read() as Buffer | null;
          if (chunk !== null) return controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if (failure !== undefined) {
            // An abort ends the body with the signal's reason, as fetch does; a broken connection is NETWORK_ERROR.
            if (signal?.aborted) return controller.error(signal.reason);
            return controller.error(failure instanceof BlindvaultError ? failure : new BlindvaultError('NETWORK_ERROR', { url: origin, cause: causeOf(failure) }));
          }
          if (ended) return controller.close();
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel() {
        response.destroy();
        done();
      },
    },
    { highWaterMark: 0 },
  );
}

function causeOf(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
}

export const nodeFetch: Fetch = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new TypeError(`nodeFetch: unsupported protocol ${url.protocol}`));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = requestBody(init.body);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // highWaterMark sizes the socket's and the response's buffers (Node 20 honours it on requests; @types/node lacks it).
    const options: RequestOptions = Object.assign({ method, headers }, { highWaterMark: BODY_BUFFER_BYTES });
    const request = send(url, options);
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      request.destroy();
      response?.destroy();
      reject(signal?.reason);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(Object.assign(new Error('no data for 300 s'), { code: 'ETIMEDOUT' })));
    request.once('error', (error) => {
      done();
      reject(error);
    });
    request.once('response', (incoming) => {
      response = incoming;
      const status = incoming.statusCode ?? 0;
      const nullBody = method === 'HEAD' || NO_BODY_STATUSES.has(status);
      if (nullBody) {
        incoming.resume();
        done();
      }
      try {
        resolve(new Response(nullBody ? null : bodyOf(incoming, url.origin, signal, done), { status, statusText: incoming.statusMessage ?? '', headers: headersOf(incoming) }));
      } catch (error) {
        // A status a Response cannot carry (outside 200–599).
        incoming.destroy();
        done();
        reject(error);
      }
    });
    request.end(body);
  });
