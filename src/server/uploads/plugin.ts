import type { FastifyInstance } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { TUS_CONTENT_TYPE } from '../../protocol/uploads.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { UploadRecordStore } from '../../store/upload-record-store.js';
import { renderBlindvaultError } from '../errors.js';
import { createRateLimiter, type Rate } from '../rate-limiter.js';
import { uploadsRoutes } from './routes.js';
import type { UploadsService } from './service.js';
import { createTusFront } from './tus-server.js';

export interface UploadsPluginOptions {
  service: UploadsService;
  records: UploadRecordStore;
  publicUrl: string | undefined;
  maxUploadBytes: number;
  maxChunkBytes: number;
  rateLimits: RateLimitStore;
  uploadRate: Rate;
  clock: () => Date;
}

/** Resumable uploads of v2 ciphertext (docs/uploads.md): POST /uploads, then tus on /uploads/{id}. */
export async function uploadsPlugin(app: FastifyInstance, options: UploadsPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const overLimit = createRateLimiter(options.rateLimits, options.clock);
  // The same budget as POST /upload ('upload' per address), before anything is read or stored.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.rateLimit !== 'upload') return;
    const over = await overLimit('upload', request.ip, options.uploadRate);
    if (over) throw new BlindvaultError('RATE_LIMITED', { retryAfterSeconds: over.retryAfterSeconds });
  });
  // PATCH bodies are streamed to the store by tus: never parsed or buffered here.
  app.addContentTypeParser(TUS_CONTENT_TYPE, (_request, _payload, done) => done(null));
  const tus = createTusFront({ service: options.service, records: options.records, clock: options.clock, maxUploadBytes: options.maxUploadBytes });
  await app.register(uploadsRoutes, { service: options.service, tus, publicUrl: options.publicUrl, maxChunkBytes: options.maxChunkBytes });
}
