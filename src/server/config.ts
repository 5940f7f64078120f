// Server configuration: environment variables, each also settable by a command-line flag
// (--port for PORT, --data-dir for DATA_DIR …). A bad value stops the start with one line naming it.
import { parseArgs } from 'node:util';

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
  fileDefaultMaxDownloads: number | null;
  fileMaxDownloads: number;
  fileResumeWindowSeconds: number;
  sweepIntervalSeconds: number;
  staleUploadSeconds: number;
  trustProxy: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
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
  'FILE_RESUME_WINDOW_SECONDS',
  'SWEEP_INTERVAL_SECONDS', 'STALE_UPLOAD_SECONDS', 'TRUST_PROXY', 'LOG_LEVEL',
] as const;

export const CONFIG_VARIABLES: readonly string[] = VARIABLES;

function flagOf(variable: string): string {
  return variable.toLowerCase().replaceAll('_', '-');
}

/** Flags win over the environment. Unknown flags are an error, not silently ignored. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
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
  const fileMaxTtlSeconds = integer(raw, 'FILE_MAX_TTL_SECONDS', 7 * 86400, 60, 10 * 365 * 86400);
  const fileMaxDownloads = integer(raw, 'FILE_MAX_DOWNLOADS', 1000, 1, 1_000_000);
  const fileDefaultTtlSeconds = integer(raw, 'FILE_DEFAULT_TTL_SECONDS', Math.min(86400, fileMaxTtlSeconds), 60, fileMaxTtlSeconds);
  const defaultDownloads = raw.FILE_DEFAULT_MAX_DOWNLOADS;
  return {
    port: integer(raw, 'PORT', 8080, 0, 65535),
    host: raw.HOST ?? '127.0.0.1',
    dataDir: raw.DATA_DIR ?? './data',
    publicUrl: publicUrl(raw.PUBLIC_URL),
    databaseUrl: databaseUrl(raw.DATABASE_URL),
    blobStoreUrl: blobStoreUrl(raw.BLOB_STORE),
    maxUploadBytes: byteSize(raw, 'MAX_UPLOAD_BYTES', 5 * GIB),
    signupsAllowed: boolean(raw, 'SIGNUPS_ALLOWED', true),
    smtpUrl: smtpUrl(raw.SMTP_URL),
    fileDefaultTtlSeconds,
    fileMaxTtlSeconds,
    fileDefaultMaxDownloads:
      defaultDownloads === undefined ? null : integer(raw, 'FILE_DEFAULT_MAX_DOWNLOADS', 0, 1, fileMaxDownloads),
    fileMaxDownloads,
    fileResumeWindowSeconds: integer(raw, 'FILE_RESUME_WINDOW_SECONDS', 3600, 0, 86400),
    sweepIntervalSeconds: integer(raw, 'SWEEP_INTERVAL_SECONDS', 60, 1, 86400),
    staleUploadSeconds: integer(raw, 'STALE_UPLOAD_SECONDS', 86400, 60, 30 * 86400),
    trustProxy: boolean(raw, 'TRUST_PROXY', false),
    logLevel: logLevel(raw.LOG_LEVEL),
  };
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

function publicUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl('PUBLIC_URL', text);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PUBLIC_URL', 'must start with https:// or http://');
  if (url.search || url.hash || url.username || url.password) throw new ConfigError('PUBLIC_URL', 'must not carry credentials, a query or a fragment');
  return url.toString().replace(/\/+$/, '');
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
  if (url.protocol === 's3:') throw new ConfigError('BLOB_STORE', 's3:// is not supported yet; leave it unset for a folder in DATA_DIR');
  throw new ConfigError('BLOB_STORE', 'expected file:///path (or unset for a folder in DATA_DIR)');
}

function smtpUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const url = parseUrl('SMTP_URL', text);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('SMTP_URL', 'expected smtp://… or smtps://…');
  return text;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevel(text: string | undefined): Config['logLevel'] {
  if (text === undefined) return 'info';
  const level = LOG_LEVELS.find((l) => l === text);
  if (!level) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  return level;
}
