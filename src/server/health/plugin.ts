import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import { ErrorResponseSchema } from '../../protocol/files.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { MetadataStore } from '../../store/metadata-store.js';
import { renderBlindvaultError } from '../errors.js';

export interface HealthPluginOptions {
  metadata: MetadataStore;
  blobs: BlobStore;
}

/** GET /healthz: 200 when both stores answer, 503 otherwise (for load balancers). */
export async function healthPlugin(app: FastifyInstance, { metadata, blobs }: HealthPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  app.get(
    '/healthz',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }), '5xx': ErrorResponseSchema } }, config: { rateLimit: 'none' } },
    async (request) => {
      try {
        await Promise.all([metadata.ping(), blobs.ping()]);
      } catch (error) {
        request.log.warn({ err: error }, 'a store does not answer');
        throw new BlindvaultError('UNAVAILABLE');
      }
      return { status: 'ok' as const };
    },
  );
}
