// Scale bench (issue 12): many clients against 1 and then 2 server instances on one PostgreSQL and
// one S3 bucket, and file throughput through the S3 store beside the folder store.
//
//   npm run bench:scale                                   200 clients, 60 s per phase, 256 MiB transfers
//   npm run bench:scale -- --seconds 10 --clients 50 --size-mib 32 --rounds 1    a quick run
//   --file-kib 64                                         size of each upload of the mix
//
// Phase 1: one instance; phase 2: two fresh instances on the same database and bucket. Both behind
// the tests' round-robin balancer (test/helpers/round-robin-proxy.ts, in a process of its own), so
// consecutive requests of one client land on different instances and the only change between the
// phases is the instance count. Each client loops over a weighted mix of uploads (POST /upload and
// the tus upload), downloads (bytes checked), vault reads (API-key and password sessions, content
// checked) and vault logins (API key, password), all through the SDK's vault calls. Phase 2 is
// compared with phase 1 (requests/s ratio); every instance's RSS is sampled once a second, and its
// live memory (JS heap and external memory still in use after a forced full GC) about six times, through
// bench/live-heap-probe.mjs, a bench-only preload answering over an IPC channel (--expose-gc). The
// memory verdict is on the live memory: RSS also moves with garbage not yet collected and with pages
// the allocator keeps, so it is printed beside it but a leak shows as growth of what is live.
// Then: one instance on the S3 store and one on the folder store, uploads and downloads of
// --size-mib, alternating, median of --rounds, MiB/s and the ratio.
//
// All clients come from 127.0.0.1, so the per-address throttles (made for many addresses) are raised
// through their documented variables, and the output says which. Errors are counted by kind, never
// retried. Exit 0 when every request succeeded; 1 when any failed or something broke; 2 for bad
// arguments; 130 when interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildServer, forwardOutput, freePort, HOST, interruption, LIVE_HEAP_PROBE_ARGS, liveHeap, ROOT, runBench, spawnServer, type ChildServer, type LiveHeap } from './support.js';
import type { Transport } from '../src/client/transport.js';
import { apiKeyLogin, fetchServerPin, passwordLogin, register, vaultTransport, type ServerPin } from '../src/client/vault/connection.js';
import { createApiKey, type CreatedApiKey } from '../src/client/vault/api-keys.js';
import { createSecret, openPasswordDatastore, readSecret } from '../src/client/vault/objects.js';
import type { VaultSession } from '../src/client/vault-session.js';
import { BlindvaultError } from '../src/protocol/errors.js';
import { THROTTLE_SCOPES } from '../src/server/config.js';
import { e2eUpload, multipartBody } from '../test/helpers/multipart.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres.js';
import { S3_TEST_CREDENTIALS } from '../test/helpers/s3-server.js';

const MIB = 1024 * 1024;
const PASSWORD = 'bench horse battery staple';
/** Users the clients share (each registration costs an Argon2id hash and two scrypt runs). */
const MAX_USERS = 16;
const SETUP_CONCURRENCY = 8;
const INITIAL_FILES = 64;
const BODIES = 8;
/** The default download limit of an upload (FILE_MAX_DOWNLOADS); the bench keeps below it. */
const DOWNLOAD_LIMIT = 1000;
const OP_TIMEOUT_MS = 60_000;
const RSS_SAMPLE_MS = 1000;
/**
 * A forced full GC pauses the instance (a few hundred ms on a loaded machine; printed): so about six
 * times per window, between every 2 s and every 10 s.
 */
const liveSampleMs = (seconds: number) => Math.min(10_000, Math.max(2000, Math.round((seconds * 1000) / 6)));
/** Live memory "flat": an instance's live memory after a full GC grows less than this over the window. */
const LIVE_FLAT_MIB = 16;
const USER_HZ = 100;

/**
 * The per-address limits the bench raises (every client is 127.0.0.1), with their documented
 * variables; in production each of these counts one client's address.
 */
const RAISED: Record<string, string> = {
  FILE_UPLOAD_RATE: '999999999/second',
  FILE_UPLOAD_QUOTA: '1024TiB/second',
  UPLOAD_MAX_PARTIAL_PER_ADDRESS: '1000',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  // Refusals of the bench's own requests (a 404 of a tus PATCH) would otherwise lock every client out.
  FAILED_AUTH_RATE: '999999999/hour',
  ...Object.fromEntries(THROTTLE_SCOPES.map((scope) => [`VAULT_THROTTLE_${scope.toUpperCase()}`, '999999999/second'])),
};

class BenchFailure extends Error {
  override name = 'BenchFailure';
}

// ---------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  seconds: number;
  clients: number;
  fileKiB: number;
  sizeMiB: number;
  rounds: number;
}

function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      clients: { type: 'string' },
      'file-kib': { type: 'string' },
      'size-mib': { type: 'string' },
      rounds: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const whole = (flag: string, text: string | undefined, fallback: number, max: number): number => {
    if (text === undefined) return fallback;
    if (!/^[1-9][0-9]{0,5}$/.test(text) || Number(text) > max) {
      throw new BenchFailure(`--${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
    }
    return Number(text);
  };
  return {
    seconds: whole('seconds', values.seconds, 60, 3600),
    clients: whole('clients', values.clients, 200, 2000),
    fileKiB: whole('file-kib', values['file-kib'], 64, 65536),
    sizeMiB: whole('size-mib', values['size-mib'], 256, 8192),
    rounds: whole('rounds', values.rounds, 3, 20),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes: server instances, s3rver, the balancer

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const children = new Set<{ stop: () => Promise<void> }>();

interface Instance {
  label: string;
  url: string;
  pid: number;
  /** Its live memory after a full GC (bench/live-heap-probe.mjs). */
  live: () => Promise<LiveHeap | undefined>;
  stop: () => Promise<void>;
}

async function stopChild(child: ChildProcess, exited: Promise<void>, running: () => boolean): Promise<void> {
  if (!running()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startInstance(label: string, env: Record<string, string>): Promise<Instance> {
  if (interruption.requested) throw new BenchFailure('interrupted');
  const port = await freePort();
  const metricsPort = await freePort();
  const server: ChildServer = spawnServer(label, [...LIVE_HEAP_PROBE_ARGS, path.join(ROOT, 'dist', 'server', 'main.js')], {
    ...process.env,
    ...S3_TEST_CREDENTIALS,
    ...RAISED,
    ...env,
    HOST,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'warn',
  }, { ipc: true });
  let stopping = false;
  const instance: Instance = {
    label,
    url: `http://${HOST}:${port}`,
    pid: server.pid,
    live: () => liveHeap(server),
    stop: async () => {
      children.delete(instance);
      if (stopping) return;
      stopping = true;
      await stopChild(server.child, server.exited, () => server.exitReason() === undefined);
    },
  };
  children.add(instance);
  void server.exited.then(() => {
    if (!stopping) process.stderr.write(`[${label}] ${server.exitReason() ?? 'exited'}\n`);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitReason() !== undefined) throw new BenchFailure(`${label} ${server.exitReason()}`);
    try {
      const res = await fetch(`${instance.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return instance;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new BenchFailure(`${label} is not ready after 60 s`);
    await sleep(100);
  }
}

/** bench/scale-service.ts in a child process; resolves with the JSON line it prints once it listens. */
interface Service {
  label: string;
  pid: number;
  info: Record<string, string>;
  stop: () => Promise<void>;
}

async function startService(label: string, args: string[]): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'scale-service.ts'), ...args], {
    cwd: ROOT,
    env: process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  forwardOutput(label, child.stderr);
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((running = false), resolve())));
  const entry = { stop: () => stopChild(child, exited, () => running) };
  children.add(entry);
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    void exited.then(() => reject(new BenchFailure(`${label} exited before it listened`)));
  });
  return {
    label,
    pid: child.pid ?? 0,
    info: JSON.parse(line) as Record<string, string>,
    stop: async () => {
      children.delete(entry);
      await entry.stop();
    },
  };
}

async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of a process so far; undefined without /proc. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** CPU seconds so far of each PostgreSQL backend serving the bench's database. */
async function postgresCpu(databaseUrl: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const seconds = cpuSeconds(pid);
      if (seconds !== undefined) cpu.set(pid, seconds);
    }
    return cpu;
  } finally {
    await client.end();
  }
}

/** Backends present at both ends count their difference; those that appeared in between, all they used. */
function postgresCpuBetween(start: Map<number, number>, end: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of end) total += seconds - (start.get(pid) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------
// The clients' world: users, API keys, sessions, files

/**
 * Where the clients send their requests: the current phase's balancer. Sessions made in the setup
 * keep working in the next phase (they live in the database), so the vault transport routes by it.
 */
const route = { base: '', requests: 0 };

/** fetch that counts every HTTP request it makes. */
const countingFetch: typeof fetch = (input, init) => {
  route.requests += 1;
  return fetch(input, init);
};

const routedTransport: Transport = (req) => vaultTransport(route.base, countingFetch)(req);

interface StoredFile {
  id: string;
  body: number;
  downloads: number;
}

interface World {
  pin: ServerPin;
  bodies: Buffer[];
  files: StoredFile[];
  users: Array<{ username: string; session: VaultSession; secretId: string; keyHex: string; title: string }>;
  /** Per client: its API key, the user it belongs to and a logged-in session of it. */
  keys: Array<{ user: number; key: CreatedApiKey; session: VaultSession }>;
}

async function inParallel<T>(count: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        if (interruption.requested) throw new BenchFailure('interrupted');
        const i = next;
        next += 1;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

/** Users with a datastore and a secret, one API key and API-key session per client, and some files. */
async function makeWorld(options: BenchOptions): Promise<World> {
  const transport = routedTransport;
  const pin = await fetchServerPin(transport);
  const tag = randomBytes(4).toString('hex');
  const userCount = Math.min(MAX_USERS, options.clients);
  progress(`setup: ${userCount} users with a datastore and a secret`);
  const users = await inParallel(userCount, SETUP_CONCURRENCY, async (i) => {
    const username = `scale-${i}-${tag}@example.com`;
    await register(transport, pin, username, `scale-${i}-${tag}@mail.example.com`, PASSWORD);
    const session = await passwordLogin(transport, pin, { username, password: PASSWORD, deviceDescription: 'scale bench', deviceFingerprint: randomUUID() });
    const datastore = await openPasswordDatastore(session, true);
    if (!datastore) throw new BenchFailure('no datastore after creating one');
    const title = `secret ${i} ${randomBytes(8).toString('hex')}`;
    const { secretId, keyHex } = await createSecret(session, { website_password_title: title, website_password_password: randomBytes(12).toString('hex') }, randomUUID(), { datastoreId: datastore.id });
    return { username, session, secretId, keyHex, title };
  });
  progress(`setup: ${options.clients} API keys, each logged in`);
  const keys = await inParallel(options.clients, SETUP_CONCURRENCY, async (client) => {
    const user = client % userCount;
    const owner = users[user];
    if (!owner) throw new BenchFailure('no user');
    const key = await createApiKey(owner.session, { title: `client ${client}`, write: false, restrictTo: [] });
    const { session } = await apiKeyLogin(transport, pin.verifyKey, { apiKeyId: key.apiKeyId, privateKeyHex: key.privateKeyHex, secretKeyHex: key.secretKeyHex });
    return { user, key, session };
  });
  const bodies = Array.from({ length: BODIES }, () => randomBytes(options.fileKiB * 1024));
  const world: World = { pin, bodies, files: [], users, keys };
  progress(`setup: ${INITIAL_FILES} files of ${options.fileKiB} KiB`);
  await inParallel(INITIAL_FILES, SETUP_CONCURRENCY, async (i) => {
    world.files.push(await uploadV1(route.base, countingFetch, bodies, i % BODIES));
  });
  return world;
}

// ---------------------------------------------------------------------------------------------
// Operations of the mix. Each throws an OpError (its kind) or another error on failure.

class OpError extends Error {
  override name = 'OpError';
  constructor(readonly kind: string) {
    super(kind);
  }
}

async function httpError(what: string, res: Response): Promise<OpError> {
  const text = await res.text().catch(() => '');
  let code = '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    code = String(body.error ?? body.detail ?? (Array.isArray(body.non_field_errors) ? body.non_field_errors[0] : '') ?? '');
  } catch {
    code = text.slice(0, 60);
  }
  return new OpError(`${what}: HTTP ${res.status}${code ? ` ${code}` : ''}`);
}

async function uploadV1(base: string, fetchImpl: typeof fetch, bodies: Buffer[], body: number): Promise<StoredFile> {
  const { body: form, contentType } = multipartBody(e2eUpload(bodies[body] as Buffer));
  const res = await fetchImpl(`${base}/upload`, { method: 'POST', body: new Uint8Array(form), headers: { 'content-type': contentType }, signal: AbortSignal.timeout(OP_TIMEOUT_MS) });
  if (res.status !== 200) throw await httpError('POST /upload', res);
  const { id } = (await res.json()) as { id?: unknown };
  if (typeof id !== 'string') throw new OpError('POST /upload: no id');
  return { id, body, downloads: 0 };
}

async function uploadTus(base: string, fetchImpl: typeof fetch, bodies: Buffer[], body: number): Promise<StoredFile> {
  const data = bodies[body] as Buffer;
  const signal = AbortSignal.timeout(OP_TIMEOUT_MS);
  const tus = { 'tus-resumable': '1.0.0' };
  const created = await fetchImpl(`${base}/uploads`, { method: 'POST', headers: { ...tus, 'upload-length': String(data.length) }, signal });
  if (created.status !== 201) throw await httpError('POST /uploads', created);
  const { id, upload_token: token } = (await created.json()) as { id?: unknown; upload_token?: unknown };
  if (typeof id !== 'string' || typeof token !== 'string') throw new OpError('POST /uploads: no id or token');
  const patched = await fetchImpl(`${base}/uploads/${id}`, {
    method: 'PATCH',
    headers: { ...tus, authorization: `Bearer ${token}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: new Uint8Array(data),
    signal,
  });
  if (patched.status !== 204) throw await httpError('PATCH /uploads/{id}', patched);
  await patched.arrayBuffer();
  if (patched.headers.get('upload-offset') !== String(data.length)) throw new OpError('PATCH /uploads/{id}: short offset');
  return { id, body, downloads: 0 };
}

async function download(base: string, fetchImpl: typeof fetch, world: World, file: StoredFile): Promise<void> {
  const res = await fetchImpl(`${base}/f/${file.id}/encrypted`, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) });
  if (res.status !== 200) throw await httpError('GET /f/{id}/encrypted', res);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (!bytes.equals(world.bodies[file.body] as Buffer)) throw new OpError('GET /f/{id}/encrypted: other bytes than uploaded');
}

/** A vault failure as a kind: the SDK's catalogue code and the HTTP status, if any. */
function vaultKind(what: string, error: unknown): OpError {
  if (error instanceof OpError) return error;
  if (error instanceof BlindvaultError) {
    const status = error.details?.status;
    const cause = error.details?.cause ?? error.details?.field;
    return new OpError(`${what}: ${error.code}${typeof status === 'number' ? ` (HTTP ${status})` : ''}${typeof cause === 'string' ? ` ${cause.slice(0, 120)}` : ''}`);
  }
  return new OpError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/** An error and its cause (fetch's "fetch failed" says nothing without it). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${(error.cause as NodeJS.ErrnoException).code ?? error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

interface Op {
  name: string;
  weight: number;
  run: (client: number) => Promise<void>;
}

function mixOps(world: World): Op[] {
  const fetchImpl = countingFetch;
  const transport = routedTransport;
  const base = route.base;
  const keySessions = world.keys.map((k) => k.session);
  const userSessions = world.users.map((u) => u.session);
  const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  const addFile = (file: StoredFile) => void world.files.push(file);
  return [
    { name: 'upload, POST /upload', weight: 12, run: async () => addFile(await uploadV1(base, fetchImpl, world.bodies, Math.floor(Math.random() * BODIES))) },
    { name: 'upload, tus (POST + PATCH)', weight: 8, run: async () => addFile(await uploadTus(base, fetchImpl, world.bodies, Math.floor(Math.random() * BODIES))) },
    {
      name: 'download',
      weight: 35,
      run: async () => {
        // A file with downloads left; counted before the request, so concurrent clients keep below the limit.
        let file = pick(world.files);
        for (let tries = 0; file.downloads >= DOWNLOAD_LIMIT && tries < 20; tries += 1) file = pick(world.files);
        if (file.downloads >= DOWNLOAD_LIMIT) throw new OpError('download: no file with downloads left (bench bug)');
        file.downloads += 1;
        await download(base, fetchImpl, world, file);
      },
    },
    {
      name: 'vault read, API-key session',
      weight: 15,
      run: async (client) => {
        const k = world.keys[client] as World['keys'][number];
        const user = world.users[k.user] as World['users'][number];
        let content;
        try {
          content = await readSecret(keySessions[client] as VaultSession, user.secretId, user.keyHex);
        } catch (error) {
          throw vaultKind('vault read (API key)', error);
        }
        if (content.website_password_title !== user.title) throw new OpError('vault read (API key): other content than stored');
      },
    },
    {
      name: 'vault read, password session',
      weight: 15,
      run: async (client) => {
        const user = client % world.users.length;
        let datastore;
        try {
          datastore = await openPasswordDatastore(userSessions[user] as VaultSession, false);
        } catch (error) {
          throw vaultKind('vault read (password session)', error);
        }
        if (!datastore) throw new OpError('vault read (password session): no datastore');
      },
    },
    {
      name: 'vault login, API key',
      weight: 12,
      run: async (client) => {
        const { key } = world.keys[client] as World['keys'][number];
        try {
          await apiKeyLogin(transport, world.pin.verifyKey, { apiKeyId: key.apiKeyId, privateKeyHex: key.privateKeyHex, secretKeyHex: key.secretKeyHex });
        } catch (error) {
          throw vaultKind('vault login (API key)', error);
        }
      },
    },
    {
      name: 'vault login, password',
      weight: 3,
      run: async (client) => {
        const user = world.users[client % world.users.length] as World['users'][number];
        try {
          await passwordLogin(transport, world.pin, { username: user.username, password: PASSWORD, deviceDescription: 'scale bench', deviceFingerprint: randomUUID() });
        } catch (error) {
          throw vaultKind('vault login (password)', error);
        }
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// One phase: warm-up, a window of `seconds`, drain

interface RssSample {
  atSeconds: number;
  kib: number;
}

interface LiveSample {
  atSeconds: number;
  /** JS heap and external memory (Buffers included) in use after a full GC. */
  heapKiB: number;
  externalKiB: number;
  gcMs: number;
}

interface PhaseResult {
  label: string;
  windowSeconds: number;
  requests: number;
  latenciesMs: Map<string, number[]>;
  errors: Map<string, number>;
  rss: Map<string, RssSample[]>;
  /** Live memory per instance, every LIVE_SAMPLE_MS. */
  live: Map<string, LiveSample[]>;
  cpuPercent: Map<string, number | undefined>;
  helpers: string[];
  /** The bench's event-loop delay during the window. */
  loopDelayMs: { p99: number; max: number };
}

/** One phase; `helpers` (balancer, s3rver) get a CPU figure, the instances RSS and CPU. */
async function runPhase(label: string, base: string, instances: Instance[], helpers: Service[], databaseUrl: string, world: World, options: BenchOptions): Promise<PhaseResult> {
  route.base = base;
  const ops = mixOps(world);
  const totalWeight = ops.reduce((sum, op) => sum + op.weight, 0);
  const choose = (): Op => {
    let r = Math.random() * totalWeight;
    for (const op of ops) if ((r -= op.weight) < 0) return op;
    return ops[ops.length - 1] as Op;
  };
  const warmUpMs = Math.min(10, Math.max(2, Math.round(options.seconds / 10))) * 1000;
  progress(`${label}: ${options.clients} clients, ${warmUpMs / 1000} s warm-up, then ${options.seconds} s measured`);
  let phase: 'warm-up' | 'window' | 'done' = 'warm-up';
  const latenciesMs = new Map<string, number[]>(ops.map((op) => [op.name, []]));
  const errors = new Map<string, number>();
  const loops = Array.from({ length: options.clients }, async (_, client) => {
    while (phase !== 'done' && !interruption.requested) {
      const op = choose();
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          op.run(client),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new OpError(`${op.name}: no answer within ${OP_TIMEOUT_MS / 1000} s`)), OP_TIMEOUT_MS);
          }),
        ]);
        if (phase === 'window') latenciesMs.get(op.name)?.push(performance.now() - started);
      } catch (error) {
        // Every failure counts, in the warm-up and the drain too.
        const kind = error instanceof OpError ? error.kind : `${op.name}: ${describeError(error)}`;
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      } finally {
        clearTimeout(timer);
      }
    }
  });

  await sleep(warmUpMs);
  phase = 'window';
  const windowStart = performance.now();
  const requestsStart = route.requests;
  const measured = [...instances, ...helpers];
  const cpuStart = new Map(measured.map((i) => [i.label, cpuSeconds(i.pid)]));
  const benchCpuStart = process.cpuUsage();
  const postgresStart = await postgresCpu(databaseUrl);
  // The load generator's own lag: a blocked event loop would show up as server latency.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const rss = new Map<string, RssSample[]>(instances.map((i) => [i.label, []]));
  const live = new Map<string, LiveSample[]>(instances.map((i) => [i.label, []]));
  const sample = () => {
    const atSeconds = (performance.now() - windowStart) / 1000;
    for (const instance of instances) {
      const kib = rssKiB(instance.pid);
      if (kib !== undefined) rss.get(instance.label)?.push({ atSeconds, kib });
    }
  };
  const sampleLive = async () => {
    const atSeconds = (performance.now() - windowStart) / 1000;
    await Promise.all(
      instances.map(async (instance) => {
        const answer = await instance.live();
        if (answer) live.get(instance.label)?.push({ atSeconds, heapKiB: answer.heapUsedBytes / 1024, externalKiB: answer.externalBytes / 1024, gcMs: answer.gcMs });
      }),
    );
  };
  sample();
  await sampleLive();
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  let liveRunning: Promise<void> | undefined;
  const liveSampler = setInterval(() => void (liveRunning ??= sampleLive().finally(() => (liveRunning = undefined))), liveSampleMs(options.seconds));
  while (!interruption.requested && performance.now() - windowStart < options.seconds * 1000) await sleep(50);
  phase = 'done';
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const requests = route.requests - requestsStart;
  clearInterval(sampler);
  clearInterval(liveSampler);
  sample();
  await liveRunning;
  await sampleLive();
  loopDelay.disable();
  const cpuPercent = new Map(
    measured.map((i) => {
      const start = cpuStart.get(i.label);
      const end = cpuSeconds(i.pid);
      return [i.label, start !== undefined && end !== undefined ? ((end - start) / windowSeconds) * 100 : undefined];
    }),
  );
  const benchCpu = process.cpuUsage(benchCpuStart);
  cpuPercent.set('PostgreSQL (its backends)', (postgresCpuBetween(postgresStart, await postgresCpu(databaseUrl)) / windowSeconds) * 100);
  cpuPercent.set('bench (load generator)', ((benchCpu.user + benchCpu.system) / 1e6 / windowSeconds) * 100);
  await Promise.all(loops);
  if (interruption.requested) throw new BenchFailure('interrupted');
  return { label, windowSeconds, requests, latenciesMs, errors, rss, live, cpuPercent, helpers: helpers.map((h) => h.label), loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } };
}

// ---------------------------------------------------------------------------------------------
// Throughput: the S3 store beside the folder store

function* patternChunks(pattern: Buffer, sizeBytes: number): Generator<Buffer> {
  for (let left = sizeBytes; left > 0; left -= pattern.length) yield left >= pattern.length ? pattern : pattern.subarray(0, left);
}

function patternDigest(pattern: Buffer, sizeBytes: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(pattern, sizeBytes)) hash.update(chunk);
  return hash.digest('hex');
}

/** POST /upload with the body streamed (never whole in memory); answers the id and the seconds. */
async function streamUpload(base: string, pattern: Buffer, sizeBytes: number): Promise<{ id: string; seconds: number }> {
  const boundary = `----scale-bench-${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('e2e', 'true') + field('e2e_salt', randomBytes(16).toString('base64')) + field('e2e_iv', randomBytes(12).toString('base64')) +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${base}/upload`);
  const started = performance.now();
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + sizeBytes + tail.length },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  const sent = pipeline(
    (function* () {
      yield head;
      yield* patternChunks(pattern, sizeBytes);
      yield tail;
    })(),
    req,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  const res = await answered;
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) text += chunk;
  const sendError = await sent;
  const seconds = (performance.now() - started) / 1000;
  if (res.statusCode !== 200 || sendError !== undefined) throw new BenchFailure(`POST /upload of ${sizeBytes / MIB} MiB: HTTP ${String(res.statusCode)} ${text.slice(0, 200)} ${sendError ? String(sendError) : ''}`);
  const { id } = JSON.parse(text) as { id?: unknown };
  if (typeof id !== 'string') throw new BenchFailure('POST /upload answered no id');
  return { id, seconds };
}

async function streamDownload(base: string, id: string, sizeBytes: number, digest: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${base}/f/${id}/encrypted`);
  if (res.status !== 200 || !res.body) throw new BenchFailure(`GET /f/{id}/encrypted: HTTP ${res.status}`);
  const hash = createHash('sha256');
  let received = 0;
  for await (const chunk of res.body) {
    hash.update(chunk);
    received += chunk.byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  if (received !== sizeBytes || hash.digest('hex') !== digest) throw new BenchFailure(`GET /f/{id}/encrypted: ${received} bytes, not the ${sizeBytes} uploaded`);
  return seconds;
}

interface Throughput {
  upMiBs: number;
  downMiBs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function measureStores(stores: Record<'folder' | 's3', Instance>, options: BenchOptions): Promise<Record<'folder' | 's3', Throughput>> {
  const sizeBytes = options.sizeMiB * MIB;
  const pattern = randomBytes(MIB);
  const digest = patternDigest(pattern, sizeBytes);
  const warm = Math.min(16, options.sizeMiB) * MIB;
  const warmDigest = patternDigest(pattern, warm);
  for (const instance of Object.values(stores)) {
    const { id } = await streamUpload(instance.url, pattern, warm);
    await streamDownload(instance.url, id, warm, warmDigest);
  }
  const up = { folder: [] as number[], s3: [] as number[] };
  const down = { folder: [] as number[], s3: [] as number[] };
  for (let round = 1; round <= options.rounds; round += 1) {
    const order = round % 2 === 1 ? (['folder', 's3'] as const) : (['s3', 'folder'] as const);
    progress(`stores, round ${round}/${options.rounds}: upload and download ${options.sizeMiB} MiB (${order.join(', then ')})`);
    for (const kind of order) {
      if (interruption.requested) throw new BenchFailure('interrupted');
      const { id, seconds } = await streamUpload(stores[kind].url, pattern, sizeBytes);
      up[kind].push(seconds);
      down[kind].push(await streamDownload(stores[kind].url, id, sizeBytes, digest));
    }
  }
  const of = (kind: 'folder' | 's3') => ({ upMiBs: options.sizeMiB / median(up[kind]), downMiBs: options.sizeMiB / median(down[kind]) });
  return { folder: of('folder'), s3: of('s3') };
}

// ---------------------------------------------------------------------------------------------
// Report

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`);
const perSecond = (value: number) => `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}/s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)}`;

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    const line = row.map((text, i) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0)));
    process.stdout.write(`${line.join('   ').trimEnd()}\n`);
  }
}

const errorCount = (phase: PhaseResult) => [...phase.errors.values()].reduce((sum, n) => sum + n, 0);
const allLatencies = (phase: PhaseResult) => [...phase.latenciesMs.values()].flat().sort((a, b) => a - b);

function rssAt(samples: RssSample[], fraction: number): RssSample | undefined {
  return samples[Math.min(samples.length - 1, Math.round(fraction * (samples.length - 1)))];
}

function printReport(options: BenchOptions, phases: PhaseResult[], stores: Record<'folder' | 's3', Throughput>): boolean {
  const cpus = os.cpus();
  const out = (text = '') => process.stdout.write(`${text}\n`);
  out();
  out(`Blindvault scale bench  node ${process.version}, ${cpus.length} CPU (${cpus[0]?.model.trim() ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`${options.clients} concurrent clients, ${options.seconds} s measured per phase after a warm-up; uploads of ${options.fileKiB} KiB; PostgreSQL 127.0.0.1 + s3rver (one bucket)`);
  out('Every request goes through the round-robin balancer of test/helpers (its own process); the clients, the balancer,');
  out('s3rver, PostgreSQL and the instances share the machine\'s CPUs.');
  out(`Raised for the bench (all clients are 127.0.0.1; production counts each address): ${Object.entries(RAISED).filter(([k]) => !k.startsWith('VAULT_THROTTLE_')).map(([k, v]) => `${k}=${v}`).join(', ')}, VAULT_THROTTLE_<every scope>=999999999/second.`);
  out();
  const [one, two] = phases;
  const rate = (p: PhaseResult) => p.requests / p.windowSeconds;
  const ops = (p: PhaseResult) => allLatencies(p).length / p.windowSeconds;
  printTable(
    ['phase', 'HTTP requests', 'requests/s', 'operations/s', 'op p50', 'op p99', 'errors', 'result'],
    phases.map((p) => {
      const sorted = allLatencies(p);
      return [p.label, String(p.requests), perSecond(rate(p)), perSecond(ops(p)), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), String(errorCount(p)), errorCount(p) === 0 ? 'PASS' : 'FAIL'];
    }),
  );
  if (one && two) out(`2 instances / 1 instance: requests/s ratio ${(rate(two) / rate(one)).toFixed(2)}, operations/s ratio ${(ops(two) / ops(one)).toFixed(2)}`);
  out();
  const opNames = [...(one?.latenciesMs.keys() ?? [])];
  printTable(
    ['operation (count, p50, p99)', ...phases.map((p) => p.label)],
    opNames.map((name) => [
      name,
      ...phases.map((p) => {
        const sorted = [...(p.latenciesMs.get(name) ?? [])].sort((a, b) => a - b);
        return `${sorted.length}, ${ms(percentile(sorted, 50))}, ${ms(percentile(sorted, 99))}`;
      }),
    ]),
  );
  out();
  for (const p of phases) {
    if (p.errors.size === 0) out(`errors, ${p.label}: none`);
    else for (const [kind, n] of [...p.errors.entries()].sort((a, b) => b[1] - a[1])) out(`errors, ${p.label}: ${n} x ${kind}`);
  }
  out();
  const memoryRows: string[][] = [];
  let flat = true;
  const signed = (kib: number) => (Number.isNaN(kib) ? '-' : `${kib >= 0 ? '+' : ''}${mib(kib)}`);
  const liveKiB = (s: LiveSample) => s.heapKiB + s.externalKiB;
  for (const p of phases) {
    for (const [label, samples] of p.rss) {
      const start = rssAt(samples, 0);
      const end = rssAt(samples, 1);
      const peak = Math.max(...samples.map((s) => s.kib));
      const live = p.live.get(label) ?? [];
      const liveStart = live[0];
      const liveMiddle = live[Math.floor((live.length - 1) / 2)];
      const liveEnd = live[live.length - 1];
      const liveGrowth = liveStart && liveEnd && live.length >= 2 ? liveKiB(liveEnd) - liveKiB(liveStart) : Number.NaN;
      // No answer from the probe is a miss too, never a pass.
      const ok = liveGrowth / 1024 < LIVE_FLAT_MIB;
      flat &&= ok;
      memoryRows.push([
        `${p.label}: ${label}`,
        start ? mib(start.kib) : '-',
        end ? mib(end.kib) : '-',
        mib(peak),
        start && end ? signed(end.kib - start.kib) : '-',
        liveStart ? mib(liveKiB(liveStart)) : '-',
        liveMiddle ? mib(liveKiB(liveMiddle)) : '-',
        liveEnd ? mib(liveKiB(liveEnd)) : '-',
        signed(liveGrowth),
        ok ? 'PASS' : 'MISS',
        live.length > 0 ? ms(Math.max(...live.map((s) => s.gcMs))) : '-',
        p.cpuPercent.get(label) === undefined ? '-' : `${(p.cpuPercent.get(label) as number).toFixed(0)}%`,
      ]);
    }
    for (const other of [...p.helpers, 'PostgreSQL (its backends)', 'bench (load generator)']) {
      const cpu = p.cpuPercent.get(other);
      memoryRows.push([`${p.label}: ${other}`, '', '', '', '', '', '', '', '', '', '', cpu === undefined ? '-' : `${cpu.toFixed(0)}%`]);
    }
  }
  printTable(['memory (MiB) per instance', 'RSS start', 'end', 'peak', 'growth', 'live start', 'middle', 'end', 'growth', `live growth < ${LIVE_FLAT_MIB} MiB`, 'GC pause', 'CPU'], memoryRows);
  out('live: the JS heap and external memory (Buffers included) still in use after a forced full GC (bench/live-heap-probe.mjs, every');
  out(`${liveSampleMs(options.seconds) / 1000} s); the verdict is on it. RSS also holds garbage not yet collected and pages the allocator keeps. GC pause: the`);
  out('longest forced collection. CPU: % of one core during the window.');
  for (const p of phases) out(`bench event-loop delay, ${p.label}: p99 ${ms(p.loopDelayMs.p99)}, max ${ms(p.loopDelayMs.max)} (a client's latency includes it)`);
  for (const p of phases) {
    for (const [label, samples] of p.rss) {
      const tenths = Array.from({ length: 11 }, (_, i) => rssAt(samples, i / 10)).filter((s): s is RssSample => s !== undefined);
      out(`RSS over time, ${p.label}, ${label}: ${tenths.map((s) => `${s.atSeconds.toFixed(0)}s ${mib(s.kib)}`).join(' | ')}`);
      const live = p.live.get(label) ?? [];
      out(`live over time, ${p.label}, ${label}: ${live.length === 0 ? 'no answer from the probe' : live.map((s) => `${s.atSeconds.toFixed(0)}s ${mib(liveKiB(s))}`).join(' | ')}`);
      const last = live[live.length - 1];
      if (last) out(`  at the end: heap ${mib(last.heapKiB)}, external ${mib(last.externalKiB)}`);
    }
  }
  out();
  printTable(
    [`store (${options.sizeMiB} MiB, median of ${options.rounds})`, 'folder', 'S3 (s3rver)', 'S3 / folder'],
    [
      ['upload, POST /upload', `${stores.folder.upMiBs.toFixed(1)} MiB/s`, `${stores.s3.upMiBs.toFixed(1)} MiB/s`, (stores.s3.upMiBs / stores.folder.upMiBs).toFixed(2)],
      ['download, GET /f/{id}/encrypted', `${stores.folder.downMiBs.toFixed(1)} MiB/s`, `${stores.s3.downMiBs.toFixed(1)} MiB/s`, (stores.s3.downMiBs / stores.folder.downMiBs).toFixed(2)],
    ],
  );
  out('(s3rver is a test server on the local disk, in one Node process: the S3 figures say what the store costs on top of it, not what AWS gives.');
  out(' Its LIST walks the bucket\'s folder synchronously, so it slows as the bench stores objects; a tus upload lists up to 4 times.)');
  return phases.every((p) => errorCount(p) === 0) && flat;
}

// ---------------------------------------------------------------------------------------------
// Main

async function run(options: BenchOptions, tempDir: string, database: TestDatabase): Promise<boolean> {
  await buildServer();
  const s3 = await startService('s3rver', ['s3']);
  const blobStore = s3.info.blobStoreUrl as string;
  const shared = (label: string) => ({ DATA_DIR: path.join(tempDir, label), DATABASE_URL: database.url, BLOB_STORE: blobStore });

  progress('phase 1: one instance');
  const a = await startInstance('instance-1', shared('instance-1'));
  let balancer = await startService('balancer', ['balancer', a.url]);
  route.base = balancer.info.url as string;
  const world = await makeWorld(options);
  const one = await runPhase('1 instance', balancer.info.url as string, [a], [balancer, s3], database.url, world, options);
  await balancer.stop();
  await a.stop();

  progress('phase 2: two fresh instances on the same database and bucket');
  const instances = [await startInstance('instance-2a', shared('instance-2a')), await startInstance('instance-2b', shared('instance-2b'))];
  balancer = await startService('balancer', ['balancer', ...instances.map((i) => i.url)]);
  const two = await runPhase('2 instances', balancer.info.url as string, instances, [balancer, s3], database.url, world, options);
  await balancer.stop();
  await Promise.all(instances.map((i) => i.stop()));

  progress('stores: one instance on the folder store, one on the S3 store');
  const folder = await startInstance('folder-store', { DATA_DIR: path.join(tempDir, 'folder-store'), DATABASE_URL: database.url });
  const s3Instance = await startInstance('s3-store', shared('s3-store'));
  const stores = await measureStores({ folder, s3: s3Instance }, options);
  await folder.stop();
  await s3Instance.stop();
  await s3.stop();
  return printReport(options, [one, two], stores);
}

process.exitCode = await runBench({
  tempPrefix: 'blindvault-scale-bench-',
  readOptions,
  run: async (options, tempDir) => {
    const database = await createTestDatabase();
    try {
      progress(`fresh PostgreSQL database ${new URL(database.url).pathname.slice(1)}`);
      return await run(options, tempDir, database);
    } finally {
      // The instances hold connections to it: stopped first, so the drop goes through.
      await stopAll();
      await database.drop().catch(() => undefined);
    }
  },
  stop: stopAll,
});
process.exit();
