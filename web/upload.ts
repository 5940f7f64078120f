// The upload page (/): pick or drop a file, choose expiry, download limit and passphrase within the
// server's limits (GET /limits), then the worker encrypts and uploads it; the link, a copy button and
// a QR code (drawn here, no third party) appear when the server holds the whole file.
import QRCode from 'qrcode';
import { byId, describeError, formatBytes, formatDuration, setStatus } from './messages.js';
import { createProgress } from './progress.js';
import { startCryptoWorker } from './worker-client.js';
import type { WorkerRequest } from './worker-protocol.js';

interface Limits {
  max_upload_bytes: number;
  default_expires_in: number;
  max_expires_in: number;
  default_max_downloads: number | null;
  max_max_downloads: number;
}

const V1_MAX_BYTES = 256 * 1024 * 1024;
const EXPIRY_CHOICES = [300, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400];

const form = byId<HTMLFormElement>('upload-form');
const fileInput = byId<HTMLInputElement>('file-input');
const drop = byId('drop');
const summary = byId('file-summary');
const expires = byId<HTMLSelectElement>('expires');
const downloads = byId<HTMLInputElement>('downloads');
const passphrase = byId<HTMLInputElement>('passphrase-input');
const formatSelect = byId<HTMLSelectElement>('format');
const uploadButton = byId<HTMLButtonElement>('upload-button');
const resumeButton = byId<HTMLButtonElement>('resume-button');
const result = byId('result');
const shareLink = byId<HTMLInputElement>('share-link');
const progress = createProgress('Encrypted and sent');
const worker = startCryptoWorker();

let limits: Limits | undefined;
let chosen: File | undefined;
let lastRequest: Extract<WorkerRequest, { type: 'upload' }> | undefined;

function describeLimit(count: number | null): string {
  return count === null ? 'no limit' : `${count} download${count === 1 ? '' : 's'}`;
}

async function loadLimits(): Promise<void> {
  const response = await fetch('/limits', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`limits: ${response.status}`);
  limits = (await response.json()) as Limits;
  const choices = [...new Set([...EXPIRY_CHOICES.filter((s) => s <= (limits as Limits).max_expires_in), limits.default_expires_in])].sort((a, b) => a - b);
  expires.replaceChildren(
    ...choices.map((seconds) => {
      const option = new Option(formatDuration(seconds), String(seconds));
      option.selected = seconds === (limits as Limits).default_expires_in;
      return option;
    }),
  );
  byId('expires-hint').textContent = `Default ${formatDuration(limits.default_expires_in)}, at most ${formatDuration(limits.max_expires_in)}.`;
  downloads.max = String(limits.max_max_downloads);
  downloads.placeholder = limits.default_max_downloads === null ? 'no limit' : String(limits.default_max_downloads);
  byId('downloads-hint').textContent = `Default ${describeLimit(limits.default_max_downloads)}, at most ${limits.max_max_downloads}. Files up to ${formatBytes(limits.max_upload_bytes)}.`;
}

function choose(file: File | undefined): void {
  chosen = file;
  result.hidden = true;
  resumeButton.hidden = true;
  summary.textContent = file ? `${file.name}, ${formatBytes(file.size)}` : '';
  if (file && limits && file.size > limits.max_upload_bytes) setStatus(`This file is larger than the server accepts (${formatBytes(limits.max_upload_bytes)}).`, 'error');
  else setStatus(file ? 'Ready to encrypt and upload.' : '', 'idle');
}

fileInput.addEventListener('change', () => choose(fileInput.files?.[0]));
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  choose(event.dataTransfer?.files[0]);
});

function uploadRequest(file: File): Extract<WorkerRequest, { type: 'upload' }> | undefined {
  const maxDownloads = downloads.value.trim() === '' ? undefined : Number(downloads.value);
  if (maxDownloads !== undefined && (!Number.isInteger(maxDownloads) || maxDownloads < 1 || (limits && maxDownloads > limits.max_max_downloads))) {
    setStatus(`The download limit must be a whole number from 1 to ${limits?.max_max_downloads ?? '…'}.`, 'error');
    downloads.focus();
    return undefined;
  }
  const format = formatSelect.value === 'v1' ? 'v1' : 'v2';
  if (format === 'v1' && passphrase.value === '') {
    setStatus('Format v1 needs a passphrase: enter one, or choose v2.', 'error');
    passphrase.focus();
    return undefined;
  }
  if (format === 'v1' && file.size > V1_MAX_BYTES) {
    setStatus(`Format v1 encrypts in one piece: at most ${formatBytes(V1_MAX_BYTES)}. Choose v2 for this file.`, 'error');
    formatSelect.focus();
    return undefined;
  }
  return {
    type: 'upload',
    file,
    format,
    serverUrl: location.origin,
    ...(passphrase.value !== '' ? { passphrase: passphrase.value } : {}),
    expiresInSeconds: Number(expires.value),
    ...(maxDownloads !== undefined ? { maxDownloads } : {}),
  };
}

function start(request: Extract<WorkerRequest, { type: 'upload' }>): void {
  lastRequest = request;
  uploadButton.disabled = true;
  resumeButton.hidden = true;
  result.hidden = true;
  progress.start();
  setStatus(request.passphrase ? 'Deriving the key from the passphrase, then encrypting and uploading…' : 'Encrypting and uploading…', 'working');
  worker.send(request);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!chosen) {
    setStatus('Choose a file first.', 'error');
    fileInput.focus();
    return;
  }
  const request = uploadRequest(chosen);
  if (request) start(request);
});
resumeButton.addEventListener('click', () => lastRequest && start(lastRequest));

worker.onReply((reply) => {
  if (reply.type === 'progress') return progress.update(reply.doneBytes, reply.totalBytes);
  if (reply.type === 'error') {
    uploadButton.disabled = false;
    const lost = reply.error.code === 'NETWORK_ERROR';
    resumeButton.hidden = !lost;
    setStatus(lost ? `${describeError(reply.error)} Press “Resume upload” to go on where it stopped.` : describeError(reply.error), 'error');
    if (lost) resumeButton.focus();
    return;
  }
  if (reply.type !== 'uploaded') return;
  uploadButton.disabled = false;
  progress.hide();
  passphrase.value = '';
  shareLink.value = reply.downloadUrl;
  byId<HTMLAnchorElement>('manage-link').href = reply.manageUrl;
  byId('result-limits').textContent = `Expires ${new Date(reply.expiresAt).toLocaleString()}; ${describeLimit(reply.maxDownloads)}.`;
  result.hidden = false;
  void QRCode.toCanvas(byId<HTMLCanvasElement>('qr'), reply.downloadUrl, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
  setStatus(reply.resumed ? 'Uploaded (resumed). Share the link below.' : 'Uploaded. Share the link below.', 'done');
  shareLink.focus();
  shareLink.select();
});

byId('copy-button').addEventListener('click', () => {
  const copied = byId('copy-status');
  navigator.clipboard.writeText(shareLink.value).then(
    () => (copied.textContent = 'Link copied.'),
    () => {
      shareLink.select();
      copied.textContent = 'Copy did not work here: the link is selected, press Ctrl+C (⌘C).';
    },
  );
});

loadLimits().catch(() => setStatus('The server did not say its limits; the defaults apply.', 'idle'));
