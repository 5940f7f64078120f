import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { parseConfig, type Config } from '../../src/server/config.js';
import type { FilesService } from '../../src/server/files/service.js';
import type { ServerKeys } from '../../src/server/vault/server-keys.js';
import type { BlobStore } from '../../src/store/blob-store.js';
import { openTestStores, type Backend, type TestStores } from './stores.js';

export interface TestApp {
  app: FastifyInstance;
  files: FilesService;
  serverKeys: ServerKeys;
  stores: TestStores;
  config: Config;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** Moves the injected clock. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function openTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: { wrapBlobs?: (blobs: BlobStore) => BlobStore; onRoute?: (route: RouteOptions) => void } = {},
): Promise<TestApp> {
  // Tests upload far more than a client would: the upload rate is set where a test is about it.
  const config = parseConfig({ LOG_LEVEL: 'info', FILE_UPLOAD_RATE: '1000000/second', ...env });
  const stores = await openTestStores(backend, {
    vaultLimits: { maxStorageBytesPerUser: config.vault.maxStorageBytesPerUser, maxHistoryPerSecret: config.vault.maxHistoryPerSecret },
  });
  const logs: string[] = [];
  let offsetMs = 0;
  const { app, files, serverKeys } = await buildApp({
    config,
    metadata: stores.metadata,
    blobs: options.wrapBlobs ? options.wrapBlobs(stores.blobs) : stores.blobs,
    vault: stores.vault,
    objects: stores.objects,
    apiKeys: stores.apiKeys,
    replays: stores.replays,
    rateLimits: stores.rateLimits,
    clock: () => new Date(Date.now() + offsetMs),
    logDestination: { write: (line: string) => void logs.push(line) },
    ...(options.onRoute ? { onRoute: options.onRoute } : {}),
  });
  await app.ready();
  return {
    app,
    files,
    serverKeys,
    stores,
    config,
    logs,
    advance: (ms) => void (offsetMs += ms),
    async close() {
      await app.close();
      await stores.close();
    },
  };
}
