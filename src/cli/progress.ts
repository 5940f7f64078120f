// A progress bar on stderr, only when both stdout and stderr are terminals: a script that captures
// either gets clean output.
import cliProgress from 'cli-progress';

export interface Progress {
  update(doneBytes: number, totalBytes: number): void;
  stop(): void;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);

export function createProgress(label: string, enabled: boolean): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {done}/{total} MiB | {speed} MiB/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    update(doneBytes, totalBytes) {
      const payload = { done: mib(doneBytes), total: mib(totalBytes), speed: mib(doneBytes / Math.max((Date.now() - started) / 1000, 0.001)) };
      if (!running) {
        bar.start(Math.max(totalBytes, 1), doneBytes, payload);
        running = true;
      } else {
        bar.setTotal(Math.max(totalBytes, 1));
        bar.update(doneBytes, payload);
      }
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
