// What the page says, in one place: the worker sends error codes from the catalogue, the page words them.

export interface WorkerError {
  code: string;
  message: string;
}

const MESSAGES: Record<string, string> = {
  NOT_FOUND: 'This link has expired, reached its download limit, or never existed. Ask the sender for a new one.',
  WRONG_KEY: 'Wrong passphrase or key: nothing was saved. Check the passphrase (or the whole link) and try again.',
  DECRYPTION_FAILED: 'The file was altered or damaged on its way: it does not decrypt, and no part of it was kept as a finished file.',
  TRUNCATED: 'The file is cut short: it ends before its last part, and no part of it was kept as a finished file.',
  BAD_HEADER: 'This is not a file this page can open (its header is damaged or unknown).',
  UNSUPPORTED_FORMAT: 'This file is in a format this page does not know.',
  KEY_MODE_MISMATCH: 'The link does not fit this file: it needs the full link with its #key, or a passphrase.',
  PASSPHRASE_REQUIRED: 'This file is protected by a passphrase: enter it to download.',
  INVALID_LINK: 'This is not a complete Blindvault link. Copy the whole link, including the part after #.',
  NETWORK_ERROR: 'The connection to the server was lost.',
  PAYLOAD_TOO_LARGE: 'The file is larger than this server accepts.',
  RATE_LIMITED: 'Too many uploads from this address for now; try again later.',
  V1_TOO_LARGE: 'This file uses the old one-shot format and is too large to open in a browser.',
  TOO_LARGE_FOR_MEMORY: 'This browser cannot save a file this large while decrypting it; use Chrome or Edge, or the blindvault CLI.',
  UPLOAD_CHANGED: 'The file changed while it was being uploaded; choose it again.',
  DOWNLOAD_HELPER_GONE: 'The download helper stopped; reload the page and try again.',
};

export function describeError(error: WorkerError): string {
  return MESSAGES[error.code] ?? `Something went wrong (${error.code}): ${error.message}`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  if (seconds % 86400 === 0) return seconds === 86400 ? '1 day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds < 86400 * 2) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${Math.round(seconds / 86400)} days`;
}

/** Speed over the last few seconds (a moving window), and the time the rest will take at that speed. */
export function createRateMeter(windowMs = 5000) {
  const samples: Array<{ at: number; bytes: number }> = [];
  return (bytes: number, total: number, now = performance.now()) => {
    samples.push({ at: now, bytes });
    while (samples.length > 2 && now - (samples[0]?.at ?? now) > windowMs) samples.shift();
    const first = samples[0] ?? { at: now, bytes };
    const seconds = (now - first.at) / 1000;
    const bytesPerSecond = seconds > 0.2 ? (bytes - first.bytes) / seconds : 0;
    return { bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? (total - bytes) / bytesPerSecond : Infinity };
  };
}

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export type StatusState = 'idle' | 'working' | 'done' | 'error';

export function setStatus(text: string, state: StatusState): void {
  const status = byId('status');
  status.textContent = text;
  status.dataset.state = state;
}
