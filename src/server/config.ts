// Server configuration: environment variables, each also settable by a command-line flag
// (--port for PORT, --data-dir for DATA_DIR …). A bad value stops the start with one line naming it.
import { parseArgs } from 'node:util';
import { parseS3Location, S3_MAX_BLOB_BYTES, S3LocationError } from '../store/blob/s3-location.js';
import { MAX_EXPIRES_IN_SECONDS } from '../protocol/files.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  blobStoreUrl: string | undefined;
  maxUploadBytes: number;
  signupsAllowed: boolean;
  smtpUrl: string | undefined;
  fileDefaultTtlSeconds: number;
  fileMaxTtlSeconds: number;
  /** Every file has a download limit: FILE_MAX_DOWNLOADS unless said otherwise. */
  fileDefaultMaxDownloads: number;
  fileMaxDownloads: number;
  fileResumeWindowSeconds: number;
  /** Uploads per client address (anonymous uploads would otherwise fill the disk). */
  fileUploadRate: ThrottleRate;
  /** Bytes per client address and window that uploads may store (FILE_UPLOAD_QUOTA, e.g. 10GiB/day). */
  fileUploadQuota: ByteQuota;
  /** Bytes all files together may hold, uploads in progress included. */
  fileStorageCapBytes: number;
  /** Uploads are refused while the blob store's disk has less than this free. */
  fileMinFreeBytes: number;
  sweepIntervalSeconds: number;
  staleUploadSeconds: number;
  /** Largest body of one PATCH of a resumable upload. */
  uploadMaxChunkBytes: number;
  /** Unfinished resumable uploads one client address may hold at once. */
  uploadMaxPartialPerAddress: number;
  /** false, the number of proxy hops in front of the server, or the proxies' addresses (IPs or CIDRs). */
  trustProxy: false | number | string[];
  /**
   * Open sockets one remote address may hold at once in this process (0: no cap). Off by default
   * behind TRUST_PROXY, where every socket comes from the proxy and the proxy's own limit applies.
   */
  maxConnectionsPerAddress: number;
  /** Open sockets this process accepts at once, from everyone (0: no cap). */
  maxConnections: number;
  /** A request's line and headers must arrive whole within this time, or the socket is closed. */
  headersTimeoutSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Unset: no metrics. Else GET /metrics is served on this port (never on PORT), on metricsHost. */
  metricsPort: number | undefined;
  metricsHost: string;
  /** On SIGTERM, how long requests in flight may take to finish before the process exits anyway. */
  shutdownGraceSeconds: number;
  /** A JSON (non-upload) request body must arrive whole within this time, or the request is a 408. */
  bodyTimeoutSeconds: number;
  /** An upload that sends fewer than `minBytes` in any `windowSeconds` is aborted (408). */
  uploadPace: UploadPaceConfig;
  /** Failed authentications and owner-token guesses per client address, across the files and the vault. */
  failedAuthRate: ThrottleRate;
  /** How many Argon2id computations may run at once (they share libuv's thread pool with file I/O). */
  passwordHashConcurrency: number;
  vault: VaultConfig;
  /** Settings that still work but will go (e.g. VAULT_WEB_CLIENT_URL): main logs one warning each. */
  deprecations: string[];
}

export interface UploadPaceConfig {
  minBytes: number;
  windowSeconds: number;
}

export const THROTTLE_SCOPES = [
  'anon', 'user', 'info', 'health_check', 'registration', 'prelogin', 'login', 'api_key_login',
  'user_update', 'user_delete', 'status_check', 'verify_email', 'user_search', 'api_key_access', 'datastore_delete',
  // Lost-password reset and emergency login (vault-protocol.md §3.13–3.14), per address.
  'password',
  // BV: every check of a second-factor code or assertion (vault-protocol.md §3.15), per user.
  'second_factor',
  // Opening a link share (vault-protocol.md §3.16), per address; BV: passphrase attempts per link share and address,
  // and per link share from every address; passphrases hashed by one user (making or changing link shares).
  'link_share_secret',
  'link_share_passphrase',
  'link_share_passphrase_link',
  'link_share_passphrase_hash',
  // BV: recovery and emergency codes made (each an Argon2id hash of its authkey), per user.
  'code_hash',
] as const;
export type ThrottleScope = (typeof THROTTLE_SCOPES)[number];

export interface ByteQuota {
  limitBytes: number;
  windowSeconds: number;
}

export interface ThrottleRate {
  limit: number;
  windowSeconds: number;
}

/** The vault's settings (spec Appendix B). Key material given here overrides what the database holds. */
export interface VaultConfig {
  boxPrivateKeyHex: string | undefined;
  signingSeedHex: string | undefined;
  psonoPrivateKeyHex: string | undefined;
  /** A 0600 file holding the box key and signing seed (docs/formats/key-file-v1.md), read at start. */
  keyFile: string | undefined;
  /** Deprecated (VAULT_WEB_CLIENT_URL): the web client's address named in /info/; its origin is allowed for CORS. */
  webClientUrl: string | undefined;
  /** Origins allowed to call the vault from a browser (VAULT_CORS_ORIGINS), besides PUBLIC_URL's. */
  corsOrigins: string[];
  /** A Psono web-client build to serve at /vault/ (VAULT_WEB_CLIENT_DIR): an absolute folder path. */
  webClientDir: string | undefined;
  allowedUsernameDomains: string[];
  allowMultipleSessions: boolean;
  tokenSeconds: { web: [number, number]; app: [number, number]; apiKey: [number, number] };
  deviceProtection: boolean;
  replayWindowSeconds: number;
  allowUserSearchByEmail: boolean;
  maxBodyBytes: number;
  /** Bytes of the datastores, secrets and shares one user owns (their `data`), together. */
  maxStorageBytesPerUser: number;
  /** History entries kept per secret; the oldest are pruned beyond it. */
  maxHistoryPerSecret: number;
  throttles: Record<ThrottleScope, ThrottleRate>;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`invalid ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, string | undefined>;

const GIB = 1024 ** 3;
const VARIABLES = [
  'PORT', 'HOST', 'DATA_DIR', 'PUBLIC_URL', 'DATABASE_URL', 'BLOB_STORE', 'MAX_UPLOAD_BYTES', 'SIGNUPS_ALLOWED',
  'SMTP_URL', 'FILE_DEFAULT_TTL_SECONDS', 'FILE_MAX_TTL_SECONDS', 'FILE_DEFAULT_MAX_DOWNLOADS', 'FILE_MAX_DOWNLOADS',
  'FILE_RESUME_WINDOW_SECONDS', 'FILE_UPLOAD_RATE', 'FILE_UPLOAD_QUOTA', 'FILE_STORAGE_CAP_BYTES', 'FILE_MIN_FREE_BYTES',
  'SWEEP_INTERVAL_SECONDS', 'STALE_UPLOAD_SECONDS', 'UPLOAD_MAX_CHUNK_BYTES', 'UPLOAD_MAX_PARTIAL_PER_ADDRESS', 'TRUST_PROXY', 'LOG_LEVEL',
  'MAX_CONNECTIONS_PER_ADDRESS', 'MAX_CONNECTIONS', 'HEADERS_TIMEOUT_SECONDS',
  'BODY_TIMEOUT_SECONDS', 'UPLOAD_MIN_BYTES', 'UPLOAD_MIN_BYTES_SECONDS', 'FAILED_AUTH_RATE', 'PASSWORD_HASH_CONCURRENCY',
  'VAULT_KEY_FILE', 'METRICS_PORT', 'METRICS_HOST', 'SHUTDOWN_GRACE_SECONDS',
  'VAULT_BOX_PRIVATE_KEY', 'VAULT_SIGNING_SEED', 'VAULT_PSONO_PRIVATE_KEY', 'VAULT_WEB_CLIENT_URL',
  'VAULT_CORS_ORIGINS', 'VAULT_WEB_CLIENT_DIR',
  'VAULT_ALLOWED_USERNAME_DOMAINS', 'VAULT_ALLOW_MULTIPLE_SESSIONS', 'VAULT_WEB_TOKEN_MIN_S', 'VAULT_WEB_TOKEN_MAX_S',
  'VAULT_APP_TOKEN_MIN_S', 'VAULT_APP_TOKEN_MAX_S', 'VAULT_API_KEY_TOKEN_MIN_S', 'VAULT_API_KEY_TOKEN_MAX_S',
  'VAULT_DEVICE_PROTECTION', 'VAULT_REPLAY_WINDOW_S', 'VAULT_ALLOW_USER_SEARCH_BY_EMAIL', 'VAULT_MAX_BODY_BYTES',
  'VAULT_MAX_STORAGE_BYTES_PER_USER', 'VAULT_MAX_HISTORY_PER_SECRET',
  ...THROTTLE_SCOPES.map((scope) => `VAULT_THROTTLE_${scope.toUpperCase()}`),
] as const;

export const CONFIG_VARIABLES: readonly string[] = VARIABLES;

function flagOf(variable: string): string {
  return variable.toLowerCase().replaceAll('_', '-');
}

/**
 * Our namespaces in the environment: a variable in them that the server does not know is a typo or a
 * setting of another version, and stops the start rather than being ignored. `VAULT_` is shared
 * with HashiCorp Vault's command-line client, whose variables people export in their shells: those
 * are let through by name. `BLINDVAULT_` belongs to the CLI (client side, never read by the
 * server); only a `BLINDVAULT_<server setting>` is refused, since it names a server setting that the
 * server would not read.
 */
const OUR_PREFIXES = /^(?:VAULT|FILE)_/;
const HASHICORP_VAULT_VARIABLES = new Set([
  'VAULT_ADDR', 'VAULT_AGENT_ADDR', 'VAULT_TOKEN', 'VAULT_NAMESPACE', 'VAULT_CACERT', 'VAULT_CACERT_BYTES', 'VAULT_CAPATH',
  'VAULT_CLIENT_CERT', 'VAULT_CLIENT_KEY', 'VAULT_CLIENT_TIMEOUT', 'VAULT_CLUSTER_ADDR', 'VAULT_API_ADDR', 'VAULT_FORMAT',
  'VAULT_LICENSE', 'VAULT_LICENSE_PATH', 'VAULT_LOG_LEVEL', 'VAULT_MAX_RETRIES', 'VAULT_REDIRECT_ADDR', 'VAULT_SKIP_VERIFY',
  'VAULT_TLS_SERVER_NAME', 'VAULT_WRAP_TTL', 'VAULT_MFA', 'VAULT_RATE_LIMIT', 'VAULT_SRV_LOOKUP', 'VAULT_HTTP_PROXY',
  'VAULT_PROXY_ADDR', 'VAULT_DISABLE_REDIRECTS', 'VAULT_CLI_NO_COLOR',
]);

function refuseUnknownSettings(env: NodeJS.ProcessEnv): void {
  const known = new Set<string>(VARIABLES);
  for (const name of Object.keys(env).sort()) {
    if (OUR_PREFIXES.test(name) && !known.has(name) && !HASHICORP_VAULT_VARIABLES.has(name)) {
      throw new ConfigError(name, 'unknown setting (see the configuration table of the README); remove it or correct its name');
    }
    const bare = /^BLINDVAULT_(.+)$/.exec(name)?.[1];
    if (bare !== undefined && known.has(bare)) throw new ConfigError(name, `unknown setting: the server reads ${bare}`);
  }
}

/** Flags win over the environment. Unknown flags, and unknown settings of ours, are an error, not silently ignored. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
  refuseUnknownSettings(env);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(VARIABLES.map((v) => [flagOf(v), { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError('arguments', (error as Error).message);
  }
  const raw: Raw = {};
  for (const variable of VARIABLES) {
    const flag = values[flagOf(variable)];
    const value = typeof flag === 'string' ? flag : env[variable];
    raw[variable] = value === '' ? undefined : value;
  }
  return parseConfig(raw);
}

export function parseConfig(raw: Raw): Config {
  const fileMaxTtlSeconds = integer(raw, 'FILE_MAX_TTL_SECONDS', 7 * 86400, 60, MAX_EXPIRES_IN_SECONDS);
  const fileMaxDownloads = integer(raw, 'FILE_MAX_DOWNLOADS', 1000, 1, 1_000_000);
  const fileDefaultTtlSeconds = integer(raw, 'FILE_DEFAULT_TTL_SECONDS', Math.min(86400, fileMaxTtlSeconds), 60, fileMaxTtlSeconds);
  const defaultDownloads = raw.FILE_DEFAULT_MAX_DOWNLOADS;
  const blobStore = blobStoreUrl(raw.BLOB_STORE);
  const maxUploadBytes = byteSize(raw, 'MAX_UPLOAD_BYTES', 5 * GIB);
  if (blobStore?.startsWith('s3:') && maxUploadBytes > S3_MAX_BLOB_BYTES) {
    throw new ConfigError('MAX_UPLOAD_BYTES', `at most ${S3_MAX_BLOB_BYTES} bytes with an S3 blob store (10,000 parts of 8 MiB)`);
  }
  const port = integer(raw, 'PORT', 8080, 0, 65535);
  const proxies = trustProxy(raw.TRUST_PROXY);
  const metricsPort = raw.METRICS_PORT === undefined ? undefined : integer(raw, 'METRICS_PORT', 0, 1, 65535);
  if (metricsPort !== undefined && metricsPort === port) throw new ConfigError('METRICS_PORT', 'must differ from PORT: metrics are never served on the public port');
  return {
    port,
    host: raw.HOST ?? '127.0.0.1',
    dataDir: raw.DATA_DIR ?? './data',
    publicUrl: publicUrl(raw.PUBLIC_URL),
    databaseUrl: databaseUrl(raw.DATABASE_URL),
    blobStoreUrl: blobStore,
    maxUploadBytes,
    signupsAllowed: boolean(raw, 'SIGNUPS_ALLOWED', true),
    smtpUrl: smtpUrl(raw.SMTP_URL),
    fileDefaultTtlSeconds,
    fileMaxTtlSeconds,
    fileDefaultMaxDownloads:
      defaultDownloads === undefined ? fileMaxDownloads : integer(raw, 'FILE_DEFAULT_MAX_DOWNLOADS', 0, 1, fileMaxDownloads),
    fileMaxDownloads,
    fileResumeWindowSeconds: integer(raw, 'FILE_RESUME_WINDOW_SECONDS', 3600, 0, 86400),
    fileUploadRate: rate(raw, 'FILE_UPLOAD_RATE', '60/hour'),
    fileUploadQuota: byteQuota(raw, 'FILE_UPLOAD_QUOTA', '10GiB/day'),
    fileStorageCapBytes: byteSize(raw, 'FILE_STORAGE_CAP_BYTES', 100 * GIB),
    fileMinFreeBytes: byteSize(raw, 'FILE_MIN_FREE_BYTES', GIB),
    sweepIntervalSeconds: integer(raw, 'SWEEP_INTERVAL_SECONDS', 60, 1, 86400),
    staleUploadSeconds: integer(raw, 'STALE_UPLOAD_SECONDS', 86400, 60, 30 * 86400),
    uploadMaxChunkBytes: atLeast('UPLOAD_MAX_CHUNK_BYTES', byteSize(raw, 'UPLOAD_MAX_CHUNK_BYTES', 64 * 1024 * 1024), 64 * 1024),
    uploadMaxPartialPerAddress: integer(raw, 'UPLOAD_MAX_PARTIAL_PER_ADDRESS', 4, 1, 1000),
    trustProxy: proxies,
    maxConnectionsPerAddress: integer(raw, 'MAX_CONNECTIONS_PER_ADDRESS', proxies === false ? 64 : 0, 0, 1_000_000),
    maxConnections: integer(raw, 'MAX_CONNECTIONS', 10_000, 0, 10_000_000),
    headersTimeoutSeconds: integer(raw, 'HEADERS_TIMEOUT_SECONDS', 15, 1, 300),
    logLevel: logLevel(raw.LOG_LEVEL),
    metricsPort,
    metricsHost: raw.METRICS_HOST ?? '127.0.0.1',
    shutdownGraceSeconds: integer(raw, 'SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    bodyTimeoutSeconds: integer(raw, 'BODY_TIMEOUT_SECONDS', 30, 1, 300),
    uploadPace: {
      minBytes: byteSize(raw, 'UPLOAD_MIN_BYTES', 32 * 1024),
      windowSeconds: integer(raw, 'UPLOAD_MIN_BYTES_SECONDS', 30, 1, 3600),
    },
    failedAuthRate: rate(raw, 'FAILED_AUTH_RATE', '100/hour'),
    passwordHashConcurrency: integer(raw, 'PASSWORD_HASH_CONCURRENCY', 2, 1, 64),
    vault: parseVaultConfig(raw),
    deprecations: raw.VAULT_WEB_CLIENT_URL === undefined ? [] : ['VAULT_WEB_CLIENT_URL is deprecated: list the web client\'s origin in VAULT_CORS_ORIGINS'],
  };
}

const DEFAULT_THROTTLES: Record<ThrottleScope, string> = {
  anon: '14400/day',
  user: '86400/day',
  info: '600/hour',
  health_check: '61/hour',
  registration: '20/day',
  prelogin: '48/day',
  login: '48/day',
  api_key_login: '60/hour',
  user_update: '20/day',
  user_delete: '20/day',
  status_check: '61/minute',
  verify_email: '60/hour',
  user_search: '600/hour',
  api_key_access: '600/hour',
  // BV: deleting a datastore checks the authkey, so it is throttled as strictly as deleting the account.
  datastore_delete: '20/day',
  password: '24/day',
  second_factor: '6/minute',
  link_share_secret: '60/hour',
  link_share_passphrase: '10/hour',
  link_share_passphrase_link: '100/hour',
  link_share_passphrase_hash: '30/hour',
  code_hash: '30/hour',
};
const PERIODS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

function throttle(raw: Raw, scope: ThrottleScope): ThrottleRate {
  return rate(raw, `VAULT_THROTTLE_${scope.toUpperCase()}`, DEFAULT_THROTTLES[scope]);
}

function rate(raw: Raw, name: string, fallback: string): ThrottleRate {
  const text = raw[name] ?? fallback;
  const match = /^([1-9][0-9]{0,8})\/(second|minute|hour|day)$/.exec(text);
  if (!match) throw new ConfigError(name, `expected a rate such as 48/day (per second, minute, hour or day), got ${JSON.stringify(text)}`);
  return { limit: Number(match[1]), windowSeconds: PERIODS[match[2] ?? 'day'] ?? 86400 };
}

function byteQuota(raw: Raw, name: string, fallback: string): ByteQuota {
  const text = raw[name] ?? fallback;
  const match = /^([1-9][0-9]*(?:KiB|MiB|GiB|TiB)?)\/(second|minute|hour|day)$/.exec(text);
  if (!match) throw new ConfigError(name, `expected a size per period such as 10GiB/day (per second, minute, hour or day), got ${JSON.stringify(text)}`);
  return { limitBytes: byteSize({ [name]: match[1] }, name, 0), windowSeconds: PERIODS[match[2] ?? 'day'] ?? 86400 };
}

// Key material: the message never repeats the value.
function key32(raw: Raw, name: string): string | undefined {
  const text = raw[name];
  if (text === undefined) return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(name, 'expected 64 hexadecimal characters (32 bytes)');
  return text.toLowerCase();
}

function tokenRange(raw: Raw, kind: 'WEB' | 'APP' | 'API_KEY', min: number, max: number): [number, number] {
  const low = integer(raw, `VAULT_${kind}_TOKEN_MIN_S`, min, 60, 10 * 365 * 86400);
  const high = integer(raw, `VAULT_${kind}_TOKEN_MAX_S`, max, 60, 10 * 365 * 86400);
  if (high < low) throw new ConfigError(`VAULT_${kind}_TOKEN_MAX_S`, `must not be below VAULT_${kind}_TOKEN_MIN_S (${low})`);
  return [low, high];
}

function parseVaultConfig(raw: Raw): VaultConfig {
  // The served web client's config.json names the server's address: it is not taken from a request's Host.
  if (raw.VAULT_WEB_CLIENT_DIR !== undefined && raw.PUBLIC_URL === undefined) throw new ConfigError('VAULT_WEB_CLIENT_DIR', 'needs PUBLIC_URL (the address the web client is given)');
  const psonoPrivateKeyHex = key32(raw, 'VAULT_PSONO_PRIVATE_KEY');
  const boxPrivateKeyHex = key32(raw, 'VAULT_BOX_PRIVATE_KEY');
  const signingSeedHex = key32(raw, 'VAULT_SIGNING_SEED');
  if (psonoPrivateKeyHex && (boxPrivateKeyHex || signingSeedHex)) {
    throw new ConfigError('VAULT_PSONO_PRIVATE_KEY', 'give either it (migration from Psono) or VAULT_BOX_PRIVATE_KEY and VAULT_SIGNING_SEED, not both');
  }
  const keyFile = raw.VAULT_KEY_FILE;
  if (keyFile !== undefined && (psonoPrivateKeyHex || boxPrivateKeyHex || signingSeedHex)) {
    throw new ConfigError('VAULT_KEY_FILE', 'give either it or the keys themselves (VAULT_BOX_PRIVATE_KEY, VAULT_SIGNING_SEED, VAULT_PSONO_PRIVATE_KEY), not both');
  }
  if (keyFile !== undefined && !keyFile.startsWith('/')) throw new ConfigError('VAULT_KEY_FILE', 'expected an absolute path');
  if ((boxPrivateKeyHex === undefined) !== (signingSeedHex === undefined)) {
    throw new ConfigError(boxPrivateKeyHex ? 'VAULT_SIGNING_SEED' : 'VAULT_BOX_PRIVATE_KEY', 'VAULT_BOX_PRIVATE_KEY and VAULT_SIGNING_SEED go together');
  }
  const domains = (raw.VAULT_ALLOWED_USERNAME_DOMAINS ?? '*').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (domains.length === 0 || domains.some((d) => d !== '*' && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(d))) {
    throw new ConfigError('VAULT_ALLOWED_USERNAME_DOMAINS', 'expected * or a comma-separated list of domains');
  }
  return {
    boxPrivateKeyHex,
    signingSeedHex,
    psonoPrivateKeyHex,
    keyFile,
    webClientUrl: publicUrl(raw.VAULT_WEB_CLIENT_URL, 'VAULT_WEB_CLIENT_URL'),
    corsOrigins: corsOrigins(raw.VAULT_CORS_ORIGINS),
    webClientDir: absolutePath(raw, 'VAULT_WEB_CLIENT_DIR'),
    allowedUsernameDomains: domains,
    allowMultipleSessions: boolean(raw, 'VAULT_ALLOW_MULTIPLE_SESSIONS', true),
    tokenSeconds: {
      web: tokenRange(raw, 'WEB', 60, 2_592_000),
      app: tokenRange(raw, 'APP', 60, 31_536_000),
      apiKey: tokenRange(raw, 'API_KEY', 60, 600),
    },
    deviceProtection: boolean(raw, 'VAULT_DEVICE_PROTECTION', true),
    replayWindowSeconds: integer(raw, 'VAULT_REPLAY_WINDOW_S', 20, 1, 600),
    allowUserSearchByEmail: boolean(raw, 'VAULT_ALLOW_USER_SEARCH_BY_EMAIL', false),
    maxBodyBytes: byteSize(raw, 'VAULT_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxStorageBytesPerUser: byteSize(raw, 'VAULT_MAX_STORAGE_BYTES_PER_USER', 256 * 1024 * 1024),
    maxHistoryPerSecret: integer(raw, 'VAULT_MAX_HISTORY_PER_SECRET', 100, 0, 100_000),
    throttles: Object.fromEntries(THROTTLE_SCOPES.map((scope) => [scope, throttle(raw, scope)])) as Record<ThrottleScope, ThrottleRate>,
  };
}

function atLeast(name: string, value: number, min: number): number {
  if (value < min) throw new ConfigError(name, `must be at least ${min}`);
  return value;
}

function integer(raw: Raw, name: string, fallback: number, min: number, max: number): number {
  const text = raw[name];
  if (text === undefined) return fallback;
  if (!/^(?:0|[1-9][0-9]*)$/.test(text)) throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(name, `expected a value from ${min} to ${max}, got ${text}`);
  return value;
}

const SIZE_UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: GIB, TiB: 1024 ** 4 };

function byteSize(raw: Raw, name: string, fallback: number): number {
  const text = raw[name];
  if (text === undefined) return fallback;
  const match = /^([1-9][0-9]*)(KiB|MiB|GiB|TiB)?$/.exec(text);
  if (!match) throw new ConfigError(name, `expected a size in bytes such as 1048576 or 100MiB, got ${JSON.stringify(text)}`);
  const value = Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 1);
  if (!Number.isSafeInteger(value)) throw new ConfigError(name, 'too large');
  return value;
}

// "true" would make the server believe the left-most X-Forwarded-For, which any client writes:
// throttles would count whatever address it claims. Name the proxies, or how many there are.
function trustProxy(text: string | undefined): false | number | string[] {
  if (text === undefined || /^(?:false|0|no)$/i.test(text)) return false;
  if (/^[1-9]$/.test(text)) return Number(text);
  const addresses = text.split(',').map((a) => a.trim()).filter(Boolean);
  const address = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)(?:\/\d{1,3})?$/;
  if (addresses.length === 0 || addresses.some((a) => !address.test(a))) {
    throw new ConfigError('TRUST_PROXY', 'expected the number of proxies in front of the server (1-9) or their addresses (IPs or CIDRs, comma-separated), not true');
  }
  return addresses;
}

function boolean(raw: Raw, name: string, fallback: boolean): boolean {
  const text = raw[name];
  if (text === undefined) return fallback;
  if (/^(?:true|1|yes)$/i.test(text)) return true;
  if (/^(?:false|0|no)$/i.test(text)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(text)}`);
}

function parseUrl(name: string, text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(name, 'not a valid URL');
  }
}

function publicUrl(text: string | undefined, name = 'PUBLIC_URL'): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl(name, text);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must start with https:// or http://');
  if (url.search || url.hash || url.username || url.password) throw new ConfigError(name, 'must not carry credentials, a query or a fragment');
  return url.toString().replace(/\/+$/, '');
}

/** A comma-separated list of browser origins (`https://host[:port]`), each exactly an origin; never `*`. */
function corsOrigins(text: string | undefined): string[] {
  if (text === undefined) return [];
  const entries = text.split(',').map((o) => o.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError('VAULT_CORS_ORIGINS', 'expected a comma-separated list of origins such as https://vault.example.com');
  return [
    ...new Set(
      entries.map((entry) => {
        if (entry === '*') throw new ConfigError('VAULT_CORS_ORIGINS', 'name the origins; * is not allowed');
        const url = parseUrl('VAULT_CORS_ORIGINS', entry);
        if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.hash || url.username || url.password || entry.endsWith('/')) {
          throw new ConfigError('VAULT_CORS_ORIGINS', `${JSON.stringify(entry)} is not an origin (scheme://host[:port], nothing after it)`);
        }
        return url.origin;
      }),
    ),
  ];
}

function absolutePath(raw: Raw, name: string): string | undefined {
  const text = raw[name];
  if (text === undefined) return undefined;
  if (!text.startsWith('/')) throw new ConfigError(name, 'expected an absolute path');
  return text.replace(/\/+$/, '') || '/';
}

// Connection strings may carry passwords: messages never repeat the value.
function databaseUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl('DATABASE_URL', text);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', 'expected postgres://… (leave it unset for SQLite in DATA_DIR)');
  }
  return text;
}

function blobStoreUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl('BLOB_STORE', text);
  if (url.protocol === 'file:') return text;
  if (url.protocol === 's3:') {
    try {
      parseS3Location(text);
    } catch (error) {
      if (error instanceof S3LocationError) throw new ConfigError('BLOB_STORE', error.message);
      throw error;
    }
    return text;
  }
  throw new ConfigError('BLOB_STORE', 'expected file:///path or s3://BUCKET?endpoint=…&region=…&prefix=…&forcePathStyle=… (or unset for a folder in DATA_DIR)');
}

function smtpUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl('SMTP_URL', text);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('SMTP_URL', 'expected smtp://… or smtps://…');
  // Refused rather than ignored: with SMTP the vault would have to verify e-mails, which it cannot do yet.
  throw new ConfigError('SMTP_URL', 'e-mail delivery is not implemented yet; leave it unset (vault accounts are then active at once)');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevel(text: string | undefined): Config['logLevel'] {
  if (text === undefined) return 'info';
  const level = LOG_LEVELS.find((l) => l === text);
  if (!level) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  return level;
}
