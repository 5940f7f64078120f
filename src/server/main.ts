// Entry point: configuration → stores → app → listen. `npm start` runs the compiled form of this file.
import { fileURLToPath } from 'node:url';
import type { BlobStoreFailure } from '../store/blob/s3-blob-store.js';
import { openStores } from '../store/open-stores.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { loadDotEnv } from '../store/dot-env.js';
import { createMetrics } from './metrics/metrics.js';
import { startMetricsListener } from './metrics/listener.js';
import { startSweeper } from './sweeper.js';
import { loadWebAssets } from '../store/web-assets.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv(process.env);
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`blindvault: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Set once the app (and its logger) exists; a store failure before that fails the start anyway.
  let onBlobStoreError = (_failure: BlobStoreFailure): void => {};
  const locations = {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    blobStoreUrl: config.blobStoreUrl,
    onBlobStoreError: (failure: BlobStoreFailure) => onBlobStoreError(failure),
    vaultLimits: { maxStorageBytesPerUser: config.vault.maxStorageBytesPerUser, maxHistoryPerSecret: config.vault.maxHistoryPerSecret },
  };
  const stores = await openStores(locations);
  const metrics = config.metricsPort === undefined ? undefined : createMetrics();
  // Built by `npm run build` (web/build.ts) into dist/web, beside the compiled server and for `tsx` alike.
  const webAssets = await loadWebAssets(fileURLToPath(new URL('../../dist/web/', import.meta.url)));
  const { app, files, uploads } = await buildApp({ config, ...stores, ...(metrics ? { metrics } : {}), ...(webAssets ? { webAssets } : {}) });
  if (!webAssets) app.log.warn('the browser page is not built (npm run build): / and /f/{id} answer 404');
  onBlobStoreError = (failure) => {
    metrics?.storeError('blob', failure.operation);
    app.log.warn(failure, 'blob store failure');
  };
  const stopSweeper = startSweeper(
    [
      { name: 'files', run: () => files.sweep() },
      { name: 'uploads', run: () => uploads.sweep() },
      { name: 'sessions', run: () => stores.vault.deleteExpiredSessions(new Date()) },
      { name: 'rate limits', run: () => stores.rateLimits.sweep(new Date()) },
      { name: 'replay marks', run: () => stores.replays.sweep(new Date()) },
      // Link shares that expired or have no reads left (vault-protocol.md §3.16).
      { name: 'link shares', run: () => stores.linkShares.sweep(new Date()) },
    ],
    config.sweepIntervalSeconds,
    app.log,
    {
      ...(metrics ? { onRun: metrics.sweep } : {}),
      // One instance sweeps at a time; if it dies, another takes over within the lease's lifetime.
      lease: { store: stores.leases, ttlSeconds: Math.max(300, 3 * config.sweepIntervalSeconds) },
    },
  );
  const metricsListener = metrics && config.metricsPort !== undefined ? await startMetricsListener(metrics, config.metricsHost, config.metricsPort) : undefined;

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    // New requests get 503 (so /readyz fails at once); those in flight have the grace period to end.
    app.log.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'shutting down');
    const deadline = setTimeout(() => {
      app.log.warn('requests still in flight at the end of the grace period: exiting');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    deadline.unref();
    await stopSweeper();
    await app.close();
    await metricsListener?.close();
    await stores.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  for (const warning of config.deprecations) app.log.warn(warning);
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { url: address, metadata: stores.metadata.backend, dataDir: config.dataDir, maxUploadBytes: config.maxUploadBytes },
    `blindvault is ready on ${address} (vault at ${address}/server)${metricsListener ? `, metrics at ${metricsListener.address}/metrics` : ''}`,
  );
}

main().catch((error: unknown) => {
  // Startup failures (an unreachable database, an unwritable data folder) in one line, no stack.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`blindvault: cannot start: ${message}\n`);
  process.exit(1);
});
