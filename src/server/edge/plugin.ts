import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { UploadPaceConfig } from '../config.js';
import { routeOf } from '../logging.js';
import { hasBody, withBodyDeadline } from './body-deadline.js';
import { setSecurityHeaders } from './security-headers.js';
import { watchUploadPace, type UploadPace } from './upload-pace.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The handler streams the body to storage (an upload): the upload pace rule bounds it instead
     * of the body deadline, and the body limits are the route's own.
     */
    streamsBody?: true;
  }
  interface FastifyRequest {
    /** The pace watch of a `streamsBody` route; its reader races every read against it. */
    uploadPace?: UploadPace;
  }
}

export interface EdgePluginOptions {
  publicUrl: string | undefined;
  bodyTimeoutSeconds: number;
  uploadPace: UploadPaceConfig;
}

// After a stall, the route has this long to answer its 408 before the socket is simply closed.
const STALL_GRACE_MS = 1000;

/**
 * What every request meets before and after its route, whatever the capability: the request id,
 * the one log line per request (with the route's pattern, never its path), the security headers,
 * and the time bounds on request bodies.
 */
async function edge(app: FastifyInstance, options: EdgePluginOptions): Promise<void> {
  await app.register(helmet, {
    referrerPolicy: { policy: 'no-referrer' },
    // Both set below: helmet would merge its default sources into the policy, and send HSTS over plain HTTP.
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    setSecurityHeaders(request, reply, options.publicUrl);
    if (request.routeOptions.config.streamsBody) {
      request.uploadPace = watchUploadPace(request.raw, options.uploadPace, () => {
        const timer = setTimeout(() => {
          // The raw response, not reply.sent: a route that hijacked its reply is cut off too.
          if (!reply.raw.headersSent) request.raw.destroy();
        }, STALL_GRACE_MS);
        timer.unref();
      });
    }
  });

  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.routeOptions.config.streamsBody || !hasBody(request.headers)) return payload;
    return withBodyDeadline(payload, options.bodyTimeoutSeconds * 1000, () => reply.raw.headersSent);
  });

  // One line per request, without paths, query strings, headers or bodies: a path carries file,
  // secret and API-key ids (an API-key id is a credential), a query an owner token.
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    request.uploadPace?.stop();
    request.log.info({ method: request.method, route: routeOf(request), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
}

export const edgePlugin = fp(edge, { name: 'blindvault-edge' });
