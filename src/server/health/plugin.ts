import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import { ErrorResponseSchema } from '../../protocol/files.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { MetadataStore } from '../../store/metadata-store.js';
import type { SchemaStatus } from '../../store/schema-status.js';
import { renderBlindvaultError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';

export interface HealthPluginOptions {
  metadata: MetadataStore;
  blobs: BlobStore;
  /** Absent: readiness does not look at migrations (tests that build stores by hand). */
  schema?: SchemaStatus;
  metrics?: Metrics;
}

const Ok = Type.Object({ status: Type.Literal('ok') });

/**
 * For load balancers and orchestrators:
 * - GET /livez: 200 while the process serves HTTP at all (restart it when this fails);
 * - GET /readyz: 200 when both stores answer and every migration is applied, 503 otherwise (send it
 *   no traffic; while the server drains on SIGTERM every request is 503);
 * - GET /healthz: the stores answer (kept for existing checks).
 */
export async function healthPlugin(app: FastifyInstance, { metadata, blobs, schema, metrics }: HealthPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const routeOptions = { schema: { response: { 200: Ok, '5xx': ErrorResponseSchema } }, config: { rateLimit: 'none' as const } };

  async function storesAnswer(request: FastifyRequest): Promise<void> {
    const checks: Array<[store: 'metadata' | 'blob', check: Promise<void>]> = [['metadata', metadata.ping()], ['blob', blobs.ping()]];
    const results = await Promise.allSettled(checks.map(([, check]) => check));
    const failed = checks.filter((_, i) => results[i]?.status === 'rejected').map(([store]) => store);
    if (failed.length > 0) {
      for (const store of failed) metrics?.storeError(store, 'ping');
      request.log.warn({ stores: failed }, 'a store does not answer');
      throw new BlindvaultError('UNAVAILABLE');
    }
  }

  app.get('/livez', routeOptions, async () => ({ status: 'ok' as const }));
  app.get('/healthz', routeOptions, async (request) => {
    await storesAnswer(request);
    return { status: 'ok' as const };
  });
  app.get('/readyz', routeOptions, async (request) => {
    await storesAnswer(request);
    const pending = schema ? await schema.pendingMigrations() : [];
    if (pending.length > 0) {
      request.log.warn({ pendingMigrations: pending.length }, 'the database schema is behind this code');
      throw new BlindvaultError('UNAVAILABLE');
    }
    return { status: 'ok' as const };
  });
}
