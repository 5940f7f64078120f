import type { FastifyBaseLogger } from 'fastify';
import { createId } from '../crypto/token.js';
import type { LeaseStore } from '../store/lease-store.js';

/** A cleanup job: removes what has expired and says how much it removed. */
export interface SweepTask {
  name: string;
  run: () => Promise<number>;
}

export type SweepOutcome = 'ok' | 'failed' | 'skipped';

export interface SweeperOptions {
  /** Told about every task of every tick (metrics). */
  onRun?: (task: string, outcome: SweepOutcome, removed: number) => void;
  /**
   * A lease in the shared database: only the instance holding it sweeps (the others skip their
   * ticks), so each expired file is removed once. A holder that dies loses it after ttlSeconds.
   */
  lease?: { store: LeaseStore; ttlSeconds: number; name?: string };
}

/**
 * Runs the sweeps on a timer, so expired files, sessions, counters and replay marks go without
 * waiting for a request. Every instance runs one; with a lease, one instance at a time does the work.
 */
export function startSweeper(tasks: SweepTask[], intervalSeconds: number, log: FastifyBaseLogger, options: SweeperOptions = {}): () => Promise<void> {
  const onRun = options.onRun ?? (() => {});
  const lease = options.lease;
  const leaseName = lease?.name ?? 'sweeper';
  const holder = createId();
  let holding = false;
  // Takes or renews the lease; a database that does not answer means: do not sweep now.
  const mayRun = async (): Promise<boolean> => {
    if (!lease) return true;
    try {
      holding = await lease.store.acquire(leaseName, holder, new Date(), lease.ttlSeconds);
    } catch (error) {
      holding = false;
      log.error({ err: error }, 'sweeper lease not taken');
    }
    return holding;
  };
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = (async () => {
      for (const task of tasks) {
        // Renewed before each task, so a slow task never outlives the lease unseen.
        if (!(await mayRun())) {
          onRun(task.name, 'skipped', 0);
          continue;
        }
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
    if (lease && holding) await lease.store.release(leaseName, holder).catch((error: unknown) => log.warn({ err: error }, 'sweeper lease not released'));
  };
}
