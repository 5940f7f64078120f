// The crypto worker: encrypts and uploads, downloads and decrypts, off the page's main thread, through
// the SDK (src/client) and its portable crypto. Streams throughout: a file is read slice by slice from
// its Blob and plaintext leaves record by record, each only after its tag verified.
import { blobSource, downloadFile, isBlindvaultError, uploadFile, type ResumeStore, type UploadResumeRecord } from '../src/client/index.js';
import { blobChunkBody, PAGE_CHUNK_BYTES } from './chunk-blob.js';
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
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const reader = plaintext.getReader(); ; ) {
      const next = await reader.read();
      if (next.done) break;
      total += next.value.byteLength;
      if (total > sink.maxBytes) {
        await reader.cancel();
        throw Object.assign(new Error('too large for memory'), { code: 'TOO_LARGE_FOR_MEMORY' });
      }
      parts.push(next.value);
    }
    post({ type: 'downloaded', blob: new Blob(parts as BlobPart[], { type: 'application/octet-stream' }) });
    return;
  }
  // To the service worker, through the page: the stream errors (and the browser marks the download
  // failed) on any record that does not verify; the page hears 'downloaded' only after the last one.
  const relay = new TransformStream<Uint8Array, Uint8Array>();
  post({ type: 'stream', stream: relay.readable }, [relay.readable as unknown as Transferable]);
  await plaintext.pipeTo(relay.writable, { signal });
  post({ type: 'downloaded' });
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
    post({ type: 'error', error: code === 'TOO_LARGE_FOR_MEMORY' ? { code, message: 'too large' } : errorOf(error) });
  });
});
