// serve: the article seed's Flask app as a local agent. POST /encrypt {"data"} → {"encrypted_data"} and
// POST /decrypt {"encrypted_data"} → {"decrypted_data"} with Fernet (tokens Python's cryptography.fernet opens),
// the key read from a vault entry and held only in this process's memory; GET /entries/PATH reads an entry.
// 127.0.0.1 only; every call needs "Authorization: Bearer TOKEN" (printed at start, or read from --token-file).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Command } from 'commander';
import { fernetDecrypt, fernetEncrypt, isBlindvaultError } from '../../client/index.js';
import { toBase64Url, utf8Bytes } from '../../crypto/encoding.js';
import { randomBytes } from '../../crypto/nacl.js';
import { parsePositiveInteger } from '../parse-options.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { AgentRefusal, checkHost, checkToken, decodedPathAfter, discardUnreadBody, readJsonObject, sendJson } from './agent-http.js';
import { openVault, type VaultAccess } from './context.js';
import { EntryReader, fieldValue } from './entry-source.js';
import { readSecretFile } from './secret-file.js';

interface Agent {
  port: number;
  token: Uint8Array;
  key: string;
  access: VaultAccess;
}

async function answer(agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  checkHost(req, agent.port);
  checkToken(req, agent.token);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/encrypt') {
    const body = await readJsonObject(req);
    if (typeof body.data !== 'string') throw new AgentRefusal(400, 'BAD_REQUEST', '"data" must be a string');
    return sendJson(res, 200, { encrypted_data: await fernetEncrypt(agent.key, body.data) });
  }
  if (req.method === 'POST' && url.pathname === '/decrypt') {
    const body = await readJsonObject(req);
    if (typeof body.encrypted_data !== 'string') throw new AgentRefusal(400, 'BAD_REQUEST', '"encrypted_data" must be a string');
    const plain = await fernetDecrypt(agent.key, body.encrypted_data);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      throw new AgentRefusal(400, 'NOT_UTF8', 'the plaintext is not UTF-8');
    }
    return sendJson(res, 200, { decrypted_data: text });
  }
  if (req.method === 'GET' && url.pathname.startsWith('/entries/')) {
    // A fresh reader per request: the vault's tree is read anew, so entries made or changed since start are seen.
    const value = await new EntryReader(agent.access).read(decodedPathAfter(url.pathname, '/entries/'));
    const field = url.searchParams.get('field');
    if (field !== null) return sendJson(res, 200, { value: fieldValue(value, field) });
    return sendJson(res, 200, { path: value.path, secret_id: value.secretId, type: value.type, name: value.name, secret: value.secret });
  }
  throw new AgentRefusal(404, 'NOT_FOUND', 'POST /encrypt, POST /decrypt and GET /entries/PATH are served', true);
}

async function answerError(req: IncomingMessage, res: ServerResponse, error: unknown): Promise<void> {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof AgentRefusal) {
    if (error.close) await discardUnreadBody(req);
    return sendJson(res, error.status, { error: error.code, message: error.message }, error.close);
  }
  if (isBlindvaultError(error)) {
    const status = error.code === 'FERNET_INVALID_TOKEN' ? 400 : error.code === 'ENTRY_NOT_FOUND' ? 404 : error.status >= 500 ? 502 : error.status;
    return sendJson(res, status, { error: error.code, message: error.message });
  }
  // A bug: nothing of the cause leaves the agent.
  sendJson(res, 500, { error: 'INTERNAL', message: 'an internal error' }, true);
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
      const key = fieldValue(await new EntryReader(access).read(options.keyEntry), options.keyField).trim();
      await fernetEncrypt(key, 'check'); // FERNET_INVALID_KEY now rather than at the first call
      const tokenText = options.tokenFile !== undefined ? await readSecretFile(options.tokenFile, 'token') : toBase64Url(randomBytes(32));
      if (tokenText.length < 16) throw new UsageError('the token must have at least 16 characters');
      const token = utf8Bytes(tokenText);

      const agent: Agent = { port: options.port, token, key, access };
      // Node's own deadlines for the headers and the whole request (a trickled body is cut sooner, agent-http.ts),
      // checked every second rather than every 30 s.
      const server = createServer({ headersTimeout: 5_000, requestTimeout: 15_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 5_000 }, (req, res) => {
        answer(agent, req, res)
          .catch((error: unknown) => answerError(req, res, error))
          .catch(() => res.destroy());
      });
      server.maxConnections = 64;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on 127.0.0.1:${options.port}: ${e.code ?? e.message}`)));
        server.listen(options.port, '127.0.0.1', () => resolve());
      });
      const port = options.port;
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
