import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import { setPasswordHashConcurrency } from '../crypto/node/password-hash.js';
import { createId } from '../crypto/token.js';
import { BlindvaultError } from '../protocol/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { readKeyFile } from '../store/key-file.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { ApiKeyStore } from '../store/api-key-store.js';
import type { RateLimitStore } from '../store/rate-limit-store.js';
import type { ReplayStore } from '../store/replay-store.js';
import type { UploadRecordStore } from '../store/upload-record-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { VaultObjectStore } from '../store/vault-object-store.js';
import type { VaultStore } from '../store/vault-store.js';
import type { Config } from './config.js';
import { renderBlindvaultError } from './errors.js';
import { filesPlugin } from './files/plugin.js';
import { createFilesService, type FilesService } from './files/service.js';
import { healthPlugin } from './health/plugin.js';
import { edgePlugin } from './edge/plugin.js';
import { setSecurityHeaders } from './edge/security-headers.js';
import { loggerOptions } from './logging.js';
import { openApiCollector, openApiRoute } from './openapi/plugin.js';
import { uploadsPlugin } from './uploads/plugin.js';
import { createUploadsService, type UploadsService } from './uploads/service.js';
import { vaultPlugin } from './vault/plugin.js';
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
  uploads: UploadStore;
  uploadRecords: UploadRecordStore;
  clock?: () => Date;
  /** Where log lines go (tests read them); stdout otherwise. */
  logDestination?: DestinationStream;
  /** Sees every route as it is registered (the route-table test reads them). */
  onRoute?: (route: RouteOptions) => void;
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
  await app.register(edgePlugin, { publicUrl: config.publicUrl, bodyTimeoutSeconds: config.bodyTimeoutSeconds, uploadPace: config.uploadPace });
  app.setErrorHandler(renderBlindvaultError);
  app.setNotFoundHandler((request, reply) => renderBlindvaultError(new BlindvaultError('NOT_FOUND'), request, reply));

  await app.register(openApiCollector, { version: BLINDVAULT_VERSION });
  await app.register(healthPlugin, { metadata, blobs });
  await app.register(filesPlugin, {
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
    stores: { metadata, vault: deps.vault, objects: deps.objects, apiKeys: deps.apiKeys, replays: deps.replays, rateLimits: deps.rateLimits },
    serverKeys,
    malformedUrl: malformedVaultUrl,
    clock,
  });
  await app.register(openApiRoute);
  return { app, files, uploads, serverKeys };
}
