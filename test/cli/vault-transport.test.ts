// The vault transport and the sent-file download under the CLI: a connection that breaks, before or in the middle
// of an answer, is the catalogue's NETWORK_ERROR (exit 3), never a raw TypeError (exit 1, "a bug"). A real socket.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fetchSendContent } from '../../src/client/send/api.js';
import { vaultTransport } from '../../src/client/vault/connection.js';
import { restoreSession } from '../../src/client/vault/session-state.js';
import { isBlindvaultError } from '../../src/protocol/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';

let server: Server;
let base: string;
before(async () => {
  server = createServer((request, response) => {
    if (request.url === '/whole' || request.url?.endsWith('/whole/content/')) return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    // Promises 1000 bytes, sends a few, then drops the connection.
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('{"partial":', () => setTimeout(() => request.socket.destroy(), 20));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('an answer cut in the middle of its body is NETWORK_ERROR; a whole answer passes (control)', async () => {
  const transport = vaultTransport(base);
  const whole = await transport({ method: 'GET', path: '/whole', headers: {} });
  assert.deepEqual([whole.status, whole.body], [200, '{"ok":true}']);
  await assert.rejects(transport({ method: 'GET', path: '/cut', headers: {} }), (error: unknown) => isBlindvaultError(error) && error.code === 'NETWORK_ERROR' && exitCodeFor(error.code) === 3);
});

test('no server at all is NETWORK_ERROR too', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(vaultTransport(url)({ method: 'GET', path: '/info/', headers: {} }), (error: unknown) => isBlindvaultError(error) && error.code === 'NETWORK_ERROR');
});

test('a sent file whose body is cut is NETWORK_ERROR while reading it; a whole body reads (control)', async () => {
  const hex = (c: string) => c.repeat(64);
  const session = restoreSession(vaultTransport(base), {
    server_url: base, server_verify_key: hex('a'), server_public_key: hex('b'), token: 'token', session_secret_key: hex('c'),
    device_fingerprint: 'fingerprint', username: 'u@example.com', user_id: '00000000-0000-4000-8000-000000000000', email: 'u@example.com',
    user_public_key: hex('d'), user_private_key: hex('e'), user_secret_key: hex('f'), created_at: new Date().toISOString(),
  });
  const read = async (id: string) => new Response((await fetchSendContent(session, base, id)).body).text();
  assert.equal(await read('whole'), '{"ok":true}');
  await assert.rejects(read('cut'), (error: unknown) => isBlindvaultError(error) && error.code === 'NETWORK_ERROR');
});
