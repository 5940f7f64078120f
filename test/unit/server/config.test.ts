import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../../src/server/config.js';
import { parseS3Location } from '../../../src/store/blob/s3-location.js';

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

  test('connections: 64 per address unless behind TRUST_PROXY (0 = off), 10000 in all, 15 s for the headers', () => {
    assert.equal(parseConfig({}).maxConnectionsPerAddress, 64);
    assert.equal(parseConfig({ TRUST_PROXY: '1' }).maxConnectionsPerAddress, 0);
    assert.equal(parseConfig({ TRUST_PROXY: '1', MAX_CONNECTIONS_PER_ADDRESS: '500' }).maxConnectionsPerAddress, 500);
    assert.equal(parseConfig({ MAX_CONNECTIONS_PER_ADDRESS: '0' }).maxConnectionsPerAddress, 0);
    assert.equal(parseConfig({}).maxConnections, 10_000);
    assert.equal(parseConfig({ MAX_CONNECTIONS: '200' }).maxConnections, 200);
    assert.equal(parseConfig({}).headersTimeoutSeconds, 15);
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
    [{ METRICS_PORT: 'x' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '8080' }, 'METRICS_PORT'],
    [{ BLOB_STORE: 's3://B' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://Upper-Case' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://key:secret@bucket' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket/path' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?endpoint=ftp://x' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?endpoint=https://k:s@x' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?endpoint=not a url' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?region=US_EAST' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?prefix=../x' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?prefix=/x' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?forcePathStyle=yes' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?secretAccessKey=abc' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket?region=a&region=b' }, 'BLOB_STORE'],
    [{ BLOB_STORE: 's3://bucket', MAX_UPLOAD_BYTES: '100GiB' }, 'MAX_UPLOAD_BYTES'],
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
    [{ VAULT_CORS_ORIGINS: '*' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: 'https://a.example, vault.example.com' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: 'https://a.example/vault' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: 'https://a.example/' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: 'https://u:p@a.example' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: 'ftp://a.example' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_CORS_ORIGINS: ' , ' }, 'VAULT_CORS_ORIGINS'],
    [{ VAULT_WEB_CLIENT_DIR: 'build/webclient', PUBLIC_URL: 'https://vault.example.com' }, 'VAULT_WEB_CLIENT_DIR'],
    [{ VAULT_WEB_CLIENT_DIR: '/srv/psono' }, 'VAULT_WEB_CLIENT_DIR'],
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
    [{ MAX_CONNECTIONS_PER_ADDRESS: 'lots' }, 'MAX_CONNECTIONS_PER_ADDRESS'],
    [{ MAX_CONNECTIONS: '-1' }, 'MAX_CONNECTIONS'],
    [{ HEADERS_TIMEOUT_SECONDS: '0' }, 'HEADERS_TIMEOUT_SECONDS'],
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
  test('BLOB_STORE=s3://… is parsed into bucket, endpoint, region, prefix and addressing style', () => {
    const text = 's3://my-bucket.files?endpoint=https://minio.internal:9000/&region=eu-west-3&prefix=blindvault/prod&forcePathStyle=true';
    assert.equal(parseConfig({ BLOB_STORE: text }).blobStoreUrl, text);
    assert.deepEqual(parseS3Location(text), {
      bucket: 'my-bucket.files',
      endpoint: 'https://minio.internal:9000',
      region: 'eu-west-3',
      prefix: 'blindvault/prod/',
      forcePathStyle: true,
    });
    assert.deepEqual(parseS3Location('s3://bucket', { AWS_REGION: 'ca-central-1' }), {
      bucket: 'bucket', endpoint: undefined, region: 'ca-central-1', prefix: '', forcePathStyle: false,
    });
    assert.equal(parseS3Location('s3://bucket').region, 'us-east-1');
    assert.equal(parseConfig({ BLOB_STORE: 's3://bucket', MAX_UPLOAD_BYTES: '78GiB' }).maxUploadBytes, 78 * 1024 ** 3);
  });

  test('metrics are off unless METRICS_PORT is set; they listen on loopback unless METRICS_HOST says otherwise', () => {
    assert.equal(parseConfig({}).metricsPort, undefined);
    assert.equal(parseConfig({ METRICS_PORT: '9464' }).metricsPort, 9464);
    assert.equal(parseConfig({ METRICS_PORT: '9464' }).metricsHost, '127.0.0.1');
    assert.equal(parseConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.2' }).metricsHost, '10.0.0.2');
  });

  test('a refused BLOB_STORE never repeats the credentials it carried', () => {
    for (const text of ['s3://AKIASECRET:hunter2@bucket', 's3://bucket?endpoint=https://AKIASECRET:hunter2@minio', 's3://bucket?hunter2=1']) {
      assert.throws(() => parseConfig({ BLOB_STORE: text }), (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2') && !error.message.includes('AKIASECRET'));
    }
  });

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

  test('VAULT_CORS_ORIGINS is a list of origins; VAULT_WEB_CLIENT_URL still works, deprecated', () => {
    const listed = parseConfig({ VAULT_CORS_ORIGINS: 'https://Vault.Example.com, http://127.0.0.1:9000,https://vault.example.com' });
    assert.deepEqual(listed.vault.corsOrigins, ['https://vault.example.com', 'http://127.0.0.1:9000'], 'normalized, each once');
    assert.deepEqual(listed.deprecations, []);
    const none = parseConfig({});
    assert.deepEqual(none.vault.corsOrigins, []);
    assert.equal(none.vault.webClientDir, undefined);
    const old = parseConfig({ VAULT_WEB_CLIENT_URL: 'http://127.0.0.1:9000/' });
    assert.equal(old.vault.webClientUrl, 'http://127.0.0.1:9000');
    assert.equal(old.deprecations.length, 1);
    assert.match(old.deprecations[0] as string, /VAULT_WEB_CLIENT_URL is deprecated.*VAULT_CORS_ORIGINS/);
    assert.equal(parseConfig({ VAULT_WEB_CLIENT_DIR: '/srv/psono/', PUBLIC_URL: 'https://vault.example.com' }).vault.webClientDir, '/srv/psono');
  });

  test('an unknown setting of ours in the environment stops the start, naming it', () => {
    for (const name of ['VAULT_CORS_ORIGIN', 'VAULT_WEBCLIENT_URL', 'FILE_MAX_TTL', 'BLINDVAULT_PORT', 'BLINDVAULT_VAULT_CORS_ORIGINS']) {
      assert.throws(
        () => loadConfig({ [name]: 'x' }, []),
        (error: unknown) => error instanceof ConfigError && error.variable === name && error.message.startsWith(`invalid ${name}: unknown setting`),
        name,
      );
    }
    // Controls: the known settings, the CLI's BLINDVAULT_* variables, HashiCorp Vault's client
    // variables and anything outside our namespaces do not stop the start.
    const config = loadConfig(
      {
        VAULT_CORS_ORIGINS: 'https://a.example',
        FILE_MAX_TTL_SECONDS: '3600',
        BLINDVAULT_SERVER: 'https://files.example',
        BLINDVAULT_PASSPHRASE: 'x',
        BLINDVAULT_API_KEY_ID: 'x',
        VAULT_ADDR: 'https://hashicorp.example:8200',
        VAULT_TOKEN: 'hvs.x',
        FILEPATH: '/x',
        MY_VAULT_THING: 'x',
      },
      [],
    );
    assert.deepEqual(config.vault.corsOrigins, ['https://a.example']);
    assert.equal(config.fileMaxTtlSeconds, 3600);
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

  test('the server refuses to start on an unknown VAULT_ setting with one line naming it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      env: { ...process.env, VAULT_CORS_ORIGIN: 'https://a.example', DATA_DIR: '/nonexistent/never-created' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^blindvault: invalid VAULT_CORS_ORIGIN: unknown setting/);
  });
});
