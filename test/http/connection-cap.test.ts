import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openTestApp, type TestApp } from '../helpers/app.js';

// Security review item 1, over real sockets: one address cannot hold every socket of the server,
// and a request line that trickles in does not hold one for long.

const CAP = 3;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => {}); // a reset is a close too
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent when it closed the socket; rejects if it stays open. */
function closedByServer(socket: Socket, giveUpMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the server kept the socket open for ${giveUpMs} ms`)), giveUpMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

async function livez(port: number): Promise<number> {
  const socket = await open(port);
  const answer = closedByServer(socket, 5000);
  socket.write('GET /livez HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(await answer)?.[1] ?? 0);
}

async function listening(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('connections per remote address are capped', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await openTestApp('sqlite', { MAX_CONNECTIONS_PER_ADDRESS: String(CAP), HEADERS_TIMEOUT_SECONDS: '60' });
    port = await listening(t);
  });
  after(async () => t.close());

  test('the socket over the cap is closed unread; one freed lets the address in again', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < CAP; i++) {
      const socket = await open(port);
      socket.write('G'); // one byte of a request line, as the attack did
      held.push(socket);
    }
    const excess = await open(port);
    excess.write('GET /livez HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    assert.equal(await closedByServer(excess, 5000), '', 'the excess socket got no answer');
    // Control: the held sockets are still open, and once one goes, a request is answered.
    assert.ok(held.every((s) => !s.destroyed && s.readyState === 'open'));
    const gone = held.pop()!;
    gone.destroy();
    await once(gone, 'close');
    // The server sees the close a moment after the client: retry until it has.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) status = await livez(port).catch(() => 0);
    assert.equal(status, 200);
    for (const s of held) s.destroy();
  });
});

describe('connection cap settings', () => {
  test('0 turns the per-address cap off: more sockets than the default cap are all served', async () => {
    const t = await openTestApp('sqlite', { MAX_CONNECTIONS_PER_ADDRESS: '0' });
    try {
      const port = await listening(t);
      const held = await Promise.all(Array.from({ length: CAP + 2 }, () => open(port)));
      for (const s of held) s.write('G');
      assert.equal(await livez(port), 200);
      for (const s of held) s.destroy();
    } finally {
      await t.close();
    }
  });

  test('MAX_CONNECTIONS bounds the sockets of the whole process', async () => {
    const t = await openTestApp('sqlite', { MAX_CONNECTIONS_PER_ADDRESS: '0', MAX_CONNECTIONS: String(CAP) });
    try {
      const port = await listening(t);
      assert.equal(t.app.server.maxConnections, CAP);
      const held: Socket[] = [];
      for (let i = 0; i < CAP; i++) held.push(await open(port));
      const excess = await open(port);
      assert.equal(await closedByServer(excess, 5000), '');
      held.pop()!.destroy();
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) status = await livez(port).catch(() => 0);
      assert.equal(status, 200);
      for (const s of held) s.destroy();
    } finally {
      await t.close();
    }
  });
});

describe('a request line that trickles in is cut off by HEADERS_TIMEOUT_SECONDS', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await openTestApp('sqlite', { HEADERS_TIMEOUT_SECONDS: '1' });
    port = await listening(t);
  });
  after(async () => t.close());

  test('one byte and then nothing: the server closes the socket', async () => {
    const socket = await open(port);
    socket.write('G');
    const sent = await closedByServer(socket, 10_000);
    assert.ok(sent === '' || /^HTTP\/1\.1 408/.test(sent), sent);
  });

  test('control: a request that arrives whole is answered', async () => {
    assert.equal(await livez(port), 200);
  });
});
