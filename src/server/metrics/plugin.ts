import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Socket } from 'node:net';
import type { Metrics } from './metrics.js';

/** Requests whose body is an upload: the one-shot form and the resumable chunks. */
function isUpload(request: FastifyRequest): boolean {
  const route = request.routeOptions.url ?? '';
  return (request.method === 'POST' && route === '/upload') || (request.method === 'PATCH' && route.startsWith('/uploads'));
}

/**
 * Counts every request of the app it is registered on (not encapsulated: it sees all routes) by
 * route pattern and status. Bytes are read from the connection's counters, so a streamed body is
 * counted as it went over the wire, and a request cut off by its client (499) is counted too.
 */
export const metricsPlugin = fp(async function metricsPlugin(app: FastifyInstance, { metrics }: { metrics: Metrics }) {
  const accounted = new WeakMap<Socket, { read: number; written: number }>();
  const done = new WeakSet<FastifyRequest>();
  const uploading = new WeakSet<FastifyRequest>();
  const startedAt = new WeakMap<FastifyRequest, number>();

  const account = (request: FastifyRequest, status: number) => {
    if (done.has(request)) return;
    done.add(request);
    if (uploading.delete(request)) metrics.uploadEnded();
    const socket = request.raw.socket as Socket | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    if (socket && typeof socket.bytesRead === 'number') {
      const last = accounted.get(socket) ?? { read: 0, written: 0 };
      bytesIn = socket.bytesRead - last.read;
      bytesOut = socket.bytesWritten - last.written;
      accounted.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
    }
    metrics.request({
      method: request.method,
      route: request.routeOptions.url ?? '(unmatched)',
      status,
      seconds: (performance.now() - (startedAt.get(request) ?? performance.now())) / 1000,
      bytesIn: Math.max(0, bytesIn),
      bytesOut: Math.max(0, bytesOut),
    });
  };

  app.addHook('onRequest', async (request) => {
    startedAt.set(request, performance.now());
    if (isUpload(request)) {
      uploading.add(request);
      metrics.uploadStarted();
    }
  });
  app.addHook('onResponse', async (request, reply) => account(request, reply.statusCode));
  // 499: the client went away before its request was read whole (nginx's convention).
  app.addHook('onRequestAbort', async (request) => account(request, 499));
}, { name: 'blindvault-metrics' });
