// Entry point: configuration → stores → app → listen. `npm start` runs the compiled form of this file.
import { openStores } from '../store/open-stores.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startSweeper } from './sweeper.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`blindvault: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const locations = {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    blobStoreUrl: config.blobStoreUrl,
    vaultLimits: { maxStorageBytesPerUser: config.vault.maxStorageBytesPerUser, maxHistoryPerSecret: config.vault.maxHistoryPerSecret },
  };
  const stores = await openStores(locations);
  const { app, files, uploads } = await buildApp({ config, ...stores });
  const stopSweeper = startSweeper(
    [
      { name: 'files', run: () => files.sweep() },
      { name: 'uploads', run: () => uploads.sweep() },
      { name: 'sessions', run: () => stores.vault.deleteExpiredSessions(new Date()) },
      { name: 'rate limits', run: () => stores.rateLimits.sweep(new Date()) },
      { name: 'replay marks', run: () => stores.replays.sweep(new Date()) },
    ],
    config.sweepIntervalSeconds,
    app.log,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await stopSweeper();
    await app.close();
    await stores.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { url: address, metadata: stores.metadata.backend, dataDir: config.dataDir, maxUploadBytes: config.maxUploadBytes },
    `blindvault is ready on ${address} (vault at ${address}/server)`,
  );
}

main().catch((error: unknown) => {
  // Startup failures (an unreachable database, an unwritable data folder) in one line, no stack.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`blindvault: cannot start: ${message}\n`);
  process.exit(1);
});
