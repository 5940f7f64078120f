// The baseline of bench/files.ts: a bare node:http server doing the least a file server can do.
// POST /upload pipes the raw body to a file; GET /f/{id} streams that file back.
// Run: PORT=… DATA_DIR=… node --import tsx bench/baseline-server.ts
//
// It matches the durability and read size of Blindvault's folder blob store (fsync before close,
// 256 KiB reads), so the ratio in the bench measures the server, not the disk settings.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const READ_HIGH_WATER_MARK = 256 * 1024;
const ID_PATTERN = /^\/f\/([0-9a-f-]{36})$/;

const port = Number(process.env.PORT);
const dataDir = process.env.DATA_DIR;
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !dataDir) {
  process.stderr.write('baseline-server: set PORT and DATA_DIR\n');
  process.exit(2);
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function upload(req: IncomingMessage, res: ServerResponse, dir: string): Promise<void> {
  const id = randomUUID();
  const file = path.join(dir, id);
  const sink = createWriteStream(file, { flags: 'wx', flush: true });
  try {
    await pipeline(req, sink);
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
  answer(res, 200, { id, size_bytes: sink.bytesWritten });
}

async function download(res: ServerResponse, dir: string, id: string): Promise<void> {
  const file = path.join(dir, id);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    answer(res, 404, { error: 'NOT_FOUND' });
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  const source = createReadStream(file, { highWaterMark: READ_HIGH_WATER_MARK });
  try {
    await pipeline(source, res);
  } catch (error) {
    // A client that read every byte may close before the last write's callback runs: not a failure.
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (!(code === 'ERR_STREAM_PREMATURE_CLOSE' && source.readableEnded && res.writableEnded)) throw error;
  }
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const id = ID_PATTERN.exec(url)?.[1];
  let work: Promise<void>;
  if (req.method === 'GET' && url === '/healthz') work = Promise.resolve(answer(res, 200, { status: 'ok' }));
  else if (req.method === 'POST' && url === '/upload') work = upload(req, res, dataDir);
  else if (req.method === 'GET' && id !== undefined) work = download(res, dataDir, id);
  else work = Promise.resolve(answer(res, 404, { error: 'NOT_FOUND' }));
  work.catch((error: unknown) => {
    process.stderr.write(`baseline-server: ${req.method} ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!res.headersSent) answer(res, 500, { error: 'INTERNAL' });
    else res.destroy();
  });
});

server.requestTimeout = 0;
server.listen(port, '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
