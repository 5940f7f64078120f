import type { FastifyInstance } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { TUS_CONTENT_TYPE } from '../../protocol/uploads.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { UploadRecordStore } from '../../store/upload-record-store.js';
import { renderBlindvaultError } from '../errors.js';
import { createFailureThrottle, createRateLimiter, type Rate } from '../rate-limiter.js';
import { uploadsRoutes } from './routes.js';
import type { UploadsService } from './service.js';
import { createTusFront } from './tus-server.js';
import { addressSubject } from '../edge/address-subject.js';

export interface UploadsPluginOptions {
  service: UploadsService;
  records: UploadRecordStore;
  publicUrl: string | undefined;
  maxUploadBytes: number;
  maxChunkBytes: number;
  rateLimits: RateLimitStore;
  uploadRate: Rate;
  failedAuthRate: Rate;
  clock: () => Date;
}

/** Resumable uploads of v2 ciphertext (docs/uploads.md): POST /uploads, then tus on /uploads/{id}. */
export async function uploadsPlugin(app: FastifyInstance, options: UploadsPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const overLimit = createRateLimiter(options.rateLimits, options.clock);
  const failures = createFailureThrottle(options.rateLimits, options.failedAuthRate, options.clock);
  // Creation: the same budget as POST /upload ('upload' per address). The tus calls take the
  // upload token ('owner', as the manage calls take the owner token): each 404 counts against the
  // address's FAILED_AUTH_RATE. Both before anything is read or stored.
  app.addHook('onRequest', async (request) => {
    const rateLimit = request.routeOptions.config.rateLimit;
    const over =
      rateLimit === 'upload' ? await overLimit('upload', addressSubject(request.ip), options.uploadRate) : rateLimit === 'owner' ? await failures.check(addressSubject(request.ip)) : undefined;
    if (over) throw new BlindvaultError('RATE_LIMITED', { retryAfterSeconds: over.retryAfterSeconds });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.config.rateLimit === 'owner' && (reply.statusCode === 401 || reply.statusCode === 404)) await failures.fail(addressSubject(request.ip));
    return payload;
  });
  // PATCH bodies are streamed to the store by tus: never parsed or buffered here.
  app.addContentTypeParser(TUS_CONTENT_TYPE, (_request, _payload, done) => done(null));
  const tus = createTusFront({ service: options.service, records: options.records, clock: options.clock, maxUploadBytes: options.maxUploadBytes });
  await app.register(uploadsRoutes, { service: options.service, tus, publicUrl: options.publicUrl, maxChunkBytes: options.maxChunkBytes });
}
