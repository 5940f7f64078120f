import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import { setPasswordHashConcurrency } from '../crypto/node/password-hash.js';
import { createId } from '../crypto/token.js';
import { BlindvaultError } from '../protocol/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { readKeyFile } from '../store/key-file.js';
import { FsStaticFolder } from '../store/static-folder.js';
import { toHex } from '../crypto/encoding.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { ApiKeyStore } from '../store/api-key-store.js';
import type { RateLimitStore } from '../store/rate-limit-store.js';
import type { SchemaStatus } from '../store/schema-status.js';
import type { ReplayStore } from '../store/replay-store.js';
import type { UploadRecordStore } from '../store/upload-record-store.js';
import type { SendStore } from '../store/send-store.js';
import type { SecondFactorStore } from '../store/second-factor-store.js';
import type { AccountRecoveryStore } from '../store/account-recovery-store.js';
import type { LinkShareStore } from '../store/link-share-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { VaultObjectStore } from '../store/vault-object-store.js';
import type { VaultStore } from '../store/vault-store.js';
import type { Config } from './config.js';
import { renderBlindvaultError } from './errors.js';
import { filesPlugin } from './files/plugin.js';
import { createFilesService, type FilesService } from './files/service.js';
import { healthPlugin } from './health/plugin.js';
import type { Metrics } from './metrics/metrics.js';
import { metricsPlugin } from './metrics/plugin.js';
import { edgePlugin } from './edge/plugin.js';
import { capConnections } from './edge/connection-cap.js';
import { setSecurityHeaders } from './edge/security-headers.js';
import { loggerOptions } from './logging.js';
import { openApiCollector, openApiRoute } from './openapi/plugin.js';
import { uploadsPlugin } from './uploads/plugin.js';
import { createUploadsService, type UploadsService } from './uploads/service.js';
import { vaultPlugin } from './vault/plugin.js';
import { webClientPlugin } from './web-client/plugin.js';
import type { WebAssets } from '../store/web-assets.js';
import { createPageLayout } from './web/layout.js';
import { webPlugin } from './web/plugin.js';
import type { MalformedUrlAnswer } from './vault/malformed-url.js';
import { loadServerKeys, type ServerKeys } from './vault/server-keys.js';

const BLINDVAULT_VERSION = '0.1.0';

export interface AppDeps {
  config: Config;
  metadata: MetadataStore;
  blobs: BlobStore;
  vault: VaultStore;
  objects: VaultObjectStore;
  apiKeys: ApiKeyStore;
  replays: ReplayStore;
  rateLimits: RateLimitStore;
  /** For /readyz: whether every migration is applied. */
  schema?: SchemaStatus;
  /** Present when METRICS_PORT is set: every request is counted. */
  metrics?: Metrics;
  uploads: UploadStore;
  uploadRecords: UploadRecordStore;
  sends: SendStore;
  recovery: AccountRecoveryStore;
  secondFactors: SecondFactorStore;
  linkShares: LinkShareStore;
  clock?: () => Date;
  /** Where log lines go (tests read them); stdout otherwise. */
  logDestination?: DestinationStream;
  /** Sees every route as it is registered (the route-table test reads them). */
  onRoute?: (route: RouteOptions) => void;
  /** The built browser page (src/server/web/assets.ts); without it the server serves the APIs only. */
  webAssets?: WebAssets;
}

export interface App {
  app: FastifyInstance;
  files: FilesService;
  uploads: UploadsService;
  serverKeys: ServerKeys;
}

/** Assembles the server from its dependencies. Never listens: main.ts does, tests inject. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, metadata, blobs } = deps;
  const clock = deps.clock ?? (() => new Date());
  // Process-wide, like the libuv thread pool it keeps free for file I/O.
  setPasswordHashConcurrency(config.passwordHashConcurrency);
  // Fastify refuses a URL it cannot route before any plugin sees the request; the vault answers its own.
  const malformedVaultUrl: { answer?: MalformedUrlAnswer } = {};
  const app = Fastify({
    // The vault's paths end in "/"; the same path without it reaches the same handler (never a redirect).
    routerOptions: { ignoreTrailingSlash: true },
    logger: loggerOptions(config.logLevel, deps.logDestination),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => createId(),
    requestIdHeader: false,
    // A hop count as proxy-addr's function form: trust exactly that many proxies in front of us.
    trustProxy: typeof config.trustProxy === 'number' ? (_address: string, hop: number) => hop < (config.trustProxy as number) : config.trustProxy,
    bodyLimit: 64 * 1024,
    // Idle sockets are closed; a slow upload that keeps sending is not cut off by a total timeout.
    connectionTimeout: 120_000,
    requestTimeout: 0,
    // A request line and headers that trickle in hold a socket: they get a short time to arrive whole.
    // Node checks that deadline every connectionsCheckingInterval, so it is checked often enough to matter.
    http: { headersTimeout: config.headersTimeoutSeconds * 1000, connectionsCheckingInterval: Math.min(1000, config.headersTimeoutSeconds * 500) },
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // A URL with a broken escape never reaches a route: answer it in the catalogue's shape too,
    // without echoing the URL (it may carry an owner token).
    frameworkErrors: (_error, request, reply) => {
      request.log.info({ method: request.method, route: '[malformed url]', statusCode: 400 }, 'request');
      // Before the edge plugin's hooks: its headers are set here.
      setSecurityHeaders(request, reply, config.publicUrl);
      if (malformedVaultUrl.answer && /^\/server(\/|\?|$)/.test(request.url)) return void malformedVaultUrl.answer(request, reply);
      return renderBlindvaultError(new BlindvaultError('VALIDATION_FAILED'), request, reply);
    },
    ajv: { customOptions: { removeAdditional: true, coerceTypes: false, allErrors: false } },
  });

  capConnections(app.server, { perAddress: config.maxConnectionsPerAddress, total: config.maxConnections });

  const files = createFilesService({
    metadata,
    blobs,
    config,
    ...(deps.clock ? { clock: deps.clock } : {}),
    onCleanupError: (error) => app.log.error({ err: error }, 'cleanup after a failed upload failed'),
  });

  const uploads = createUploadsService({
    records: deps.uploadRecords,
    uploads: deps.uploads,
    metadata,
    blobs,
    config,
    clock,
    onCleanupError: (error) => app.log.error({ err: error }, 'cleanup after a failed upload failed'),
  });

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  if (deps.metrics) await app.register(metricsPlugin, { metrics: deps.metrics });
  await app.register(edgePlugin, { publicUrl: config.publicUrl, bodyTimeoutSeconds: config.bodyTimeoutSeconds, uploadPace: config.uploadPace });
  app.setErrorHandler(renderBlindvaultError);
  app.setNotFoundHandler((request, reply) => renderBlindvaultError(new BlindvaultError('NOT_FOUND'), request, reply));

  await app.register(openApiCollector, { version: BLINDVAULT_VERSION });
  await app.register(healthPlugin, { metadata, blobs, ...(deps.schema ? { schema: deps.schema } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) });
  const layout = createPageLayout(deps.webAssets);
  await app.register(webPlugin, {
    assets: deps.webAssets,
    layout,
    limits: {
      max_upload_bytes: config.maxUploadBytes,
      default_expires_in: config.fileDefaultTtlSeconds,
      max_expires_in: config.fileMaxTtlSeconds,
      default_max_downloads: config.fileDefaultMaxDownloads,
      max_max_downloads: config.fileMaxDownloads,
    },
  });
  await app.register(filesPlugin, {
    layout,
    service: files,
    publicUrl: config.publicUrl,
    maxUploadBytes: config.maxUploadBytes,
    rateLimits: deps.rateLimits,
    uploadRate: config.fileUploadRate,
    failedAuthRate: config.failedAuthRate,
    clock,
  });
  await app.register(uploadsPlugin, {
    service: uploads,
    records: deps.uploadRecords,
    publicUrl: config.publicUrl,
    maxUploadBytes: config.maxUploadBytes,
    maxChunkBytes: config.uploadMaxChunkBytes,
    rateLimits: deps.rateLimits,
    uploadRate: config.fileUploadRate,
    failedAuthRate: config.failedAuthRate,
    clock,
  });

  // A key file keeps the private keys out of the database (and its backups).
  const keyFile = config.vault.keyFile === undefined ? undefined : await readKeyFile(config.vault.keyFile);
  const serverKeys = await loadServerKeys(deps.vault, keyFile ? { ...config.vault, ...keyFile } : config.vault);
  await app.register(vaultPlugin, {
    prefix: '/server',
    config,
    stores: { metadata, vault: deps.vault, objects: deps.objects, apiKeys: deps.apiKeys, replays: deps.replays, rateLimits: deps.rateLimits, sends: deps.sends, recovery: deps.recovery, secondFactors: deps.secondFactors, linkShares: deps.linkShares, blobs },
    serverKeys,
    malformedUrl: malformedVaultUrl,
    clock,
  });
  if (config.vault.webClientDir !== undefined && config.publicUrl !== undefined) {
    await app.register(webClientPlugin, {
      folder: await FsStaticFolder.openFolder(config.vault.webClientDir, 'VAULT_WEB_CLIENT_DIR'),
      publicUrl: config.publicUrl,
      verifyKeyHex: toHex(serverKeys.verifyKey),
      signupsAllowed: config.signupsAllowed,
      allowedUsernameDomains: config.vault.allowedUsernameDomains,
    });
  }
  await app.register(openApiRoute);
  return { app, files, uploads, serverKeys };
}
