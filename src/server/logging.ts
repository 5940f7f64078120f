import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

/**
 * Log lines carry the method, the route's pattern (`/server/api-key/:id/`, never the path: paths
 * carry file, secret and API-key ids, and an API-key id is a credential), the status and the time.
 * Headers, queries and bodies are never logged: they carry tokens, salts and IVs.
 */
export function loggerOptions(level: string, destination?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    redact: { paths: ['*.authorization', '*.token', '*.owner_token', '*.headers', '*.query'], censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; routeOptions?: { url?: string }; ip?: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? UNMATCHED,
        remoteAddress: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  } as FastifyServerOptions['logger'];
}

/** What a log line says of a request that matched no route: its path may still be an id. */
export const UNMATCHED = '[no route]';

/** The pattern of the route a request matched, as registered (prefix included). */
export function routeOf(request: Pick<FastifyRequest, 'routeOptions'>): string {
  return request.routeOptions.url ?? UNMATCHED;
}
