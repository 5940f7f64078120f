// serve: the article seed's Flask app as a local agent. POST /encrypt {"data"} → {"encrypted_data"} and
// POST /decrypt {"encrypted_data"} → {"decrypted_data"} with Fernet (tokens Python's cryptography.fernet opens),
// the key read from a vault entry and held only in this process's memory; GET /entries/PATH reads an entry.
// 127.0.0.1 only; every call needs "Authorization: Bearer TOKEN" (printed at start, or read from --token-file).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Command } from 'commander';
import { fernetDecrypt, fernetEncrypt, isBlindvaultError } from '../../client/index.js';
import { toBase64Url, utf8Bytes } from '../../crypto/encoding.js';
import { bytesEqual, randomBytes } from '../../crypto/nacl.js';
import { parsePositiveInteger } from '../parse-options.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { openVault } from './context.js';
import { EntryReader, fieldValue } from './entry-source.js';
import { readSecretFile } from './secret-file.js';

const MAX_BODY_BYTES = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function serveCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('a local agent on 127.0.0.1: Fernet /encrypt and /decrypt with a key from the vault, and read-only /entries/PATH')
    .option('--port <port>', 'the port on 127.0.0.1', parsePositiveInteger, 8087)
    .requiredOption('--key-entry <entry>', 'the entry whose field holds the Fernet key (32 bytes, url-safe base64)')
    .option('--key-field <field>', 'the field of that entry', 'password')
    .option('--token-file <file>', 'read the bearer token from this file (else one is made and printed)')
    .action(async (options: { port: number; keyEntry: string; keyField: string; tokenFile?: string }) => {
      if (options.port > 65535) throw new UsageError('--port must be at most 65535');
      const access = await openVault(io.env);
      const reader = new EntryReader(access);
      const key = fieldValue(await reader.read(options.keyEntry), options.keyField).trim();
      await fernetEncrypt(key, 'check'); // FERNET_INVALID_KEY now rather than at the first call
      const tokenText = options.tokenFile !== undefined ? await readSecretFile(options.tokenFile, 'token') : toBase64Url(randomBytes(32));
      if (tokenText.length < 16) throw new UsageError('the token must have at least 16 characters');
      const token = utf8Bytes(tokenText);

      const server = createServer((req, res) => {
        void (async () => {
          const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
          if (auth === undefined || !bytesEqual(utf8Bytes(auth), token)) return send(res, 401, { error: 'UNAUTHORIZED' });
          const url = new URL(req.url ?? '/', 'http://127.0.0.1');
          if (req.method === 'POST' && (url.pathname === '/encrypt' || url.pathname === '/decrypt')) {
            const body = await readJson(req);
            if (!body) return send(res, 400, { error: 'BAD_REQUEST', message: 'a JSON object of at most 1 MiB' });
            if (url.pathname === '/encrypt') {
              if (typeof body.data !== 'string') return send(res, 400, { error: 'BAD_REQUEST', message: '"data" must be a string' });
              return send(res, 200, { encrypted_data: await fernetEncrypt(key, body.data) });
            }
            if (typeof body.encrypted_data !== 'string') return send(res, 400, { error: 'BAD_REQUEST', message: '"encrypted_data" must be a string' });
            const plain = await fernetDecrypt(key, body.encrypted_data);
            const text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
            return send(res, 200, { decrypted_data: text });
          }
          if (req.method === 'GET' && url.pathname.startsWith('/entries/')) {
            const path = decodeURIComponent(url.pathname.slice('/entries/'.length));
            const value = await reader.read(path);
            const field = url.searchParams.get('field');
            if (field !== null) return send(res, 200, { value: fieldValue(value, field) });
            return send(res, 200, { path: value.path, secret_id: value.secretId, type: value.type, name: value.name, secret: value.secret });
          }
          req.resume();
          return send(res, 404, { error: 'NOT_FOUND' });
        })().catch((error: unknown) => {
          if (res.headersSent) return res.destroy();
          if (isBlindvaultError(error)) {
            const status = error.code === 'FERNET_INVALID_TOKEN' ? 400 : error.code === 'ENTRY_NOT_FOUND' ? 404 : error.status >= 500 ? 502 : error.status;
            return send(res, status, { error: error.code, message: error.message });
          }
          if (error instanceof TypeError) return send(res, 400, { error: 'BAD_REQUEST', message: 'the plaintext is not UTF-8' });
          return send(res, 500, { error: 'INTERNAL' });
        });
      });
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
      server.maxConnections = 64;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on 127.0.0.1:${options.port}: ${e.code ?? e.message}`)));
        server.listen(options.port, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      printJson(io.stdout, { url: `http://127.0.0.1:${port}`, ...(options.tokenFile === undefined ? { token: tokenText } : {}) });
      printLine(io.stderr, `serving on http://127.0.0.1:${port} (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        io.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    });
}
