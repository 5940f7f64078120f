// Files bench: upload and download throughput of Blindvault's e2e file API (POST /upload, and the
// resumable v2 upload: POST /uploads then tus PATCHes), and the server's memory during a multi-GiB
// upload and download, each beside a bare node:http baseline from the same run.
//
//   npm run bench                                     1 GiB throughput, 4 GiB memory run
//   npm run bench -- --size-mib 64 --rss-size-mib 256 --rounds 1   a quick smoke run
//   --chunk-mib 64                                    PATCH size of the resumable upload (MiB)
//
// Both servers run as child processes on 127.0.0.1 (their RSS is read from /proc/<pid>/status);
// this process only generates load. The body is 1 MiB of random bytes repeated, never held whole.
// Exit 0 whether targets are met or missed; exit 1 when something fails (a non-2xx answer, wrong
// bytes back, a server that dies).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { buildServer, freePort, HOST, interruption, ROOT, runBench, spawnServer } from './support.js';

const MIB = 1024 * 1024;
const PATTERN_BYTES = MIB;
const WARM_UP_MIB = 16;
const RSS_POLL_MS = 50;
const TARGET_RATIO = 0.85;
// Issue 9: the v2 upload through the server beside the bare Node pipe.
const TARGET_RESUMABLE_RATIO = 0.9;
const TARGET_RSS_GROWTH_MIB = 64;
// One connection per request: no idle keep-alive socket outlives a measurement.
const agent = new Agent({ keepAlive: false });

class BenchFailure extends Error {
  override name = 'BenchFailure';
}

// ---------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  sizeMiB: number;
  rssSizeMiB: number;
  rounds: number;
  chunkMiB: number;
}

function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: { 'size-mib': { type: 'string' }, 'rss-size-mib': { type: 'string' }, rounds: { type: 'string' }, 'chunk-mib': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const mib = (flag: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    if (!/^[1-9][0-9]{0,6}$/.test(text)) throw new BenchFailure(`--${flag}: expected a whole number of MiB, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  return {
    sizeMiB: mib('size-mib', values['size-mib'], 1024),
    rssSizeMiB: mib('rss-size-mib', values['rss-size-mib'], 4096),
    rounds: mib('rounds', values.rounds, 3),
    chunkMiB: mib('chunk-mib', values['chunk-mib'], 64),
  };
}

// ---------------------------------------------------------------------------------------------
// The ciphertext: byte i of every body is pattern[i % pattern.length].

interface Ciphertext {
  pattern: Buffer;
  boundary: string;
}

function makeCiphertext(): Ciphertext {
  for (;;) {
    const pattern = randomBytes(PATTERN_BYTES);
    const boundary = `----blindvault-bench-${randomBytes(16).toString('hex')}`;
    // The pattern repeats, so also look across the seam between two copies.
    if (!Buffer.concat([pattern, pattern]).includes(`\r\n--${boundary}`)) return { pattern, boundary };
  }
}

function* ciphertextChunks(pattern: Buffer, sizeBytes: number): Generator<Buffer> {
  let left = sizeBytes;
  while (left > 0) {
    const n = Math.min(left, pattern.length);
    yield n === pattern.length ? pattern : pattern.subarray(0, n);
    left -= n;
  }
}

/** True when `chunk`, found at `offset` of a body, holds the bytes the pattern puts there. */
function matchesPattern(chunk: Buffer, offset: number, pattern: Buffer): boolean {
  let at = 0;
  while (at < chunk.length) {
    const from = (offset + at) % pattern.length;
    const n = Math.min(chunk.length - at, pattern.length - from);
    if (chunk.compare(pattern, from, from + n, at, at + n) !== 0) return false;
    at += n;
  }
  return true;
}

interface UploadBody {
  headers: OutgoingHttpHeaders;
  chunks: () => Iterable<Buffer>;
}

/** Blindvault's POST /upload: e2e=true, e2e_salt, e2e_iv, then the file part, framed by hand. */
function multipartBody({ pattern, boundary }: Ciphertext, sizeBytes: number): UploadBody {
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('e2e', 'true') +
      field('e2e_salt', randomBytes(16).toString('base64')) +
      field('e2e_iv', randomBytes(12).toString('base64')) +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ciphertext.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + sizeBytes + tail.length,
    },
    chunks: function* () {
      yield head;
      yield* ciphertextChunks(pattern, sizeBytes);
      yield tail;
    },
  };
}

/** The baseline's POST /upload: the ciphertext as the raw body. */
function rawBody({ pattern }: Ciphertext, sizeBytes: number): UploadBody {
  return {
    headers: { 'content-type': 'application/octet-stream', 'content-length': sizeBytes },
    chunks: () => ciphertextChunks(pattern, sizeBytes),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP client

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

async function readText(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

async function get(port: number, urlPath: string): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: HOST, port, path: urlPath, method: 'GET', agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Sends a streamed body; resolves with the answer once the body is sent and the answer read. */
async function post(port: number, urlPath: string, body: UploadBody, method = 'POST'): Promise<Answer> {
  const req = request({ host: HOST, port, path: urlPath, method, headers: body.headers, agent });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // Settles to the send error (if any), so an early answer (413 …) is what gets reported.
  const sent = pipeline(body.chunks(), req).then(
    () => undefined,
    (error: unknown) => error,
  );
  let res: IncomingMessage;
  try {
    res = await answered;
  } catch (error) {
    await sent;
    throw error;
  }
  const text = await readText(res);
  const sendError = await sent;
  const status = res.statusCode ?? 0;
  if (sendError !== undefined && status >= 200 && status < 300) throw sendError;
  return { status, headers: res.headers, text };
}

function describeAnswer(what: string, answer: { status: number; text: string }): string {
  return `${what}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`;
}

// ---------------------------------------------------------------------------------------------
// Server processes

interface ServerSpec {
  label: string;
  args: string[];
  env: Record<string, string>;
  uploadBody: (ciphertext: Ciphertext, sizeBytes: number) => UploadBody;
  downloadPath: (id: string) => string;
}

interface RunningServer {
  spec: ServerSpec;
  port: number;
  pid: number;
  stop: () => Promise<void>;
}

const running = new Set<RunningServer>();

async function startServer(spec: ServerSpec, dataDir: string): Promise<RunningServer> {
  if (interruption.requested) throw new BenchFailure('interrupted');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const { child, exited, exitReason } = spawnServer(spec.label, spec.args, { ...process.env, ...spec.env, PORT: String(port), DATA_DIR: dataDir });
  let stopping = false;
  const server: RunningServer = {
    spec,
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      running.delete(server);
      if (stopping) return;
      stopping = true;
      if (exitReason() === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  running.add(server);
  // Unexpected deaths surface as failed requests; this names the cause.
  void exited.then(() => {
    if (!stopping) process.stderr.write(`[${spec.label}] ${exitReason() ?? 'exited'}\n`);
  });

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exitReason() !== undefined) throw new BenchFailure(`${spec.label} server ${exitReason()}`);
    try {
      const res = await get(port, '/healthz');
      const text = await readText(res);
      if (res.statusCode === 200) return server;
      if (Date.now() > deadline) throw new BenchFailure(describeAnswer(`${spec.label} GET /healthz`, { status: res.statusCode ?? 0, text }));
    } catch (error) {
      if (error instanceof BenchFailure) throw error;
      if (Date.now() > deadline) throw new BenchFailure(`${spec.label} server does not answer GET /healthz: ${String(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Uploaded {
  id: string;
  sizeBytes: number;
  seconds: number;
}

async function upload(server: RunningServer, ciphertext: Ciphertext, sizeBytes: number): Promise<Uploaded> {
  const what = `${server.spec.label} POST /upload (${sizeBytes / MIB} MiB)`;
  const started = performance.now();
  const answer = await post(server.port, '/upload', server.spec.uploadBody(ciphertext, sizeBytes));
  const seconds = (performance.now() - started) / 1000;
  if (answer.status < 200 || answer.status >= 300) throw new BenchFailure(describeAnswer(what, answer));
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new BenchFailure(describeAnswer(`${what} answered no JSON`, answer));
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const { id, size_bytes: stored } = fields;
  if (typeof id !== 'string' || id === '') throw new BenchFailure(describeAnswer(`${what} answered no id`, answer));
  if (stored !== sizeBytes) throw new BenchFailure(describeAnswer(`${what} stored ${String(stored)} bytes`, answer));
  return { id, sizeBytes, seconds };
}

/**
 * The resumable v2 upload of docs/uploads.md, as the SDK makes it: POST /uploads, then PATCHes of
 * `chunkBytes` (a whole number of MiB, so every chunk starts at the pattern's start).
 */
async function uploadResumable(server: RunningServer, ciphertext: Ciphertext, sizeBytes: number, chunkBytes: number): Promise<Uploaded> {
  const what = `${server.spec.label} resumable upload (${sizeBytes / MIB} MiB)`;
  const tus = { 'tus-resumable': '1.0.0' };
  const started = performance.now();
  const created = await post(server.port, '/uploads', { headers: { ...tus, 'upload-length': sizeBytes }, chunks: () => [] });
  if (created.status !== 201) throw new BenchFailure(describeAnswer(`${what}: POST /uploads`, created));
  const { id, upload_token: token } = JSON.parse(created.text) as { id?: unknown; upload_token?: unknown };
  if (typeof id !== 'string' || typeof token !== 'string') throw new BenchFailure(describeAnswer(`${what}: POST /uploads answered no id or token`, created));
  for (let offset = 0; offset < sizeBytes; offset += chunkBytes) {
    const n = Math.min(chunkBytes, sizeBytes - offset);
    const headers = { ...tus, authorization: `Bearer ${token}`, 'upload-offset': offset, 'content-type': 'application/offset+octet-stream', 'content-length': n };
    const answer = await post(server.port, `/uploads/${id}`, { headers, chunks: () => ciphertextChunks(ciphertext.pattern, n) }, 'PATCH');
    if (answer.status !== 204 || answer.headers['upload-offset'] !== String(offset + n)) throw new BenchFailure(describeAnswer(`${what}: PATCH at ${offset}`, answer));
  }
  return { id, sizeBytes, seconds: (performance.now() - started) / 1000 };
}

/** Reads the file back, checks length and bytes, and discards them. Returns seconds taken. */
async function download(server: RunningServer, ciphertext: Ciphertext, file: Uploaded): Promise<number> {
  const urlPath = server.spec.downloadPath(file.id);
  const what = `${server.spec.label} GET ${urlPath}`;
  const started = performance.now();
  const res = await get(server.port, urlPath);
  if (res.statusCode !== 200) throw new BenchFailure(describeAnswer(what, { status: res.statusCode ?? 0, text: await readText(res) }));
  if (res.headers['content-length'] !== String(file.sizeBytes)) {
    res.destroy();
    throw new BenchFailure(`${what}: Content-Length ${String(res.headers['content-length'])}, expected ${file.sizeBytes}`);
  }
  let received = 0;
  let intact = true;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (intact && !matchesPattern(chunk, received, ciphertext.pattern)) intact = false;
    received += chunk.length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (received !== file.sizeBytes) throw new BenchFailure(`${what}: received ${received} bytes, expected ${file.sizeBytes}`);
  if (!intact) throw new BenchFailure(`${what}: the bytes differ from those uploaded`);
  return seconds;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match?.[1]) throw new BenchFailure(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]);
}

interface RssGrowth {
  beforeMiB: number;
  peakMiB: number;
  growthMiB: number;
}

/** Peak RSS of `pid` while `work` runs, against its RSS just before: VmHWM (reset first) and a 50 ms poll. */
async function measureRss<T>(pid: number, work: () => Promise<T>): Promise<RssGrowth> {
  let hwmReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS (Linux ≥ 4.0)
  } catch {
    hwmReset = false;
  }
  const beforeKiB = statusKiB(pid, 'VmRSS');
  let peakKiB = beforeKiB;
  const poll = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, statusKiB(pid, 'VmRSS'));
    } catch {
      // the process is gone; the work fails and says why
    }
  }, RSS_POLL_MS);
  try {
    await work();
  } finally {
    clearInterval(poll);
  }
  peakKiB = Math.max(peakKiB, statusKiB(pid, 'VmRSS'));
  if (hwmReset) peakKiB = Math.max(peakKiB, statusKiB(pid, 'VmHWM'));
  return { beforeMiB: beforeKiB / 1024, peakMiB: peakKiB / 1024, growthMiB: (peakKiB - beforeKiB) / 1024 };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  metric: string;
  baseline: string;
  ours: string;
  ratio: string;
  target: string;
  result: 'PASS' | 'MISS';
}

function printTable(rows: Row[]): void {
  const head: Row = { metric: '', baseline: 'baseline', ours: 'blindvault', ratio: 'ours/base', target: 'target', result: 'PASS' };
  const columns = ['metric', 'baseline', 'ours', 'ratio', 'target', 'result'] as const;
  const cell = (row: Row, column: (typeof columns)[number]) => (row === head && column === 'result' ? 'result' : row[column]);
  const widths = columns.map((column) => Math.max(...[head, ...rows].map((row) => cell(row, column).length)));
  for (const row of [head, ...rows]) {
    const line = columns.map((column, i) => {
      const text = cell(row, column);
      const width = widths[i] ?? 0;
      return column === 'metric' || column === 'result' ? text.padEnd(width) : text.padStart(width);
    });
    process.stdout.write(`${line.join('   ').trimEnd()}\n`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const mibPerSecond = (sizeBytes: number, seconds: number) => sizeBytes / MIB / seconds;

function throughputRow(metric: string, sizeBytes: number, baselineSeconds: number, oursSeconds: number, target = TARGET_RATIO): Row {
  const base = mibPerSecond(sizeBytes, baselineSeconds);
  const ours = mibPerSecond(sizeBytes, oursSeconds);
  const ratio = ours / base;
  return {
    metric,
    baseline: `${base.toFixed(1)} MiB/s`,
    ours: `${ours.toFixed(1)} MiB/s`,
    ratio: ratio.toFixed(2),
    target: `>= ${target.toFixed(2)}`,
    result: ratio >= target ? 'PASS' : 'MISS',
  };
}

function rssRow(metric: string, base: RssGrowth, ours: RssGrowth): Row {
  return {
    metric,
    baseline: `${base.growthMiB.toFixed(1)} MiB`,
    ours: `${ours.growthMiB.toFixed(1)} MiB`,
    ratio: '-',
    target: `< ${TARGET_RSS_GROWTH_MIB} MiB`,
    result: ours.growthMiB < TARGET_RSS_GROWTH_MIB ? 'PASS' : 'MISS',
  };
}

// ---------------------------------------------------------------------------------------------
// Main

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

function serverSpecs(chunkMiB: number): { baseline: ServerSpec; ours: ServerSpec } {
  return {
    baseline: {
      label: 'baseline',
      args: ['--import', 'tsx', path.join(ROOT, 'bench', 'baseline-server.ts')],
      env: {},
      uploadBody: rawBody,
      downloadPath: (id) => `/f/${encodeURIComponent(id)}`,
    },
    ours: {
      label: 'blindvault',
      args: [path.join(ROOT, 'dist', 'server', 'main.js')],
      env: { HOST, MAX_UPLOAD_BYTES: '5GiB', UPLOAD_MAX_CHUNK_BYTES: `${chunkMiB}MiB`, LOG_LEVEL: 'warn' },
      uploadBody: multipartBody,
      downloadPath: (id) => `/f/${encodeURIComponent(id)}/encrypted`,
    },
  };
}

async function run(options: BenchOptions, tempDir: string): Promise<void> {
  await buildServer();
  const specs = serverSpecs(options.chunkMiB);
  const ciphertext = makeCiphertext();
  const sizeBytes = options.sizeMiB * MIB;
  const rssSizeBytes = options.rssSizeMiB * MIB;
  const warmUpBytes = Math.min(WARM_UP_MIB, options.sizeMiB) * MIB;
  const rows: Row[] = [];

  // 1 and 2: throughput. Same servers for both; warm-up first; baseline then ours each time.
  let baseline = await startServer(specs.baseline, path.join(tempDir, 'baseline-throughput'));
  let ours = await startServer(specs.ours, path.join(tempDir, 'blindvault-throughput'));
  progress(`warm-up: ${warmUpBytes / MIB} MiB up and down`);
  const warm = { baseline: await upload(baseline, ciphertext, warmUpBytes), ours: await upload(ours, ciphertext, warmUpBytes) };
  await download(baseline, ciphertext, warm.baseline);
  await download(ours, ciphertext, warm.ours);

  // Rounds alternate which server goes first, and the median of each side is compared, so that a
  // burst of load from elsewhere on the machine skews one round, not the result.
  const chunkBytes = options.chunkMiB * MIB;
  await download(ours, ciphertext, await uploadResumable(ours, ciphertext, warmUpBytes, chunkBytes));
  const upSeconds = { baseline: [] as number[], ours: [] as number[] };
  const downSeconds = { baseline: [] as number[], ours: [] as number[] };
  const resumableSeconds: number[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    const order = round % 2 === 1 ? (['baseline', 'ours', 'resumable'] as const) : (['resumable', 'ours', 'baseline'] as const);
    progress(`round ${round}/${options.rounds}: upload and download ${options.sizeMiB} MiB (${order.join(', then ')})`);
    for (const side of order) {
      if (side === 'resumable') {
        const stored = await uploadResumable(ours, ciphertext, sizeBytes, chunkBytes);
        resumableSeconds.push(stored.seconds);
        await download(ours, ciphertext, stored);
        continue;
      }
      const server = side === 'baseline' ? baseline : ours;
      const stored = await upload(server, ciphertext, sizeBytes);
      upSeconds[side].push(stored.seconds);
      downSeconds[side].push(await download(server, ciphertext, stored));
    }
  }
  rows.push(throughputRow(`upload ${options.sizeMiB} MiB (median of ${options.rounds})`, sizeBytes, median(upSeconds.baseline), median(upSeconds.ours)));
  rows.push(
    throughputRow(
      `v2 resumable upload ${options.sizeMiB} MiB, ${options.chunkMiB} MiB PATCHes (median of ${options.rounds})`,
      sizeBytes,
      median(upSeconds.baseline),
      median(resumableSeconds),
      TARGET_RESUMABLE_RATIO,
    ),
  );
  rows.push(throughputRow(`download ${options.sizeMiB} MiB (median of ${options.rounds})`, sizeBytes, median(downSeconds.baseline), median(downSeconds.ours)));
  await baseline.stop();
  await ours.stop();

  // 3: memory. Fresh processes, so earlier runs do not pre-grow the heap; one small warm-up each.
  baseline = await startServer(specs.baseline, path.join(tempDir, 'baseline-rss'));
  ours = await startServer(specs.ours, path.join(tempDir, 'blindvault-rss'));
  progress(`RSS: warm-up ${warmUpBytes / MIB} MiB, then upload and download ${options.rssSizeMiB} MiB`);
  await upload(baseline, ciphertext, warmUpBytes);
  await upload(ours, ciphertext, warmUpBytes);
  const stored: Partial<Record<'baseline' | 'ours', Uploaded>> = {};
  const rssUp = {
    baseline: await measureRss(baseline.pid, async () => (stored.baseline = await upload(baseline, ciphertext, rssSizeBytes))),
    ours: await measureRss(ours.pid, async () => (stored.ours = await upload(ours, ciphertext, rssSizeBytes))),
  };
  rows.push(rssRow(`RSS growth, upload ${options.rssSizeMiB} MiB`, rssUp.baseline, rssUp.ours));
  const storedBaseline = stored.baseline;
  const storedOurs = stored.ours;
  if (!storedBaseline || !storedOurs) throw new BenchFailure('an upload of the memory run left no file');
  const rssDown = {
    baseline: await measureRss(baseline.pid, () => download(baseline, ciphertext, storedBaseline)),
    ours: await measureRss(ours.pid, () => download(ours, ciphertext, storedOurs)),
  };
  rows.push(rssRow(`RSS growth, download ${options.rssSizeMiB} MiB`, rssDown.baseline, rssDown.ours));
  const rssResumable = await measureRss(ours.pid, () => uploadResumable(ours, ciphertext, rssSizeBytes, chunkBytes));
  rows.push(rssRow(`RSS growth, v2 resumable upload ${options.rssSizeMiB} MiB`, rssUp.baseline, rssResumable));
  await baseline.stop();
  await ours.stop();

  const cpus = os.cpus();
  process.stdout.write(
    `\nBlindvault files bench  node ${process.version}, ${cpus.length} CPU (${cpus[0]?.model.trim() ?? 'unknown'}), data in ${os.tmpdir()}\n` +
      'baseline: bare node:http server piping the body to a file (fsync on close) and back with fs.createReadStream\n\n',
  );
  printTable(rows);
  const fmt = (r: RssGrowth) => `${r.beforeMiB.toFixed(1)} -> ${r.peakMiB.toFixed(1)} MiB`;
  process.stdout.write(
    `\nRSS before -> peak: upload   baseline ${fmt(rssUp.baseline)}, blindvault ${fmt(rssUp.ours)}\n` +
      `                    download baseline ${fmt(rssDown.baseline)}, blindvault ${fmt(rssDown.ours)}\n` +
      `                    v2 resumable upload (baseline: its plain upload) blindvault ${fmt(rssResumable)}\n`,
  );
}

process.exitCode = await runBench({ tempPrefix: 'blindvault-bench-', readOptions, run, stop: stopAll });
process.exit();
