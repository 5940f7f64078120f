import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../../src/server/config.js';

describe('configuration', () => {
  test('defaults: 127.0.0.1:8080, SQLite and blobs in ./data', () => {
    const config = parseConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, './data');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.blobStoreUrl, undefined);
    assert.equal(config.maxUploadBytes, 5 * 1024 ** 3);
    assert.equal(config.fileDefaultTtlSeconds, 86400);
    assert.equal(config.fileDefaultMaxDownloads, 1000, 'every file has a limit: FILE_MAX_DOWNLOADS');
  });

  test('storage bounds: defaults, and values with units', () => {
    const defaults = parseConfig({});
    assert.deepEqual(defaults.fileUploadQuota, { limitBytes: 10 * 1024 ** 3, windowSeconds: 86400 });
    assert.equal(defaults.fileStorageCapBytes, 100 * 1024 ** 3);
    assert.equal(defaults.fileMinFreeBytes, 1024 ** 3);
    assert.equal(parseConfig({ FILE_MAX_DOWNLOADS: '7' }).fileDefaultMaxDownloads, 7);
    const set = parseConfig({ FILE_UPLOAD_QUOTA: '500MiB/hour', FILE_STORAGE_CAP_BYTES: '2TiB', FILE_MIN_FREE_BYTES: '4096' });
    assert.deepEqual(set.fileUploadQuota, { limitBytes: 500 * 1024 ** 2, windowSeconds: 3600 });
    assert.equal(set.fileStorageCapBytes, 2 * 1024 ** 4);
    assert.equal(set.fileMinFreeBytes, 4096);
    assert.equal(defaults.vault.maxStorageBytesPerUser, 256 * 1024 ** 2);
    assert.equal(defaults.vault.maxHistoryPerSecret, 100);
    assert.equal(parseConfig({ VAULT_MAX_HISTORY_PER_SECRET: '0' }).vault.maxHistoryPerSecret, 0);
  });

  test('resumable uploads: 64 MiB chunks and 4 unfinished uploads per address unless set', () => {
    assert.equal(parseConfig({}).uploadMaxChunkBytes, 64 * 1024 * 1024);
    assert.equal(parseConfig({}).uploadMaxPartialPerAddress, 4);
    assert.equal(parseConfig({ UPLOAD_MAX_CHUNK_BYTES: '8MiB' }).uploadMaxChunkBytes, 8 * 1024 * 1024);
    assert.equal(parseConfig({ UPLOAD_MAX_PARTIAL_PER_ADDRESS: '20' }).uploadMaxPartialPerAddress, 20);
  });

  test('flags win over the environment', () => {
    const config = loadConfig({ PORT: '9000', DATA_DIR: '/env' }, ['--port', '9001', '--max-upload-bytes', '10MiB']);
    assert.equal(config.port, 9001);
    assert.equal(config.dataDir, '/env');
    assert.equal(config.maxUploadBytes, 10 * 1024 * 1024);
  });

  test('values are parsed', () => {
    const config = parseConfig({
      PUBLIC_URL: 'https://files.example/',
      DATABASE_URL: 'postgres://u:p@db/x',
      SIGNUPS_ALLOWED: 'false',
      FILE_DEFAULT_MAX_DOWNLOADS: '3',
      TRUST_PROXY: '10.0.0.1, 192.168.0.0/16',
    });
    assert.equal(config.publicUrl, 'https://files.example');
    assert.equal(config.databaseUrl, 'postgres://u:p@db/x');
    assert.equal(config.signupsAllowed, false);
    assert.equal(config.fileDefaultMaxDownloads, 3);
    assert.deepEqual(config.trustProxy, ['10.0.0.1', '192.168.0.0/16']);
    assert.equal(parseConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(parseConfig({}).trustProxy, false);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ MAX_UPLOAD_BYTES: '10GB' }, 'MAX_UPLOAD_BYTES'],
    [{ MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES'],
    [{ PUBLIC_URL: 'files.example' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://files.example' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://files.example/?a=1' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL'],
    [{ BLOB_STORE: 's3://bucket' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 'gopher://x' }, 'BLOB_STORE'],
    [{ SIGNUPS_ALLOWED: 'maybe' }, 'SIGNUPS_ALLOWED'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp://mail.example.com' }, 'SMTP_URL'],
    [{ VAULT_THROTTLE_LOGIN: '48 per day' }, 'VAULT_THROTTLE_LOGIN'],
    [{ VAULT_THROTTLE_USER: '0/day' }, 'VAULT_THROTTLE_USER'],
    [{ VAULT_BOX_PRIVATE_KEY: 'ab'.repeat(32) }, 'VAULT_SIGNING_SEED'],
    [{ VAULT_BOX_PRIVATE_KEY: 'xyz', VAULT_SIGNING_SEED: 'ab'.repeat(32) }, 'VAULT_BOX_PRIVATE_KEY'],
    [{ VAULT_PSONO_PRIVATE_KEY: 'ab'.repeat(32), VAULT_BOX_PRIVATE_KEY: 'ab'.repeat(32), VAULT_SIGNING_SEED: 'cd'.repeat(32) }, 'VAULT_PSONO_PRIVATE_KEY'],
    [{ VAULT_ALLOWED_USERNAME_DOMAINS: 'not a domain' }, 'VAULT_ALLOWED_USERNAME_DOMAINS'],
    [{ VAULT_WEB_TOKEN_MIN_S: '600', VAULT_WEB_TOKEN_MAX_S: '300' }, 'VAULT_WEB_TOKEN_MAX_S'],
    [{ VAULT_WEB_CLIENT_URL: 'vault.example.com' }, 'VAULT_WEB_CLIENT_URL'],
    [{ FILE_MAX_TTL_SECONDS: '3600', FILE_DEFAULT_TTL_SECONDS: '7200' }, 'FILE_DEFAULT_TTL_SECONDS'],
    [{ FILE_MAX_DOWNLOADS: '5', FILE_DEFAULT_MAX_DOWNLOADS: '6' }, 'FILE_DEFAULT_MAX_DOWNLOADS'],
    [{ FILE_UPLOAD_QUOTA: '10GiB' }, 'FILE_UPLOAD_QUOTA'],
    [{ FILE_UPLOAD_QUOTA: '10GB/day' }, 'FILE_UPLOAD_QUOTA'],
    [{ FILE_UPLOAD_QUOTA: '0/day' }, 'FILE_UPLOAD_QUOTA'],
    [{ FILE_STORAGE_CAP_BYTES: 'lots' }, 'FILE_STORAGE_CAP_BYTES'],
    [{ FILE_MIN_FREE_BYTES: '-1' }, 'FILE_MIN_FREE_BYTES'],
    [{ VAULT_MAX_STORAGE_BYTES_PER_USER: '1GB' }, 'VAULT_MAX_STORAGE_BYTES_PER_USER'],
    [{ VAULT_MAX_HISTORY_PER_SECRET: '-1' }, 'VAULT_MAX_HISTORY_PER_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ UPLOAD_MAX_CHUNK_BYTES: '8MB' }, 'UPLOAD_MAX_CHUNK_BYTES'],
    [{ UPLOAD_MAX_CHUNK_BYTES: '1000' }, 'UPLOAD_MAX_CHUNK_BYTES'],
    [{ UPLOAD_MAX_PARTIAL_PER_ADDRESS: '0' }, 'UPLOAD_MAX_PARTIAL_PER_ADDRESS'],
    [{ UPLOAD_MAX_PARTIAL_PER_ADDRESS: 'many' }, 'UPLOAD_MAX_PARTIAL_PER_ADDRESS'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'everyone' }, 'TRUST_PROXY'],
    [{ BODY_TIMEOUT_SECONDS: '0' }, 'BODY_TIMEOUT_SECONDS'],
    [{ BODY_TIMEOUT_SECONDS: '301' }, 'BODY_TIMEOUT_SECONDS'],
    [{ UPLOAD_MIN_BYTES: '1 KiB' }, 'UPLOAD_MIN_BYTES'],
    [{ UPLOAD_MIN_BYTES_SECONDS: '0' }, 'UPLOAD_MIN_BYTES_SECONDS'],
    [{ FAILED_AUTH_RATE: 'many' }, 'FAILED_AUTH_RATE'],
    [{ PASSWORD_HASH_CONCURRENCY: '0' }, 'PASSWORD_HASH_CONCURRENCY'],
    [{ VAULT_KEY_FILE: 'keys.json' }, 'VAULT_KEY_FILE'],
    [{ VAULT_KEY_FILE: '/etc/blindvault/keys.json', VAULT_BOX_PRIVATE_KEY: 'ab'.repeat(32), VAULT_SIGNING_SEED: 'cd'.repeat(32) }, 'VAULT_KEY_FILE'],
  ];
  for (const [raw, variable] of bad) {
    test(`a bad ${variable} is refused, naming it`, () => {
      assert.throws(() => parseConfig(raw), (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.includes(variable));
    });
  }

  test('vault defaults follow the spec (throttles of §4, token limits of §1.6)', () => {
    const { vault } = parseConfig({});
    assert.deepEqual(vault.throttles.login, { limit: 48, windowSeconds: 86400 });
    assert.deepEqual(vault.throttles.status_check, { limit: 61, windowSeconds: 60 });
    assert.deepEqual(vault.throttles.datastore_delete, vault.throttles.user_delete, 'an authkey check, as strict as account deletion');
    assert.deepEqual(vault.tokenSeconds, { web: [60, 2_592_000], app: [60, 31_536_000], apiKey: [60, 600] });
    assert.deepEqual(vault.allowedUsernameDomains, ['*']);
    assert.equal(parseConfig({ VAULT_THROTTLE_LOGIN: '5/minute' }).vault.throttles.login.windowSeconds, 60);
  });

  test('request bodies, password hashing and failed authentications are bounded by default', () => {
    const config = parseConfig({});
    assert.equal(config.bodyTimeoutSeconds, 30);
    assert.deepEqual(config.uploadPace, { minBytes: 32 * 1024, windowSeconds: 30 });
    assert.deepEqual(config.failedAuthRate, { limit: 100, windowSeconds: 3600 });
    assert.equal(config.passwordHashConcurrency, 2);
    assert.equal(config.vault.keyFile, undefined);
    const set = parseConfig({ BODY_TIMEOUT_SECONDS: '5', UPLOAD_MIN_BYTES: '1KiB', UPLOAD_MIN_BYTES_SECONDS: '10', FAILED_AUTH_RATE: '5/minute', PASSWORD_HASH_CONCURRENCY: '1', VAULT_KEY_FILE: '/etc/bv/keys.json' });
    assert.equal(set.bodyTimeoutSeconds, 5);
    assert.deepEqual(set.uploadPace, { minBytes: 1024, windowSeconds: 10 });
    assert.deepEqual(set.failedAuthRate, { limit: 5, windowSeconds: 60 });
    assert.equal(set.passwordHashConcurrency, 1);
    assert.equal(set.vault.keyFile, '/etc/bv/keys.json');
  });

  test('key material is never repeated in an error', () => {
    assert.throws(() => parseConfig({ VAULT_BOX_PRIVATE_KEY: 'secretsecret' }), (error: Error) => !error.message.includes('secretsecret'));
  });

  test('a database URL is never repeated in an error (it may hold a password)', () => {
    assert.throws(() => parseConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' }), (error: Error) => !error.message.includes('hunter2'));
  });

  test('unknown flags are refused', () => {
    assert.throws(() => loadConfig({}, ['--prot', '1']), ConfigError);
  });

  test('the server refuses to start on a bad value with one line naming it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATA_DIR: '/nonexistent/never-created' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^blindvault: invalid PORT: /);
  });
});
