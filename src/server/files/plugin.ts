import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import { renderBlindvaultError } from '../errors.js';
import { createFailureThrottle, createRateLimiter, type Rate } from '../rate-limiter.js';
import { multipartLimits } from './multipart.js';
import { filesRoutes } from './routes.js';
import type { FilesService } from './service.js';
import type { PageLayout } from '../web/layout.js';
import { addressSubject } from '../edge/address-subject.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Every route of the server states how it is rate-limited: 'upload' is counted per client
     * address against FILE_UPLOAD_RATE in the shared store; 'owner' routes take an owner token, and
     * each failed one (401, 404) counts against the address's FAILED_AUTH_RATE, which once used up
     * refuses the address before its token is looked at; 'none' is a decision, not an omission
     * (downloads are bounded by their file's own limits, health checks by the load balancer).
     * Vault routes state theirs in `vault.scope` (spec §4).
     */
    rateLimit?: 'upload' | 'owner' | 'none';
  }
}

export interface FilesPluginOptions {
  service: FilesService;
  publicUrl: string | undefined;
  maxUploadBytes: number;
  rateLimits: RateLimitStore;
  uploadRate: Rate;
  failedAuthRate: Rate;
  clock: () => Date;
  layout: PageLayout;
}

/** The e2e file API of the seed: POST /upload, GET /f/{id}/encrypted, the owner's /f/{id}/manage. */
export async function filesPlugin(app: FastifyInstance, options: FilesPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const overLimit = createRateLimiter(options.rateLimits, options.clock);
  // Before the body is read: a refused upload costs the server nothing but this check.
  const failures = createFailureThrottle(options.rateLimits, options.failedAuthRate, options.clock);
  app.addHook('onRequest', async (request) => {
    const rateLimit = request.routeOptions.config.rateLimit;
    const over =
      rateLimit === 'upload' ? await overLimit('upload', addressSubject(request.ip), options.uploadRate) : rateLimit === 'owner' ? await failures.check(addressSubject(request.ip)) : undefined;
    if (over) throw new BlindvaultError('RATE_LIMITED', { retryAfterSeconds: over.retryAfterSeconds });
  });
  // Counted before the answer leaves, so the next guess from the address already sees it.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.config.rateLimit === 'owner' && (reply.statusCode === 401 || reply.statusCode === 404)) await failures.fail(addressSubject(request.ip));
    return payload;
  });
  await app.register(multipart, { limits: multipartLimits(options.maxUploadBytes), throwFileSizeLimit: true });
  await app.register(filesRoutes, { service: options.service, publicUrl: options.publicUrl, maxUploadBytes: options.maxUploadBytes, layout: options.layout });
}
