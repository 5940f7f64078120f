import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import { createId } from '../crypto/token.js';
import { BlindvaultError } from '../protocol/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { ApiKeyStore } from '../store/api-key-store.js';
import type { RateLimitStore } from '../store/rate-limit-store.js';
import type { ReplayStore } from '../store/replay-store.js';
import type { VaultObjectStore } from '../store/vault-object-store.js';
import type { VaultStore } from '../store/vault-store.js';
import type { Config } from './config.js';
import { renderBlindvaultError } from './errors.js';
import { filesPlugin } from './files/plugin.js';
import { createFilesService, type FilesService } from './files/service.js';
import { healthPlugin } from './health/plugin.js';
import { loggerOptions, pathOnly } from './logging.js';
import { openApiCollector, openApiRoute } from './openapi/plugin.js';
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
  clock?: () => Date;
  /** Where log lines go (tests read them); stdout otherwise. */
  logDestination?: DestinationStream;
  /** Sees every route as it is registered (the route-table test reads them). */
  onRoute?: (route: RouteOptions) => void;
}

export interface App {
  app: FastifyInstance;
  files: FilesService;
  serverKeys: ServerKeys;
}

/** Assembles the server from its dependencies. Never listens: main.ts does, tests inject. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, metadata, blobs } = deps;
  const clock = deps.clock ?? (() => new Date());
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
      request.log.info({ method: request.method, path: '[malformed url]', statusCode: 400 }, 'request');
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

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // One line per request, without query strings, headers or bodies (they carry tokens and IVs).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: pathOnly(request.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  await app.register(helmet, {
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], formAction: ["'self'"] } },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
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
    clock,
  });

  const serverKeys = await loadServerKeys(deps.vault, config.vault);
  await app.register(vaultPlugin, {
    prefix: '/server',
    config,
    stores: { metadata, vault: deps.vault, objects: deps.objects, apiKeys: deps.apiKeys, replays: deps.replays, rateLimits: deps.rateLimits },
    serverKeys,
    malformedUrl: malformedVaultUrl,
    clock,
  });
  await app.register(openApiRoute);
  return { app, files, serverKeys };
}
