import type { Server } from 'node:net';
import type { Socket } from 'node:net';

export interface ConnectionCapOptions {
  /** Open sockets one remote address may hold at once (0: no cap). */
  perAddress: number;
  /** Open sockets in all (0: no cap); Node drops the excess before any handler sees it. */
  total: number;
}

/**
 * Bounds the sockets a server holds open, so that one client opening thousands of connections
 * (each with a byte of a request line) cannot lock everyone else out. The counts are this
 * process's own: sockets belong to the process that accepted them, so nothing here is shared
 * through the database. Behind a proxy every socket comes from the proxy: its limit applies there.
 * Returns the number of sockets each address holds now (for tests and metrics).
 */
export function capConnections(server: Server, options: ConnectionCapOptions): ReadonlyMap<string, number> {
  if (options.total > 0) server.maxConnections = options.total;
  const open = new Map<string, number>();
  if (options.perAddress <= 0) return open;
  // Before the HTTP parser's own listener: the excess socket is closed unread.
  server.prependListener('connection', (socket: Socket) => {
    const address = addressOf(socket);
    if (address === undefined) return void socket.destroy();
    const count = open.get(address) ?? 0;
    if (count >= options.perAddress) return void socket.destroy();
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return open;
}

// "::ffff:10.0.0.1" and "10.0.0.1" are one client.
function addressOf(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
