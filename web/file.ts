// The file page (/f/{id}#key): shows what the server says about the ciphertext (HEAD counts no download),
// asks for the passphrase when the link has no key, then the worker downloads, verifies and decrypts
// it as a stream to disk: the File System Access API where the browser has it, else the download
// service worker, else (small files only) memory. The key stays in this page and its worker.
import { byId, describeError, formatBytes, setStatus } from './messages.js';
import { createProgress } from './progress.js';
import { startCryptoWorker } from './worker-client.js';
import type { WorkerRequest } from './worker-protocol.js';

/** Without a streaming way to disk, the plaintext is gathered in memory: only up to this size. */
export const MEMORY_FALLBACK_MAX_BYTES = 128 * 1024 * 1024;
/** Format v1 decrypts in one piece (the SDK's V1_MAX_BYTES). */
const V1_MAX_BYTES = 256 * 1024 * 1024;

type SaveFilePicker = (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;

const id = /^\/f\/([0-9a-f-]{36})\/?$/.exec(location.pathname)?.[1] ?? '';
const fragment = location.hash.length > 1 ? location.hash.slice(1) : undefined;
const form = byId<HTMLFormElement>('download-form');
const button = byId<HTMLButtonElement>('download-button');
const passphraseField = byId('passphrase-field');
const passphrase = byId<HTMLInputElement>('passphrase-input');
const progress = createProgress('Downloaded and decrypted');
const worker = startCryptoWorker();
const suggestedName = `blindvault-${id.slice(0, 8)}`;
let format: string | undefined;
let sizeBytes = 0;

function sinkKind(): 'file' | 'stream' | 'memory' {
  if (typeof (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function') return 'file';
  if (navigator.serviceWorker?.controller) return 'stream';
  return 'memory';
}

function describeSink(): string {
  const kind = sinkKind();
  if (kind === 'file') return 'straight to the file you choose';
  if (kind === 'stream') return 'straight to your downloads folder';
  return `in memory (this browser can stream no download: files up to ${formatBytes(MEMORY_FALLBACK_MAX_BYTES)})`;
}

async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise<void>((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
      setTimeout(resolve, 3000);
    });
  }
}

async function inspect(): Promise<void> {
  if (!id) return setStatus(describeError({ code: 'INVALID_LINK', message: '' }), 'error');
  const response = await fetch(`/f/${id}/encrypted`, { method: 'HEAD', cache: 'no-store' });
  if (response.status === 404) return setStatus(describeError({ code: 'NOT_FOUND', message: '' }), 'error');
  if (!response.ok) return setStatus(`The server answered ${response.status}.`, 'error');
  sizeBytes = Number(response.headers.get('content-length'));
  format = response.headers.get('x-blindvault-format') ?? 'v1';
  byId('file-size').textContent = formatBytes(sizeBytes);
  const expiresAt = new Date(response.headers.get('x-blindvault-expires-at') ?? '');
  byId('file-expires').textContent = Number.isNaN(expiresAt.getTime()) ? 'unknown' : expiresAt.toLocaleString();
  byId('file-downloads-left').textContent = response.headers.get('x-blindvault-downloads-left') ?? 'no limit';
  byId('file-format').textContent = format === 'v1' ? 'v1 (the old one-shot format, passphrase)' : 'v2 (streamed)';
  await registerServiceWorker().catch(() => undefined);
  byId('file-sink').textContent = describeSink();
  if (format === 'v1' && sizeBytes > V1_MAX_BYTES + 16) return setStatus(describeError({ code: 'V1_TOO_LARGE', message: '' }), 'error');
  if (sinkKind() === 'memory' && sizeBytes > MEMORY_FALLBACK_MAX_BYTES + 1024 * 1024) return setStatus(describeError({ code: 'TOO_LARGE_FOR_MEMORY', message: '' }), 'error');
  const needsPassphrase = fragment === undefined;
  passphraseField.hidden = !needsPassphrase;
  button.disabled = false;
  setStatus(needsPassphrase ? 'This file is protected by a passphrase: enter it, then download.' : 'Ready to download and decrypt.', 'idle');
  (needsPassphrase ? passphrase : button).focus();
}

async function sink(): Promise<Extract<WorkerRequest, { type: 'download' }>['sink'] | undefined> {
  const kind = sinkKind();
  if (kind === 'file') {
    try {
      const handle = await (window as unknown as { showSaveFilePicker: SaveFilePicker }).showSaveFilePicker({ suggestedName });
      return { kind: 'file', handle };
    } catch {
      return undefined; // the user closed the picker
    }
  }
  if (kind === 'memory') return { kind: 'memory', maxBytes: MEMORY_FALLBACK_MAX_BYTES };
  return serviceWorkerPort();
}

let downloadId = '';

/** A channel from the crypto worker to the download service worker: the plaintext goes through it, never through this page. */
function serviceWorkerPort(): { kind: 'stream'; port: MessagePort } | undefined {
  const controller = navigator.serviceWorker.controller;
  if (!controller) {
    setStatus(describeError({ code: 'DOWNLOAD_HELPER_GONE', message: '' }), 'error');
    return undefined;
  }
  downloadId = crypto.randomUUID();
  const channel = new MessageChannel();
  controller.postMessage({ type: 'download', id: downloadId, name: suggestedName }, [channel.port1]);
  return { kind: 'stream', port: channel.port2 };
}

/** The service worker holds the stream: its download starts in a hidden frame. */
function startServiceWorkerDownload(): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'download';
  frame.src = `/_download/${downloadId}`;
  document.body.append(frame);
  setTimeout(() => frame.remove(), 60_000);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (fragment === undefined && passphrase.value === '') {
    setStatus(describeError({ code: 'PASSPHRASE_REQUIRED', message: '' }), 'error');
    passphrase.focus();
    return;
  }
  void sink().then((target) => {
    if (!target) {
      if (sinkKind() === 'file') setStatus('Not saved: no file was chosen.', 'idle');
      return;
    }
    button.disabled = true;
    byId('save-link-row').hidden = true;
    progress.start();
    setStatus(fragment === undefined ? 'Deriving the key from the passphrase…' : 'Downloading and decrypting…', 'working');
    // The link as the SDK reads it: the key stays in its #fragment, which no request carries.
    const link = `${location.origin}/f/${id}${fragment !== undefined ? `#${fragment}` : ''}`;
    worker.send({ type: 'download', link, ...(fragment === undefined ? { passphrase: passphrase.value } : {}), sink: target }, target.kind === 'stream' ? [target.port] : []);
  });
});

worker.onReply((reply) => {
  if (reply.type === 'progress') return progress.update(reply.doneBytes, reply.totalBytes);
  if (reply.type === 'stream') {
    setStatus('Downloading and decrypting to your downloads folder…', 'working');
    return startServiceWorkerDownload();
  }
  if (reply.type === 'error') {
    button.disabled = false;
    progress.hide();
    setStatus(describeError(reply.error), 'error');
    if (reply.error.code === 'WRONG_KEY' && fragment === undefined) {
      passphrase.select();
      passphrase.focus();
    }
    return;
  }
  if (reply.type !== 'downloaded') return;
  button.disabled = false;
  progress.update(sizeBytes, sizeBytes);
  if (reply.blob) {
    const link = byId<HTMLAnchorElement>('save-link');
    link.href = URL.createObjectURL(reply.blob);
    link.download = suggestedName;
    byId('save-link-row').hidden = false;
    link.focus();
  }
  setStatus('Done: the file was decrypted and every part verified.', 'done');
});

void inspect().catch(() => setStatus(describeError({ code: 'NETWORK_ERROR', message: '' }), 'error'));
