import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { openJson, sealJson } from '../../protocol/vault/envelope.js';
import type { ApiKeyStore } from '../../store/api-key-store.js';
import type { ReplayStore } from '../../store/replay-store.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { SendStore } from '../../store/send-store.js';
import type { AccountRecoveryStore } from '../../store/account-recovery-store.js';
import type { SecondFactorStore } from '../../store/second-factor-store.js';
import type { LinkShareStore } from '../../store/link-share-store.js';
import type { MetadataStore } from '../../store/metadata-store.js';
import type { VaultObjectStore } from '../../store/vault-object-store.js';
import type { VaultStore } from '../../store/vault-store.js';
import type { Config } from '../config.js';
import { accountsRoutes } from './accounts/routes.js';
import { createAccountsService } from './accounts/service.js';
import { apiKeysRoutes } from './api-keys/routes.js';
import { createApiKeysService } from './api-keys/service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createPolicy, sessionMayUse } from './auth/policy.js';
import { createThrottle, throttled } from './auth/throttle.js';
import { createFailureThrottle } from '../rate-limiter.js';
import type { AuthContext } from './auth/authenticator.js';
import { renderVaultError } from './errors.js';
import { infoRoutes } from './info/routes.js';
import { methodNotAllowedRoutes } from './method-not-allowed.js';
import { datastoresRoutes } from './objects/datastores/routes.js';
import { createDatastoresService } from './objects/datastores/service.js';
import { secretsRoutes } from './objects/secrets/routes.js';
import { createSecretsService } from './objects/secrets/service.js';
import { groupsRoutes } from './groups/routes.js';
import { createGroupsService } from './groups/service.js';
import { sharesRoutes } from './objects/shares/routes.js';
import { createSharesService } from './objects/shares/service.js';
import { createMalformedUrlAnswer, type MalformedUrlAnswer } from './malformed-url.js';
import { createVaultRouter, credentialsOf } from './routing.js';
import { buildSignedInfo, type ServerKeys } from './server-keys.js';
import { sendRoutes } from './send/routes.js';
import { createSendService } from './send/service.js';
import { sessionsRoutes } from './sessions/routes.js';
import { recoveryRoutes } from './recovery/routes.js';
import { createRecoveryService } from './recovery/service.js';
import { emergencyRoutes } from './emergency/routes.js';
import { createEmergencyService } from './emergency/service.js';
import { createSessionsService } from './sessions/service.js';
import { secondFactorsRoutes } from './second-factors/routes.js';
import { linkSharesRoutes } from './link-shares/routes.js';
import { createLinkSharesService } from './link-shares/service.js';
import { createSecondFactorsService } from './second-factors/service.js';
import { addressSubject } from '../edge/address-subject.js';

export interface VaultPluginOptions {
  config: Config;
  /** The stores the vault's services are built on; metadata only answers the health check. */
  stores: {
    metadata: MetadataStore;
    vault: VaultStore;
    objects: VaultObjectStore;
    apiKeys: ApiKeyStore;
    replays: ReplayStore;
    rateLimits: RateLimitStore;
    sends: SendStore;
    recovery: AccountRecoveryStore;
    secondFactors: SecondFactorStore;
    linkShares: LinkShareStore;
    blobs: BlobStore;
  };
  /** The server's key material, loaded by the caller (main and tests also read it). */
  serverKeys: ServerKeys;
  /**
   * Filled in by the plugin: the answer to a /server/ URL that Fastify refuses before routing (its
   * frameworkErrors handler is server-wide, so the caller forwards such requests here).
   */
  malformedUrl?: { answer?: MalformedUrlAnswer };
  clock: () => Date;
}

/** The Psono-compatible vault under /server (docs/vault-protocol.md). */
export async function vaultPlugin(app: FastifyInstance, options: VaultPluginOptions): Promise<void> {
  const { clock, serverKeys: keys } = options;
  const { vault, objects, apiKeys, replays, rateLimits, metadata, sends, blobs, recovery, secondFactors: factorStore, linkShares: linkShareStore } = options.stores;
  const config = options.config.vault;
  const authenticator = createAuthenticator({ vault, apiKeys, replays, config, clock });
  const throttle = createThrottle(rateLimits, config.throttles, clock);
  const failures = createFailureThrottle(rateLimits, options.config.failedAuthRate, clock);

  /**
   * Authenticates, counting a failure (401) against the client's address (FAILED_AUTH_RATE, shared
   * with the owner tokens of the files). An address that has used up its failures is refused
   * whatever it sends, a right token included, so guessing gains nothing; the check runs beside
   * the authentication, and a caller who does not fail is never counted.
   */
  async function authenticateCounted(request: FastifyRequest, headers: { authorization?: string; validator?: string }, allowInactive: boolean): Promise<AuthContext> {
    const [over, outcome] = await Promise.all([
      failures.check(addressSubject(request.ip)),
      authenticator.authenticate(headers, { allowInactive }).then(
        (auth) => ({ auth }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (over) throw throttled(over.retryAfterSeconds);
    if ('auth' in outcome) return outcome.auth;
    if (outcome.error instanceof BlindvaultError && outcome.error.status === 401) await failures.fail(addressSubject(request.ip));
    throw outcome.error;
  }

  if (options.malformedUrl) options.malformedUrl.answer = createMalformedUrlAnswer(authenticator);

  // The composition root of the vault: every service is built here, from the stores.
  const policy = createPolicy({ objects, apiKeys, clock });
  const accounts = createAccountsService({ vault, keys, signupsAllowed: options.config.signupsAllowed, pendingGroups: (userId) => objects.groups.countPendingMemberships(userId), pendingShares: (userId) => objects.countPendingRightsOf(userId, clock()), clock });
  const origin = (url: string | undefined) => (url ? new URL(url).origin : undefined);
  const { publicUrl, host, port } = options.config;
  const served = config.webClientDir !== undefined && publicUrl !== undefined ? `${publicUrl}/vault` : undefined;
  const webClient = origin(config.webClientUrl) ?? served ?? origin(publicUrl) ?? `http://${host}:${port}`;
  // BV: only named origins may call the vault from a browser (Psono allows every origin).
  const corsOrigins = [...new Set([origin(publicUrl), origin(config.webClientUrl), ...config.corsOrigins].filter((o): o is string => o !== undefined))];
  // BV: WebAuthn credentials only for the origins of our own web clients (§3.15).
  const secondFactors = createSecondFactorsService({ secondFactors: factorStore, replays, keys, webauthnOrigins: [...new Set([...corsOrigins, origin(webClient) as string])], clock });
  const sessions = createSessionsService({ vault, replays, keys, accounts, config, secondFactors, clock });
  const datastores = createDatastoresService({ objects, accounts, clock });
  const secrets = createSecretsService({ objects, policy, clock });
  const shares = createSharesService({ objects, vault, policy, clock });
  const groups = createGroupsService({ groups: objects.groups, objects, vault, policy, clock });
  const send = createSendService({ sends, blobs, clock });
  const recoveryService = createRecoveryService({ vault, recovery, throttle, clock });
  const emergency = createEmergencyService({ vault, recovery, accounts, keys, config, throttle, clock });
  const linkShares = createLinkSharesService({ linkShares: linkShareStore, throttle, failures, clock });
  const apiKeysService = createApiKeysService({ apiKeys, objects, vault, replays, policy, keys, config, clock });

  const signedInfo = buildSignedInfo(keys, { webClientUrl: webClient, allowUserSearchByEmail: config.allowUserSearchByEmail });
  const healthy = async () => {
    try {
      await metadata.ping();
      return { dbRead: true, dbSync: true };
    } catch {
      return { dbRead: false, dbSync: false };
    }
  };

  // Bodies are JSON only (spec §0.1): anything else is a 415, not a string handed to the handlers.
  // An empty body is no body (token routes then read it as {}), not a parse error.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.maxBodyBytes }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      // JSON.parse makes "__proto__" an own key, never a prototype; handlers read own keys only.
      done(null, JSON.parse(text as string) as unknown);
    } catch (error) {
      done(new BlindvaultError('MALFORMED_BODY', { detail: `JSON parse error - ${(error as Error).message}` }), undefined);
    }
  });
  app.setErrorHandler(renderVaultError);
  app.setNotFoundHandler((request, reply) => renderVaultError(new BlindvaultError('VAULT_NOT_FOUND'), request, reply));
  await app.register(cors, {
    origin: corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'authorization-validator', 'content-type', 'accept', 'pragma', 'cache-control', 'if-modified-since', 'audit-log'],
  });

  // Who is calling is settled before the body is read, so that every answer to an authenticated
  // caller (a 413 for an oversized body, a 405 included) is encrypted.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const route = request.routeOptions.config.vault;
    if (!route) return;
    if (route.auth === 'none') {
      await throttle('anon', addressSubject(request.ip));
      if (route.scope) await throttle(route.scope, addressSubject(request.ip));
      return;
    }
    const headers = credentialsOf(request);
    if (route.auth === 'optional') {
      // 405 answers: encrypted when the caller holds a valid session, plain otherwise; counted like
      // any other request of that caller, per user or per address.
      if (headers.authorization) {
        request.vaultAuth = await authenticateCounted(request, headers, false).catch((error: unknown) => {
          if (error instanceof BlindvaultError && error.code === 'VAULT_THROTTLED') throw error;
          return undefined;
        });
      }
      if (request.vaultAuth) await throttle('user', request.vaultAuth.user.id);
      else await throttle('anon', addressSubject(request.ip));
      return;
    }
    const auth = await authenticateCounted(request, headers, route.auth === 'token*');
    // From here on every answer, errors included, is encrypted with the session secret.
    request.vaultAuth = auth;
    await throttle('user', auth.user.id);
    if (route.scope) await throttle(route.scope, auth.user.id);
    if (!sessionMayUse(auth, route)) throw new BlindvaultError('VAULT_PERMISSION_DENIED');
  });

  app.addHook('preHandler', async (request: FastifyRequest) => {
    const route = request.routeOptions.config.vault;
    if (!route || route.auth === 'optional') return;
    const auth = request.vaultAuth;
    const body: unknown = request.body;
    if (!auth) {
      request.vaultBody = body ?? {};
      return;
    }
    if (request.method === 'GET' || body === undefined || body === null || body === '') {
      request.vaultBody = {};
      return;
    }
    const opened = openJson(auth.sessionSecret.reveal(), body);
    if (!opened) throw new BlindvaultError('VAULT_INVALID_REQUEST');
    request.vaultBody = opened.value;
  });

  // Transport encryption of every non-empty answer to an authenticated caller (spec §1.4).
  app.addHook('onSend', async (request, reply, payload) => {
    const auth = request.vaultAuth;
    if (!auth || reply.statusCode === 401 || typeof payload !== 'string' || payload.length === 0) return payload;
    reply.type('application/json');
    return JSON.stringify(sealJson(auth.sessionSecret.reveal(), JSON.parse(payload) as unknown));
  });

  // The rooms' routes, in the same encapsulation context so that the hooks above apply (and the
  // prefix is not applied twice); then the 405 answers of every path they registered.
  const router = createVaultRouter(app, { maxBodyBytes: config.maxBodyBytes });
  infoRoutes(router, { signedInfo, healthy });
  accountsRoutes(router, { accounts, config, signupsAllowed: options.config.signupsAllowed });
  sessionsRoutes(router, { sessions });
  datastoresRoutes(router, { datastores });
  secretsRoutes(router, { secrets });
  sharesRoutes(router, { shares, groups });
  groupsRoutes(router, { groups });
  apiKeysRoutes(router, { apiKeys: apiKeysService, throttle });
  sendRoutes(router, { send });
  recoveryRoutes(router, { recovery: recoveryService });
  emergencyRoutes(router, { emergency });
  secondFactorsRoutes(router, { secondFactors });
  linkSharesRoutes(router, { linkShares });
  methodNotAllowedRoutes(app, router);
}
