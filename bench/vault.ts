// Vault bench: full password logins per second, transport-encrypted authenticated requests per
// second, API-key logins per second and transport-encrypted secret reads by API-key sessions per
// second of one Blindvault server, each beside a plain unauthenticated route of the same server,
// measured in the same run at the same concurrency; then authorized secret reads through a share
// nested 1 and 8 deep side by side (their ratio), the same read through a group's right beside a
// direct right (their ratio), and the SQL statements one such read costs.
//
//   npm run bench:vault                        10 s per measurement, 50 concurrent clients
//   npm run bench:vault -- --seconds 5         a quicker run
//
// The server runs as a child process on 127.0.0.1 with every vault throttle raised; this process
// is the load generator and drives the real SDK (VaultClient / VaultSession over fetchTransport).
// Client and server share the machine's CPUs: a login costs the server one Argon2id verify and this
// process two scrypt derivations, so the client's share of the CPU is part of what is measured.
// Each measurement: a warm-up (bounded in count and time), then a fixed window in which completed
// operations are counted (and their latencies kept), then the in-flight operations are drained.
// Exit 0 when every measurement ran; exit 1 when something fails (a non-2xx answer, an exception,
// a server that dies); 2 for bad arguments; 130 when interrupted.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer, freePort, HOST, interruption, ROOT, runBench, spawnServer } from './support.js';
import { buildGroupShareTree, buildShareTree, countStatementsPerRead, DEEP } from './vault-shares.js';
import { fetchTransport, type Transport } from '../src/client/transport.js';
import { loginWithApiKey, VaultClient, type ApiKeyCredentials, type LoginOptions, type VaultSession } from '../src/client/vault-session.js';
import { toHex } from '../src/crypto/encoding.js';
import { signKeyPairFromSeed } from '../src/crypto/nacl.js';

const PASSWORD = 'bench horse battery staple';
const THROTTLE_SCOPES = [
  'ANON', 'USER', 'INFO', 'PRELOGIN', 'LOGIN', 'REGISTRATION', 'STATUS_CHECK', 'API_KEY_LOGIN', 'API_KEY_ACCESS',
] as const;
const UNTHROTTLED = '999999999/second';
/** Warm-up: at least this long and at least one completed operation per client, at most WARM_UP_MAX_MS. */
const WARM_UP_MIN_MS = 1000;
const WARM_UP_MAX_MS = 30_000;
/** The window also closes early once this many operations completed in it. */
const MAX_WINDOW_OPS = 2_000_000;
/** One operation taking longer than this fails the run (and so bounds the drain too). */
const OP_TIMEOUT_MS = 60_000;
const POLL_MS = 20;
const REGISTER_CONCURRENCY = 8;
/** /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 per second on Linux. */
const USER_HZ = 100;

class BenchFailure extends Error {
  override name = 'BenchFailure';
}

// ---------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  seconds: number;
  clients: number;
}

function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: { seconds: { type: 'string' }, clients: { type: 'string' } },
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
  return { seconds: whole('seconds', values.seconds, 10, 3600), clients: whole('clients', values.clients, 50, 1000) };
}

// ---------------------------------------------------------------------------------------------
// The server process

interface RunningServer {
  pid: number;
  baseUrl: string;
  stop: () => Promise<void>;
}

let server: RunningServer | undefined;

async function startServer(dataDir: string): Promise<RunningServer> {
  if (interruption.requested) throw new BenchFailure('interrupted');
  const port = await freePort();
  const throttles = Object.fromEntries(THROTTLE_SCOPES.map((scope) => [`VAULT_THROTTLE_${scope}`, UNTHROTTLED]));
  // Every client of the bench comes from 127.0.0.1: the per-address socket cap (64 by default) would
  // close the sockets of 50 clients' keep-alive pools, so it is off here, as behind a proxy.
  const { child, exited, exitReason } = spawnServer('blindvault', [path.join(ROOT, 'dist', 'server', 'main.js')], {
    ...process.env, ...throttles, DATA_DIR: dataDir, PORT: String(port), HOST, LOG_LEVEL: 'warn', MAX_CONNECTIONS_PER_ADDRESS: '0',
  });
  let stopping = false;
  const running: RunningServer = {
    pid: child.pid ?? 0,
    baseUrl: `http://${HOST}:${port}`,
    stop: async () => {
      if (stopping) return;
      stopping = true;
      if (exitReason() === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  // Unexpected deaths surface as failed requests; this names the cause.
  void exited.then(() => {
    if (!stopping) process.stderr.write(`[blindvault] ${exitReason() ?? 'exited'}\n`);
  });

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exitReason() !== undefined) throw new BenchFailure(`the server ${exitReason()}`);
    try {
      const res = await fetch(`${running.baseUrl}/healthz`);
      const text = await res.text();
      if (res.status === 200) return running;
      if (Date.now() > deadline) throw new BenchFailure(`GET /healthz: HTTP ${res.status} ${text.slice(0, 300)}`);
    } catch (error) {
      if (error instanceof BenchFailure) throw error;
      if (Date.now() > deadline) throw new BenchFailure(`the server does not answer GET /healthz: ${String(error)}`);
    }
    await sleep(100);
  }
}

/** CPU seconds (user + system) the process has used so far; undefined without /proc. */
function serverCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

function clientCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Measurement {
  label: string;
  completed: number;
  windowSeconds: number;
  latenciesMs: number[];
  serverCpuPercent: number | undefined;
  clientCpuPercent: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchFailure(`${what}: no answer within ${OP_TIMEOUT_MS / 1000} s`)), OP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `op` in `clients` concurrent loops: warm-up, then a window of `seconds` in which completed
 * operations are counted, then waits for the operations still in flight (they are not counted).
 */
async function measure(label: string, options: BenchOptions, op: (client: number) => Promise<void>): Promise<Measurement> {
  const { clients, seconds } = options;
  progress(`${label}: warm-up, then ${seconds} s with ${clients} concurrent clients`);
  let phase: 'warm-up' | 'window' | 'done' = 'warm-up';
  let failure: unknown;
  let warmUpCompleted = 0;
  const latenciesMs: number[] = [];

  const loops = Array.from({ length: clients }, async (_, client) => {
    while (phase !== 'done' && failure === undefined && !interruption.requested) {
      const started = performance.now();
      try {
        await withTimeout(op(client), label);
      } catch (error) {
        failure ??= error;
        return;
      }
      const finished = performance.now();
      // Counted when it completes inside the window (even if it began in the warm-up).
      if (phase === 'warm-up') warmUpCompleted += 1;
      else if (phase === 'window') latenciesMs.push(finished - started);
    }
  });

  const stopped = () => failure !== undefined || interruption.requested;
  const warmUpStart = performance.now();
  for (;;) {
    const elapsed = performance.now() - warmUpStart;
    if (stopped() || elapsed >= WARM_UP_MAX_MS || (elapsed >= WARM_UP_MIN_MS && warmUpCompleted >= clients)) break;
    await sleep(POLL_MS);
  }
  phase = 'window';
  const windowStart = performance.now();
  const serverCpuStart = server ? serverCpuSeconds(server.pid) : undefined;
  const clientCpuStart = clientCpuSeconds();
  while (!stopped() && performance.now() - windowStart < seconds * 1000 && latenciesMs.length < MAX_WINDOW_OPS) {
    await sleep(Math.min(POLL_MS, Math.max(1, seconds * 1000 - (performance.now() - windowStart))));
  }
  phase = 'done';
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const serverCpuEnd = server ? serverCpuSeconds(server.pid) : undefined;
  const clientCpuEnd = clientCpuSeconds();
  await Promise.all(loops);
  if (interruption.requested) throw new BenchFailure('interrupted');
  if (failure !== undefined) throw failure;
  if (latenciesMs.length === 0) throw new BenchFailure(`${label}: no operation completed within ${seconds} s; try more --seconds`);
  return {
    label,
    completed: latenciesMs.length,
    windowSeconds,
    latenciesMs,
    serverCpuPercent:
      serverCpuStart !== undefined && serverCpuEnd !== undefined ? ((serverCpuEnd - serverCpuStart) / windowSeconds) * 100 : undefined,
    clientCpuPercent: ((clientCpuEnd - clientCpuStart) / windowSeconds) * 100,
  };
}

/** Runs `work` for 0 … count-1 with at most `limit` at a time. */
async function inParallel<T>(count: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count && !interruption.requested) {
        const i = next;
        next += 1;
        results[i] = await withTimeout(work(i), 'setup');
      }
    }),
  );
  if (interruption.requested) throw new BenchFailure('interrupted');
  return results;
}

const describe = (what: string, status: number, body: unknown) => `${what}: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`;

function plainGet(transport: Transport, urlPath: string): () => Promise<void> {
  return async () => {
    const answer = await transport({ method: 'GET', path: urlPath, headers: {} });
    if (answer.status !== 200) throw new BenchFailure(describe(`GET ${urlPath}`, answer.status, answer.body));
  };
}

/** Random hex standing in for a ciphertext or nonce the server never opens. */
const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

async function created(what: string, work: Promise<{ status: number; body: unknown }>): Promise<Record<string, unknown>> {
  const answer = await work;
  if (answer.status !== 201) throw new BenchFailure(describe(what, answer.status, answer.body));
  return answer.body as Record<string, unknown>;
}

/** An unrestricted read-only API key of the session's user, as test/http/vault-authorization.test.ts makes one. */
async function createApiKey(owner: VaultSession): Promise<ApiKeyCredentials> {
  const ask = randomBytes(32);
  const aks = randomBytes(32);
  const { api_key_id } = await created('PUT /server/api-key/', owner.request('PUT', '/api-key/', {
    title: 'bench', public_key: randomHex(32), private_key: randomHex(80), private_key_nonce: randomHex(24),
    secret_key: randomHex(80), secret_key_nonce: randomHex(24), user_private_key: randomHex(80), user_private_key_nonce: randomHex(24),
    user_secret_key: randomHex(80), user_secret_key_nonce: randomHex(24), verify_key: toHex(signKeyPairFromSeed(ask).publicKey),
    read: true, write: false, restrict_to_secrets: false,
  }));
  if (typeof api_key_id !== 'string') throw new BenchFailure(`PUT /server/api-key/ answered no api_key_id: ${JSON.stringify(api_key_id)}`);
  return { apiKeyId: api_key_id, privateKeyHex: toHex(ask), secretKeyHex: toHex(aks) };
}

async function apiKeyLogin(client: VaultClient, credentials: ApiKeyCredentials): Promise<VaultSession> {
  const { session, key } = await loginWithApiKey(client, credentials);
  if (!key.read || key.write || key.restrictToSecrets) throw new BenchFailure(`API-key login: unexpected key rights ${JSON.stringify(key)}`);
  return session;
}

async function secretRead(session: VaultSession, secretId: string, data: string): Promise<void> {
  const answer = await session.request('GET', `/secret/${secretId}/`);
  if (answer.status !== 200) throw new BenchFailure(describe(`GET /server/secret/${secretId}/`, answer.status, answer.body));
  if (!answer.encrypted) throw new BenchFailure('GET /server/secret/<id>/ answered 200 without encrypting the answer');
  if ((answer.body as { data?: unknown } | null)?.data !== data) throw new BenchFailure('GET /server/secret/<id>/ answered other data than stored');
}

async function userStatus(session: VaultSession): Promise<void> {
  const answer = await session.request('GET', '/user/status/');
  if (answer.status !== 200) throw new BenchFailure(describe('GET /server/user/status/', answer.status, answer.body));
  if (!answer.encrypted) throw new BenchFailure('GET /server/user/status/ answered 200 without encrypting the answer');
}

const ALTERNATING_ROUNDS = 3;

/**
 * Two operations measured in alternating rounds (A, B, A, B, …), each round a share of the window, so
 * that load from outside the bench falls on both alike; their ratio is what is compared.
 */
async function measureAlternating(
  labels: [string, string],
  options: BenchOptions,
  ops: [(client: number) => Promise<void>, (client: number) => Promise<void>],
): Promise<[Measurement, Measurement]> {
  const round = { ...options, seconds: Math.max(1, Math.round(options.seconds / ALTERNATING_ROUNDS)) };
  const parts: [Measurement[], Measurement[]] = [[], []];
  for (let r = 0; r < ALTERNATING_ROUNDS; r += 1) {
    parts[0].push(await measure(labels[0], round, ops[0]));
    parts[1].push(await measure(labels[1], round, ops[1]));
  }
  return [combine(labels[0], parts[0]), combine(labels[1], parts[1])];
}

function combine(label: string, parts: Measurement[]): Measurement {
  const windowSeconds = parts.reduce((sum, m) => sum + m.windowSeconds, 0);
  const weighted = (value: (m: Measurement) => number | undefined) =>
    parts.some((m) => value(m) === undefined) ? undefined : parts.reduce((sum, m) => sum + (value(m) as number) * m.windowSeconds, 0) / windowSeconds;
  return {
    label,
    completed: parts.reduce((sum, m) => sum + m.completed, 0),
    windowSeconds,
    latenciesMs: parts.flatMap((m) => m.latenciesMs),
    serverCpuPercent: weighted((m) => m.serverCpuPercent),
    clientCpuPercent: weighted((m) => m.clientCpuPercent) ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const rank = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[rank] ?? Number.NaN;
}

const rateOf = (m: Measurement) => m.completed / m.windowSeconds;
const ms = (value: number) => (value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`);
const rate = (value: number) => (value >= 100 ? `${value.toFixed(0)}/s` : `${value.toFixed(2)}/s`);
const percent = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(0)}%`);

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    const line = row.map((text, i) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0)));
    process.stdout.write(`${line.join('   ').trimEnd()}\n`);
  }
}

function printReport(options: BenchOptions, measurements: Measurement[], ratios: Array<[string, Measurement, Measurement]>): void {
  const cpus = os.cpus();
  process.stdout.write(
    `\nBlindvault vault bench  node ${process.version}, ${cpus.length} CPU (${cpus[0]?.model.trim() ?? 'unknown'}), ` +
      `${options.clients} concurrent clients, ${options.seconds} s window per measurement after a warm-up\n` +
      'Client (this process: SDK, scrypt, NaCl) and server (one child process: Argon2id, SQLite) share the machine,\n' +
      'so the client takes CPU the server would otherwise have. CPU columns: % of one core during the window.\n' +
      'A login is the SDK\'s full client.login(): GET /server/info/ (signature checked), prelogin, login, activate-token.\n' +
      'An API-key login is the SDK\'s loginWithApiKey(): GET /server/info/ (signature checked), POST /api-key/login/ (Ed25519).\n' +
      'A secret read is an API-key session\'s encrypted GET /secret/<id>/ (status 200, answer decrypted, data checked).\n' +
      'Via a share: a password session of a user holding read on the top share, the secret 1 or 8 links below it.\n' +
      'Via a group share: the same, the read on the top share held by a group the user is an accepted member of.\n\n',
  );
  printTable(
    ['measurement', 'completed', 'rate', 'p50', 'p99', 'server CPU', 'bench CPU'],
    measurements.map((m) => {
      const sorted = [...m.latenciesMs].sort((a, b) => a - b);
      return [m.label, String(m.completed), rate(rateOf(m)), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), percent(m.serverCpuPercent), percent(m.clientCpuPercent)];
    }),
  );
  process.stdout.write('\n');
  printTable(
    ['ours / baseline', 'ours', 'baseline', 'ratio'],
    ratios.map(([label, ours, base]) => [label, rate(rateOf(ours)), rate(rateOf(base)), (rateOf(ours) / rateOf(base)).toFixed(4)]),
  );
}

// ---------------------------------------------------------------------------------------------
// Main

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

async function run(options: BenchOptions, tempDir: string): Promise<void> {
  await buildServer();
  server = await startServer(tempDir);
  const { baseUrl } = server;
  const transports = Array.from({ length: options.clients }, () => fetchTransport(baseUrl));
  const vaultClients = transports.map((transport) => new VaultClient(transport));
  const transportOf = (client: number) => transports[client] as Transport;
  const vaultClientOf = (client: number) => vaultClients[client] as VaultClient;

  // Setup (not measured): one user per client.
  const tag = randomBytes(4).toString('hex');
  const usernames = Array.from({ length: options.clients }, (_, i) => `bench-${i}-${tag}@example.com`);
  const usernameOf = (client: number) => usernames[client] as string;
  progress(`registering ${options.clients} users`);
  await inParallel(options.clients, REGISTER_CONCURRENCY, async (i) => {
    const answer = await vaultClientOf(i).register(usernameOf(i), `bench-${i}-${tag}@mail.example.com`, PASSWORD);
    if (answer.status !== 201) throw new BenchFailure(describe(`register ${usernameOf(i)}`, answer.status, answer.body));
  });

  // 1. Password logins beside the plain routes.
  const healthz = await measure('GET /healthz (plain)', options, (client) => plainGet(transportOf(client), '/healthz')());
  const info = await measure('GET /server/info/ (plain)', options, (client) => plainGet(transportOf(client), '/server/info/')());
  const logins = await measure('password login (no device time)', options, async (client) => {
    await vaultClientOf(client).login({ username: usernameOf(client), password: PASSWORD, sendDeviceTime: false });
  });

  // 2. Encrypted authenticated requests: one logged-in session per client, without and with the validator.
  const loginAll = (extra: (client: number) => Partial<LoginOptions>) =>
    inParallel(options.clients, options.clients, (client) =>
      vaultClientOf(client).login({ username: usernameOf(client), password: PASSWORD, ...extra(client) }),
    );
  progress(`logging in ${options.clients} sessions without device time`);
  const plainSessions = await loginAll(() => ({ sendDeviceTime: false }));
  progress(`logging in ${options.clients} sessions with device fingerprint and device time`);
  const validatedSessions = await loginAll(() => ({ sendDeviceTime: true, deviceFingerprint: randomBytes(16).toString('hex') }));
  // Control: these sessions really need the validator (a request without one is refused).
  const first = validatedSessions[0];
  if (first) {
    const bare = await transportOf(0)({ method: 'GET', path: '/server/user/status/', headers: { authorization: `Token ${first.token.reveal()}` } });
    if (bare.status !== 401) throw new BenchFailure(describe('GET /server/user/status/ without Authorization-Validator (expected 401)', bare.status, bare.body));
  }
  const status = await measure('encrypted GET /user/status/', options, (client) => userStatus(plainSessions[client] as VaultSession));
  const statusValidated = await measure('encrypted GET /user/status/ + validator', options, (client) =>
    userStatus(validatedSessions[client] as VaultSession),
  );
  const infoAgain = await measure('GET /server/info/ (plain, again)', options, (client) => plainGet(transportOf(client), '/server/info/')());

  // 3. API-key logins and secret reads by API-key sessions: one user, one unrestricted read-only
  // API key per client, one datastore with one secret.
  progress('registering the API-key owner, its datastore and secret');
  const ownerName = `bench-owner-${tag}@example.com`;
  const ownerRegistered = await vaultClientOf(0).register(ownerName, `bench-owner-${tag}@mail.example.com`, PASSWORD);
  if (ownerRegistered.status !== 201) throw new BenchFailure(describe(`register ${ownerName}`, ownerRegistered.status, ownerRegistered.body));
  const owner = await vaultClientOf(0).login({ username: ownerName, password: PASSWORD, sendDeviceTime: false });
  const { datastore_id: datastoreId } = await created('PUT /server/datastore/', owner.request('PUT', '/datastore/', {
    type: 'password', description: 'Default', secret_key: randomHex(80), secret_key_nonce: randomHex(24),
  }));
  const secretData = randomHex(60);
  const { secret_id: secretId } = await created('PUT /server/secret/', owner.request('PUT', '/secret/', {
    data: secretData, data_nonce: randomHex(24), link_id: randomUUID(), parent_datastore_id: datastoreId,
  }));
  if (typeof secretId !== 'string') throw new BenchFailure(`PUT /server/secret/ answered no secret_id: ${JSON.stringify(secretId)}`);
  progress(`creating ${options.clients} API keys`);
  const apiKeys = await inParallel(options.clients, REGISTER_CONCURRENCY, () => createApiKey(owner));
  const apiKeyOf = (client: number) => apiKeys[client] as ApiKeyCredentials;
  const apiKeyLogins = await measure('API-key login', options, async (client) => {
    await apiKeyLogin(vaultClientOf(client), apiKeyOf(client));
  });
  progress(`logging in ${options.clients} API-key sessions`);
  const apiKeySessions = await inParallel(options.clients, options.clients, (client) => apiKeyLogin(vaultClientOf(client), apiKeyOf(client)));
  const secretReads = await measure('encrypted GET /secret/<id>/ (API key)', options, (client) =>
    secretRead(apiKeySessions[client] as VaultSession, secretId, secretData),
  );
  const infoThird = await measure('GET /server/info/ (plain, third)', options, (client) => plainGet(transportOf(client), '/server/info/')());

  // 4. Authorized secret reads through shares: every bench user holds read on the top share of the
  // owner's tree; the secret hangs 1 and DEEP links below it. Side by side, at the same concurrency.
  progress(`building a share tree ${DEEP} deep, granting read on its top to ${options.clients} users`);
  const tree = await buildShareTree(owner, datastoreId as string, plainSessions);
  const sharedRead = (depth: number) => (client: number) => {
    const { secretId: id, data } = tree.secrets.get(depth) as { secretId: string; data: string };
    return secretRead(plainSessions[client] as VaultSession, id, data);
  };
  const [shallow, deep] = await measureAlternating(
    ['encrypted GET /secret/<id>/ via a share 1 deep', `encrypted GET /secret/<id>/ via a share ${DEEP} deep`],
    options,
    [sharedRead(1), sharedRead(DEEP)],
  );
  // 5. The same read through a group: every bench user is an accepted member of a group holding read
  // on the top share of a second tree, the secret one link below; beside the direct share 1 deep.
  progress(`making a group of ${options.clients} members and sharing a second tree with it`);
  const grouped = await buildGroupShareTree(owner, datastoreId as string, plainSessions);
  const [direct, viaGroup] = await measureAlternating(
    ['encrypted GET /secret/<id>/ via a direct share 1 deep (again)', 'encrypted GET /secret/<id>/ via a group share 1 deep'],
    options,
    [sharedRead(1), (client) => secretRead(plainSessions[client] as VaultSession, grouped.secretId, grouped.data)],
  );
  progress('counting SQL statements per authorized read (in-process server, Kysely log hook)');
  const statements = await countStatementsPerRead(await mkdtemp(path.join(tempDir, 'count-')), PASSWORD);

  printReport(
    options,
    [healthz, info, logins, status, statusValidated, infoAgain, apiKeyLogins, secretReads, infoThird, shallow, deep, direct, viaGroup],
    [
      ['password logins/s vs GET /server/info/', logins, info],
      ['password logins/s vs GET /healthz', logins, healthz],
      ['encrypted /user/status/ vs GET /server/info/ (again)', status, infoAgain],
      ['  + validator vs GET /server/info/ (again)', statusValidated, infoAgain],
      ['API-key logins/s vs GET /server/info/ (third)', apiKeyLogins, infoThird],
      ['encrypted /secret/<id>/ (API key) vs GET /server/info/ (third)', secretReads, infoThird],
      [`secret reads via a share ${DEEP} deep vs 1 deep (target >= 0.8)`, deep, shallow],
      ['secret reads via a group share vs a direct share, 1 deep (target >= 0.8)', viaGroup, direct],
    ],
  );
  process.stdout.write('\n');
  printTable(
    ['SQL statements per authorized read', 'statements'],
    statements.map((c) => [`whole GET /secret/<id>/ via a share ${c.depth} deep`, String(c.statements)]),
  );
}

process.exitCode = await runBench({ tempPrefix: 'blindvault-vault-bench-', readOptions, run, stop: async () => server?.stop() });
process.exit();
