// The progress bar with speed and time left, shared by upload and download.
import { byId, createRateMeter, formatBytes, formatDuration } from './messages.js';

export function createProgress(verb: string) {
  const block = byId('progress-block');
  const bar = byId<HTMLProgressElement>('progress');
  const text = byId('progress-text');
  let meter = createRateMeter();
  return {
    start() {
      meter = createRateMeter();
      bar.value = 0;
      text.textContent = '';
      block.hidden = false;
    },
    update(doneBytes: number, totalBytes: number) {
      const { bytesPerSecond, secondsLeft } = meter(doneBytes, totalBytes);
      bar.value = totalBytes > 0 ? Math.round((doneBytes / totalBytes) * 1000) : 0;
      bar.setAttribute('aria-valuetext', `${Math.floor((doneBytes / Math.max(totalBytes, 1)) * 100)} percent`);
      const speed = bytesPerSecond > 0 ? `, ${formatBytes(bytesPerSecond)}/s, ${formatDuration(secondsLeft)} left` : '';
      text.textContent = `${verb} ${formatBytes(doneBytes)} of ${formatBytes(totalBytes)}${speed}`;
    },
    hide() {
      block.hidden = true;
    },
  };
}
