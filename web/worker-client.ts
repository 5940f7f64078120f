// The page's side of the crypto worker: one module worker from our own hashed bundle.
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface CryptoWorker {
  send(request: WorkerRequest, transfer?: Transferable[]): void;
  onReply(listener: (reply: WorkerReply) => void): void;
}

export function startCryptoWorker(): CryptoWorker {
  const url = document.body.dataset.worker;
  if (!url || !url.startsWith('/assets/')) throw new Error('the page names no worker bundle');
  const worker = new Worker(url, { type: 'module', name: 'blindvault-crypto' });
  return {
    send: (request, transfer = []) => worker.postMessage(request, transfer),
    onReply: (listener) => worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => listener(event.data)),
  };
}
