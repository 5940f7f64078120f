import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../helpers/stores.js';
import { freePort, startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, startCli, type CliRun } from './cli-process.js';
import { PYTHON, run } from './helpers.js';
import { registerAndLogin, vaultUser, type VaultUser } from './vault-helpers.js';

// blindvault serve: the article seed's /encrypt and /decrypt with a Fernet key from the vault, checked against
// Python's cryptography.fernet both ways; a token on every call; read-only /entries/PATH.

for (const backend of BACKENDS) {
  describe(`blindvault serve (${backend})`, () => {
    let running: BackendServer;
    let alice: VaultUser;
    let agent: CliRun;
    let base: string;
    let token: string;
    let port: number;
    let fernetKey: string;
    before(async () => {
      [running] = await Promise.all([startBackendServer(backend), buildCli()]);
      alice = await vaultUser(running.server.url, 'agent');
      await registerAndLogin(alice);
      fernetKey = (await run(PYTHON, ['-c', 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'])).stdout.trim();
      const keyFile = path.join(alice.home.dir, 'fernet');
      await writeFile(keyFile, `${fernetKey}\n`);
      assert.equal((await alice.cli(['set', 'Keys/Fernet', '--password-file', keyFile, '--username', 'app'])).code, 0);
      port = await freePort();
      agent = startCli(['serve', '--port', String(port), '--key-entry', 'Keys/Fernet'], { env: alice.env });
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        agent.child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        agent.child.once('exit', () => reject(new Error('serve exited early')));
      });
      ({ url: base, token } = JSON.parse(first) as { url: string; token: string });
      assert.equal(base, `http://127.0.0.1:${port}`);
    });
    after(async () => {
      agent?.child.kill('SIGINT');
      await agent?.done;
      await running?.close();
    });

    const call = (method: string, route: string, body?: unknown, bearer: string | null = token) =>
      fetch(`${base}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });

    test('encrypt gives tokens Python opens; decrypt opens tokens Python made', async () => {
      const enc = await call('POST', '/encrypt', { data: 'This is a secret message ✓' });
      assert.equal(enc.status, 200);
      const { encrypted_data } = (await enc.json()) as { encrypted_data: string };
      const py = await run(PYTHON, ['-c', 'import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).decode())', fernetKey, encrypted_data]);
      assert.equal(py.stdout.trim(), 'This is a secret message ✓');
      const made = (await run(PYTHON, ['-c', 'import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).encrypt(b"from python").decode())', fernetKey])).stdout.trim();
      const dec = await call('POST', '/decrypt', { encrypted_data: made });
      assert.equal(dec.status, 200);
      assert.deepEqual(await dec.json(), { decrypted_data: 'from python' });
      const tampered = await call('POST', '/decrypt', { encrypted_data: `${made.slice(0, -4)}AAAA` });
      assert.equal(tampered.status, 400);
      assert.equal(((await tampered.json()) as { error: string }).error, 'FERNET_INVALID_TOKEN');
    });

    test('every call needs the token (a wrong or missing one is 401, paired with the right one)', async () => {
      assert.equal((await call('POST', '/encrypt', { data: 'x' }, null)).status, 401);
      assert.equal((await call('POST', '/encrypt', { data: 'x' }, `${token}x`)).status, 401);
      assert.equal((await call('GET', '/entries/Keys/Fernet', undefined, 'wrong')).status, 401);
      assert.equal((await call('POST', '/encrypt', { data: 'x' })).status, 200);
    });

    test('GET /entries/PATH reads an entry; bad bodies and unknown entries are 4xx', async () => {
      const entry = await call('GET', '/entries/Keys/Fernet?field=username');
      assert.deepEqual([entry.status, await entry.json()], [200, { value: 'app' }]);
      assert.equal((await call('GET', '/entries/Keys/Nope')).status, 404);
      assert.equal((await call('POST', '/encrypt', { nodata: 1 })).status, 400);
      assert.equal((await call('POST', '/entries/Keys/Fernet', {})).status, 404, 'entries are read-only');
      // An entry made after the agent started is read too (the tree is not a snapshot of the start).
      const later = path.join(alice.home.dir, 'later');
      await writeFile(later, 'made later\n');
      assert.equal((await alice.cli(['set', 'Keys/Later', '--password-file', later])).code, 0);
      const fresh = await call('GET', '/entries/Keys/Later?field=password');
      assert.deepEqual([fresh.status, await fresh.json()], [200, { value: 'made later' }]);
    });

    // Raw HTTP over a socket (fetch would normalize the URL and the headers): the parts of a request are written as
    // given, with a pause between them if asked, and the answer is read until the agent closes or answers in full.
    interface RawAnswer {
      status: number;
      body: Record<string, unknown>;
      closedByAgent: boolean;
    }
    const raw = (parts: Array<string | Buffer>, pauseMs = 0): Promise<RawAnswer> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        let settled = false;
        const finish = (closedByAgent: boolean) => {
          if (settled) return;
          const head = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
          if (!head) return closedByAgent ? reject(new Error(`no answer: ${JSON.stringify(text.slice(0, 200))}`)) : undefined;
          const length = Number(/content-length: (\d+)/i.exec(head[2] as string)?.[1] ?? -1);
          if (!closedByAgent && Buffer.byteLength(head[3] as string) < length) return;
          settled = true;
          socket.destroy();
          resolve({ status: Number(head[1]), body: JSON.parse(head[3] as string) as Record<string, unknown>, closedByAgent: closedByAgent || /connection: close/i.test(head[2] as string) });
        };
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          text += d;
          finish(false);
        });
        socket.on('close', () => finish(true));
        socket.on('error', () => finish(true));
        socket.once('connect', async () => {
          for (const [i, part] of parts.entries()) {
            if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
            if (!socket.destroyed) socket.write(part);
          }
        });
      });
    const head = (method: string, target: string, headers: Record<string, string | number> = {}) => {
      const all: Record<string, string | number> = { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}`, connection: 'close', ...headers };
      return `${method} ${target} HTTP/1.1\r\n${Object.entries(all).filter(([, v]) => v !== '').map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    };
    const post = (target: string, body: string, headers: Record<string, string | number> = {}) =>
      raw([head('POST', target, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }) + body]);

    test('raw HTTP: a malformed percent-encoding in /entries/ is 400 BAD_PATH, not 500; a well-formed escape reads the entry', async () => {
      for (const target of ['/entries/%E0%A4%A', '/entries/%', '/entries/Keys/%ZZ', '/entries/%C0%80']) {
        const bad = await raw([head('GET', target)]);
        assert.deepEqual([bad.status, bad.body.error], [400, 'BAD_PATH'], target);
      }
      assert.equal((await raw([head('GET', '/entries/')])).status, 400);
      const good = await raw([head('GET', '/entries/Keys%2FFernet?field=username')]);
      assert.deepEqual([good.status, good.body], [200, { value: 'app' }]);
      const encoded = await raw([head('GET', '/entries/%4Beys/Fernet?field=username')]);
      assert.deepEqual([encoded.status, encoded.body], [200, { value: 'app' }]);
    });

    test('raw HTTP: a missing, wrong, too long or lower-case token is 401 and the unread body is not waited for; the right token passes', async () => {
      for (const authorization of ['', 'Bearer', `Bearer ${token.slice(0, -1)}`, `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, `Bearer ${token}${'x'.repeat(600)}`, `bearer ${token}`, `Basic ${token}`]) {
        // The headers promise a body that never comes: the 401 must come at once, and the agent close the socket.
        const refused = await raw([head('POST', '/encrypt', { authorization, 'content-type': 'application/json', 'content-length': 100 })]);
        assert.deepEqual([refused.status, refused.body.error, refused.closedByAgent], [401, 'UNAUTHORIZED', true], JSON.stringify(authorization.slice(0, 20)));
      }
      const ok = await post('/encrypt', JSON.stringify({ data: 'x' }));
      assert.equal(ok.status, 200);
      assert.equal(typeof ok.body.encrypted_data, 'string');
    });

    test('raw HTTP: a Host other than 127.0.0.1:PORT or localhost:PORT is refused (DNS rebinding); both of those pass', async () => {
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1:${port}.evil.example`]) {
        const refused = await raw([head('GET', '/entries/Keys/Fernet?field=username', { host })]);
        assert.deepEqual([refused.status, refused.body.error], [403, 'BAD_HOST'], host);
      }
      // No Host at all: Node itself refuses the HTTP/1.1 request with 400 before the agent sees it.
      assert.equal((await raw([head('GET', '/entries/Keys/Fernet?field=username', { host: '' })])).status, 400);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
        const ok = await raw([head('GET', '/entries/Keys/Fernet?field=username', { host })]);
        assert.deepEqual([ok.status, ok.body], [200, { value: 'app' }], host);
      }
    });

    test('raw HTTP: bodies must be application/json; a body over 1 MiB is 413, declared or streamed; bad JSON is 400; a body near the limit passes', async () => {
      const body = JSON.stringify({ data: 'x' });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
        const refused = await post('/encrypt', body, { 'content-type': type });
        assert.deepEqual([refused.status, refused.body.error], [415, 'UNSUPPORTED_MEDIA_TYPE'], type);
      }
      assert.equal((await post('/encrypt', body, { 'content-type': 'Application/JSON; charset=utf-8' })).status, 200);

      // Declared too large: refused from the headers alone, without the body being sent.
      const declared = await raw([head('POST', '/encrypt', { 'content-type': 'application/json', 'content-length': 1024 * 1024 + 1 })]);
      assert.deepEqual([declared.status, declared.body.error, declared.closedByAgent], [413, 'BODY_TOO_LARGE', true]);
      // Streamed (chunked, no length): cut once 1 MiB has passed.
      const chunk = Buffer.alloc(256 * 1024, 'a');
      const chunked = (n: number) => `${n.toString(16)}\r\n`;
      const streamed = await raw([head('POST', '/encrypt', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }), ...Array.from({ length: 6 }, () => Buffer.concat([Buffer.from(chunked(chunk.length)), chunk, Buffer.from('\r\n')]))]);
      assert.deepEqual([streamed.status, streamed.body.error, streamed.closedByAgent], [413, 'BODY_TOO_LARGE', true]);
      // Control: a body just under the limit, streamed in chunks, is encrypted.
      const near = JSON.stringify({ data: 'y'.repeat(1024 * 1024 - 20) });
      const parts = [head('POST', '/encrypt', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })];
      for (let i = 0; i < near.length; i += 300_000) parts.push(`${chunked(Math.min(300_000, near.length - i))}${near.slice(i, i + 300_000)}\r\n`);
      parts.push('0\r\n\r\n');
      const nearOk = await raw(parts);
      assert.equal(nearOk.status, 200, JSON.stringify(nearOk.body));

      for (const [text, code] of [['{"data":', 'BAD_JSON'], ['[1,2]', 'BAD_JSON'], ['null', 'BAD_JSON'], ['"data"', 'BAD_JSON'], ['{"data":1}', 'BAD_REQUEST'], ['{"encrypted_data":{}}', 'BAD_REQUEST']] as const) {
        const bad = await post(text.includes('encrypted') ? '/decrypt' : '/encrypt', text);
        assert.deepEqual([bad.status, bad.body.error], [400, code], text);
      }
      const invalidUtf8 = await raw([Buffer.concat([Buffer.from(head('POST', '/encrypt', { 'content-type': 'application/json', 'content-length': 12 })), Buffer.from([0x7b, 0x22, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x20, 0x20])])]);
      assert.deepEqual([invalidUtf8.status, invalidUtf8.body.error], [400, 'BAD_JSON']);
      // JSON nested 400 000 deep (under 1 MiB): parsed without a crash, refused for its shape.
      const deep = await post('/encrypt', `{"data":${'['.repeat(400_000)}${']'.repeat(400_000)}}`);
      assert.deepEqual([deep.status, deep.body.error], [400, 'BAD_REQUEST']);
      // Unknown routes and methods are 404 JSON; entries are read-only.
      for (const [method, target] of [['GET', '/encrypt'], ['PUT', '/entries/Keys/Fernet'], ['DELETE', '/entries/Keys/Fernet'], ['GET', '/']] as const) {
        const none = await raw([head(method, target)]);
        assert.deepEqual([none.status, none.body.error], [404, 'NOT_FOUND'], `${method} ${target}`);
      }
    });

    test('raw HTTP: a body that trickles past 5 s is cut with 408 BODY_TIMEOUT; one sent in two parts a second apart passes', async () => {
      const body = JSON.stringify({ data: 'slow but fine' });
      const [first, second] = [body.slice(0, 8), body.slice(8)];
      const headers = head('POST', '/encrypt', { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      const ok = await raw([headers + first, second], 1000);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const started = Date.now();
      const cut = await raw([headers + first]);
      assert.deepEqual([cut.status, cut.body.error, cut.closedByAgent], [408, 'BODY_TIMEOUT', true]);
      assert.ok(Date.now() - started < 12_000, 'cut by the body deadline, not only by the request timeout');
    });

    test('the agent listens on 127.0.0.1 only: 127.0.0.2 and ::1 are refused (a control connects to 127.0.0.1); there is no --host option', async () => {
      const tryConnect = (host: string) =>
        new Promise<string>((resolve) => {
          const socket = connect(port, host);
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
      assert.equal(await tryConnect('127.0.0.1'), 'connected');
      assert.equal(await tryConnect('127.0.0.2'), 'ECONNREFUSED');
      assert.notEqual(await tryConnect('::1'), 'connected');
      const withHost = await alice.cli(['serve', '--host', '0.0.0.0', '--port', String(port + 1), '--key-entry', 'Keys/Fernet']);
      assert.equal(withHost.code, 2);
      assert.match(withHost.stderr, /unknown option '--host'/);
    });
  });
}
