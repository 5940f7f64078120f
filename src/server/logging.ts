import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

/**
 * Log lines carry the method, the path without its query (which may hold an owner token), the
 * status and the time. Headers and bodies are never logged: they carry tokens, salts and IVs.
 */
export function loggerOptions(level: string, destination?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    redact: { paths: ['*.authorization', '*.token', '*.owner_token', '*.headers', '*.query'], censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({
        method: req.method,
        path: pathOnly(req.url),
        remoteAddress: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  } as FastifyServerOptions['logger'];
}

export function pathOnly(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  return query === -1 ? url : `${url.slice(0, query)}?[redacted]`;
}
