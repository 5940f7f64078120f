import type { FastifyBaseLogger } from 'fastify';
import type { FilesService } from './service.js';

/**
 * Runs the files sweep on a timer, so expired and used-up files leave the disk without waiting for
 * a request. Every instance may run one: the sweep is idempotent.
 */
export function startSweeper(service: FilesService, intervalSeconds: number, log: FastifyBaseLogger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = service
      .sweep()
      .then((removed) => {
        if (removed > 0) log.info({ removed }, 'swept files');
      })
      .catch((error: unknown) => log.error({ err: error }, 'sweep failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
