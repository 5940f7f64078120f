import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, preSerializationAsyncHookHandler, RouteOptions } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { parseConfig, type Config } from '../../src/server/config.js';
import type { FilesService } from '../../src/server/files/service.js';
import type { Metrics } from '../../src/server/metrics/metrics.js';
import type { UploadsService } from '../../src/server/uploads/service.js';
import type { ServerKeys } from '../../src/server/vault/server-keys.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { openTestStores, type Backend, type TestStores } from './stores.js';

export interface TestApp {
  app: FastifyInstance;
  files: FilesService;
  uploads: UploadsService;
  serverKeys: ServerKeys;
  stores: TestStores;
  config: Config;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** Moves the injected clock. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * Makes every vault route check, on every answer, that its response schema kept everything the
 * handler produced: the schemas are allow-lists, and one that silently drops a field a client reads
 * (or turns a number into a string) breaks the web client or the seed. Returns what was lost.
 */
function guardAnswers(): { onRoute: (route: RouteOptions) => void; lost: string[] } {
  const lost: string[] = [];
  const check: preSerializationAsyncHookHandler = async (request, reply, payload) => {
    const given: unknown = JSON.parse(JSON.stringify(payload) ?? 'null');
    const sent: unknown = JSON.parse(String(reply.serialize(payload)));
    if (!isDeepStrictEqual(sent, given)) {
      lost.push(`${request.method} ${request.routeOptions.url} → ${reply.statusCode}: handler gave ${JSON.stringify(given)}, schema sent ${JSON.stringify(sent)}`);
    }
    return payload;
  };
  const onRoute = (route: RouteOptions) => {
    if (!(route.config as { vault?: unknown } | undefined)?.vault) return;
    const existing = route.preSerialization;
    route.preSerialization = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), check];
  };
  return { onRoute, lost };
}

export async function openTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: { wrapBlobs?: (blobs: BlobStore) => BlobStore; onRoute?: (route: RouteOptions) => void; metrics?: Metrics } = {},
): Promise<TestApp> {
  // Tests upload far more than a client would: the upload rate is set where a test is about it.
  const config = parseConfig({ LOG_LEVEL: 'info', FILE_UPLOAD_RATE: '1000000/second', ...env });
  const stores = await openTestStores(backend, {
    vaultLimits: { maxStorageBytesPerUser: config.vault.maxStorageBytesPerUser, maxHistoryPerSecret: config.vault.maxHistoryPerSecret },
  });
  const logs: string[] = [];
  let offsetMs = 0;
  const answers = guardAnswers();
  const { app, files, uploads, serverKeys } = await buildApp({
    config,
    metadata: stores.metadata,
    blobs: options.wrapBlobs ? options.wrapBlobs(stores.blobs) : stores.blobs,
    vault: stores.vault,
    objects: stores.objects,
    apiKeys: stores.apiKeys,
    replays: stores.replays,
    rateLimits: stores.rateLimits,
    schema: stores.schema,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    uploads: stores.uploads,
    uploadRecords: stores.uploadRecords,
    sends: stores.sends,
    recovery: stores.recovery,
    secondFactors: stores.secondFactors,
    linkShares: stores.linkShares,
    clock: () => new Date(Date.now() + offsetMs),
    logDestination: { write: (line: string) => void logs.push(line) },
    onRoute: (route) => {
      answers.onRoute(route);
      options.onRoute?.(route);
    },
  });
  await app.ready();
  return {
    app,
    files,
    uploads,
    serverKeys,
    stores,
    config,
    logs,
    advance: (ms) => void (offsetMs += ms),
    async close() {
      await app.close();
      await stores.close();
      if (answers.lost.length > 0) throw new Error(`response schemas dropped or changed fields:\n${answers.lost.join('\n')}`);
    },
  };
}
