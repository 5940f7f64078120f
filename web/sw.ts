// The download service worker: the page hands it a port whose other end is the crypto worker's, the crypto
// worker sends a stream of verified plaintext over it, and the page opens /_download/{random id} in a hidden
// frame; this worker answers that request with the stream as an attachment, so the browser saves it to disk
// as it arrives. The bytes go from the crypto worker to here without passing through the page. A stream
// that errors fails the download. Nothing here reaches the server: /_download/ is answered only by this worker.

interface PendingDownload {
  stream: ReadableStream<Uint8Array>;
  name: string;
}

interface SwScope {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'message', listener: (event: MessageEvent & { ports: readonly MessagePort[]; waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'fetch', listener: (event: { request: Request; respondWith(r: Response | Promise<Response>): void }) => void): void;
}
const sw = self as unknown as SwScope;
const pending = new Map<string, PendingDownload>();
const DOWNLOAD_ID = /^[0-9a-f-]{36}$/;
const DOWNLOAD_PATH = /^\/_download\/([0-9a-f-]{36})$/;

sw.addEventListener('install', (event) => event.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

/** How long a handed port may wait for its stream (the crypto worker derives a passphrase key first). */
const STREAM_WAIT_MS = 120_000;

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; id?: unknown; name?: unknown };
  const port = event.ports[0];
  if (data?.type !== 'download' || typeof data.id !== 'string' || !DOWNLOAD_ID.test(data.id) || typeof data.name !== 'string' || !port) return;
  const { id, name } = data;
  // Kept alive until the stream came (or the wait ended): a stopped service worker would drop the port.
  event.waitUntil(
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        port.close();
        resolve();
      }, STREAM_WAIT_MS);
      port.onmessage = (message) => {
        const stream = (message.data as { type?: unknown; stream?: unknown })?.stream;
        if (!(stream instanceof ReadableStream)) return;
        clearTimeout(timer);
        pending.set(id, { stream: stream as ReadableStream<Uint8Array>, name });
        port.postMessage('ready');
        port.close();
        resolve();
      };
    }),
  );
});

sw.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== sw.location.origin) return;
  const match = DOWNLOAD_PATH.exec(url.pathname);
  if (!match) return;
  const download = pending.get(match[1] ?? '');
  pending.delete(match[1] ?? '');
  if (!download) return event.respondWith(new Response('This download is no longer available.', { status: 404 }));
  event.respondWith(
    new Response(download.stream, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(download.name)}`,
        'x-content-type-options': 'nosniff',
      },
    }),
  );
});
