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
export function startSweeper(
  tasks: SweepTask[],
  intervalSeconds: number,
  log: FastifyBaseLogger,
  options: { onRun?: (task: string, outcome: 'ok' | 'failed' | 'skipped', removed: number) => void } = {},
): () => Promise<void> {
  const onRun = options.onRun ?? (() => {});
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = (async () => {
      for (const task of tasks) {
        try {
          const removed = await task.run();
          onRun(task.name, 'ok', removed);
          if (removed > 0) log.info({ task: task.name, removed }, 'swept');
        } catch (error) {
          onRun(task.name, 'failed', 0);
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
