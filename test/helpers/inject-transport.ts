import type { FastifyInstance } from 'fastify';
import type { Transport } from '../../src/client/transport.js';

/** The SDK's transport over app.inject: client and server tested together, without sockets. */
export function injectTransport(app: FastifyInstance, extraHeaders: Record<string, string> = {}): Transport {
  return async ({ method, path, headers, body }) => {
    const res = await app.inject({ method, url: path, headers: { ...headers, ...extraHeaders }, ...(body !== undefined ? { payload: body } : {}) });
    return {
      status: res.statusCode,
      headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
      body: res.body,
    };
  };
}
