// The crypto worker: encrypts and uploads, downloads and decrypts, off the page's main thread, through
// the SDK (src/client) and its portable crypto. Streams throughout: a file is read slice by slice from
// its Blob and plaintext leaves record by record, each only after its tag verified.
import { blobSource, downloadFile, isBlindvaultError, uploadFile, type ResumeStore, type UploadResumeRecord } from '../src/client/index.js';
import { gatherBlob, GatherLimitError } from './blob-gather.js';
import { blobChunkBody, PAGE_CHUNK_BYTES } from './chunk-blob.js';
import { coalesce } from './coalesce.js';
import type { WorkerError } from './messages.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

interface WorkerScope {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: WorkerReply, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

// An interrupted upload resumes from here while the page stays open. Only in this worker's memory: the
// record holds the file key, which must not reach localStorage or any other storage.
const saved = new Map<string, UploadResumeRecord>();
const resumeStore: ResumeStore = {
  find: async (match) => saved.get(match),
  save: async (record) => void saved.set(record.match, record),
  remove: async (match) => void saved.delete(match),
};

let current: AbortController | undefined;

/** The plaintext crosses to the service worker in chunks this large (web/coalesce.ts). */
const CROSSING_CHUNK_BYTES = 2 * 1024 * 1024;

function errorOf(error: unknown): WorkerError {
  if (isBlindvaultError(error)) return { code: error.code, message: error.message };
  if (error instanceof DOMException && error.name === 'AbortError') return { code: 'ABORTED', message: 'Stopped.' };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Throttled progress: at most every 100 ms, and always the last one. */
function progress() {
  let last = 0;
  return (doneBytes: number, totalBytes: number) => {
    const now = performance.now();
    if (now - last < 100 && doneBytes < totalBytes) return;
    last = now;
    post({ type: 'progress', doneBytes, totalBytes });
  };
}

async function upload(request: Extract<WorkerRequest, { type: 'upload' }>, signal: AbortSignal): Promise<void> {
  const { file } = request;
  const source = blobSource(file, { location: `page:${file.name}`, identity: `${file.size}:${file.lastModified}:${file.type}` });
  const result = await uploadFile(source, {
    serverUrl: request.serverUrl,
    format: request.format,
    ...(request.passphrase ? { passphrase: request.passphrase } : {}),
    ...(request.expiresInSeconds !== undefined ? { expiresInSeconds: request.expiresInSeconds } : {}),
    ...(request.maxDownloads !== undefined ? { maxDownloads: request.maxDownloads } : {}),
    resume: resumeStore,
    // Each PATCH body a Blob (web/chunk-blob.ts): fast to send, and outside this worker's heap.
    chunkBody: blobChunkBody,
    chunkSizeBytes: PAGE_CHUNK_BYTES,
    onProgress: progress(),
    signal,
  });
  post({ type: 'uploaded', downloadUrl: result.downloadUrl, manageUrl: result.manageUrl, expiresAt: result.expiresAt.toISOString(), maxDownloads: result.maxDownloads, resumed: result.resumed });
}

/** Reads the first chunk before anything is handed on: a wrong key or a damaged first record fails here, before a download starts. */
async function primed(plaintext: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = plaintext.getReader();
  const first = await reader.read();
  let pending: Uint8Array | undefined = first.done ? undefined : first.value;
  let ended = first.done;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        if (ended) return controller.close();
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

async function download(request: Extract<WorkerRequest, { type: 'download' }>, signal: AbortSignal): Promise<void> {
  const passphrase = request.passphrase;
  const result = await downloadFile(request.link, {
    passphrase: async () => passphrase,
    onProgress: progress(),
    signal,
  });
  const plaintext = await primed(result.plaintext);
  const { sink } = request;
  if (sink.kind === 'file') {
    // Chromium writes to a swap file and replaces the chosen file only on close(): an error aborts the
    // writable (pipeTo does), and the partial plaintext is discarded, never left under the chosen name.
    const writable = await sink.handle.createWritable();
    await plaintext.pipeTo(writable, { signal });
    post({ type: 'downloaded' });
    return;
  }
  if (sink.kind === 'memory') {
    // Gathered into a Blob part by part: the browser's blob store holds the plaintext, not this heap.
    const blob = await gatherBlob(plaintext, { maxBytes: sink.maxBytes, type: 'application/octet-stream' }).catch((error: unknown) => {
      throw error instanceof GatherLimitError ? pageError('TOO_LARGE_FOR_MEMORY') : error;
    });
    post({ type: 'downloaded', blob });
    return;
  }
  // To the service worker, over the port whose other end the page gave it: the bytes go from this worker to
  // the service worker without passing through the page. The stream errors (and the browser marks the
  // download failed) on any record that does not verify; the page hears 'downloaded' only after the last one.
  const relay = new TransformStream<Uint8Array, Uint8Array>();
  const taken = serviceWorkerTook(sink.port);
  sink.port.postMessage({ type: 'stream', stream: relay.readable }, [relay.readable as unknown as Transferable]);
  try {
    await taken;
  } catch (error) {
    await plaintext.cancel().catch(() => undefined);
    throw error;
  }
  post({ type: 'stream' });
  await plaintext.pipeThrough(coalesce(CROSSING_CHUNK_BYTES)).pipeTo(relay.writable, { signal });
  post({ type: 'downloaded' });
}

/** Errors the page words itself (messages.ts), not from the SDK's catalogue. */
const PAGE_ERRORS = new Set(['TOO_LARGE_FOR_MEMORY', 'DOWNLOAD_HELPER_GONE']);
function pageError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** Resolves when the service worker says it holds the stream; a service worker gone quiet is an error, not a hang. */
function serviceWorkerTook(port: MessagePort): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(pageError('DOWNLOAD_HELPER_GONE')), 10_000);
    port.onmessage = (event) => {
      if (event.data !== 'ready') return;
      clearTimeout(timer);
      port.close();
      resolve();
    };
  });
}

scope.addEventListener('message', (event) => {
  const request = event.data;
  if (request.type === 'abort') {
    current?.abort();
    return;
  }
  current = new AbortController();
  const signal = current.signal;
  const run = request.type === 'upload' ? upload(request, signal) : download(request, signal);
  run.catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    post({ type: 'error', error: typeof code === 'string' && PAGE_ERRORS.has(code) ? { code, message: code } : errorOf(error) });
  });
});
