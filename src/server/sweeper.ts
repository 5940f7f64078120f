import type { FastifyBaseLogger } from 'fastify';

/** A cleanup job: removes what has expired and says how much it removed. */
export interface SweepTask {
  name: string;
  run: () => Promise<number>;
}

/**
 * Runs the sweeps on a timer, so expired files, sessions, counters and replay marks go without
 * waiting for a request. Every instance may run one: each task is idempotent.
 */
export function startSweeper(tasks: SweepTask[], intervalSeconds: number, log: FastifyBaseLogger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = (async () => {
      for (const task of tasks) {
        try {
          const removed = await task.run();
          if (removed > 0) log.info({ task: task.name, removed }, 'swept');
        } catch (error) {
          log.error({ err: error, task: task.name }, 'sweep failed');
        }
      }
    })().finally(() => {
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
