import { createServer, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the proxy does to the requests a fault matches: answer 500 (after reading the body), never
 * answer (a stall), or pass the answer's headers and its first `afterBytes` bytes and then cut the
 * connection or stop sending.
 */
export type Fault =
  | { kind: 'status500'; when: (request: IncomingMessage) => boolean }
  | { kind: 'stall'; when: (request: IncomingMessage) => boolean }
  | { kind: 'cutBody' | 'stallBody'; when: (request: IncomingMessage) => boolean; afterBytes: number };

export interface FaultyProxy {
  url: string;
  /** undefined: pass everything through. */
  setFault(fault: Fault | undefined): void;
  /** How many requests a fault has hit since it was set. */
  hits(): number;
  close(): Promise<void>;
}

/** An HTTP proxy on a free loopback port in front of `target`, written for the fault tests. */
export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const upstream = new URL(target);
  let fault: Fault | undefined;
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = createServer((incoming, outgoing) => {
    const active = fault && fault.when(incoming) ? fault : undefined;
    if (active) hits += 1;
    if (active?.kind === 'status500') {
      incoming.resume();
      incoming.once('end', () => {
        outgoing.writeHead(500, { 'content-type': 'application/xml' });
        outgoing.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected</Message></Error>');
      });
      return;
    }
    if (active?.kind === 'stall') {
      incoming.resume();
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!active) {
          answer.pipe(outgoing);
          return;
        }
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent >= active.afterBytes) return;
          const slice = chunk.subarray(0, active.afterBytes - sent);
          sent += slice.byteLength;
          outgoing.write(slice);
          if (sent >= active.afterBytes) {
            if (active.kind === 'cutBody') outgoing.socket?.destroy();
            // stallBody: keep the connection open and send nothing more.
          }
        });
      },
    );
    forward.on('error', () => outgoing.socket?.destroy());
    incoming.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    setFault(next) {
      fault = next;
      hits = 0;
    },
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
