import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { openJson, sealJson } from '../../protocol/vault/envelope.js';
import type { ApiKeyStore } from '../../store/api-key-store.js';
import type { ReplayStore } from '../../store/replay-store.js';
import type { RateLimitStore } from '../../store/rate-limit-store.js';
import type { VaultStore } from '../../store/vault-store.js';
import type { ThrottleScope, VaultConfig } from '../config.js';
import type { AccountsService } from './accounts-service.js';
import { createAuthenticator, type AuthContext } from './auth.js';
import { renderVaultError } from './errors.js';
import type { ObjectRoutesOptions } from './object-routes.js';
import { vaultRoutes } from './routes.js';
import type { SignedInfo } from './server-keys.js';
import type { SessionsService } from './sessions-service.js';
import { createThrottle } from './throttle.js';

/** How a vault route is reached (spec §0.4): who may call it, its throttle scope, the flag it needs. */
export interface VaultRouteConfig {
  /** 'optional' only for 405 answers: authenticated when possible, so the answer can be encrypted. */
  auth: 'none' | 'token' | 'token*' | 'optional';
  scope?: ThrottleScope;
  flag: 'read' | 'write' | 'none';
  /**
   * API-key sessions (spec §1.5): by default unrestricted keys pass and restricted ones do not;
   * 'deny' refuses every API-key session (account management); 'restricted' lets restricted keys
   * through to a handler that checks the key's own secrets.
   */
  apiKey?: 'deny' | 'restricted';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    vault?: VaultRouteConfig;
  }
  interface FastifyRequest {
    vaultAuth?: AuthContext;
    /** The request body: plain JSON, or the opened envelope of a token route. */
    vaultBody?: unknown;
  }
}

export interface VaultPluginOptions {
  config: VaultConfig;
  signupsAllowed: boolean;
  corsOrigins: string[];
  vault: VaultStore;
  apiKeys: ApiKeyStore;
  replays: ReplayStore;
  rateLimits: RateLimitStore;
  accounts: AccountsService;
  sessions: SessionsService;
  /** The services of datastores, secrets, shares and API keys. */
  objects: Omit<ObjectRoutesOptions, 'maxBodyBytes' | 'throttle'>;
  signedInfo: SignedInfo;
  healthy: () => Promise<{ dbRead: boolean; dbSync: boolean }>;
  clock: () => Date;
}

/** The Psono-compatible vault under /server (spec vault-protocol.md). */
export async function vaultPlugin(app: FastifyInstance, options: VaultPluginOptions): Promise<void> {
  const { config, clock } = options;
  const authenticator = createAuthenticator({ vault: options.vault, apiKeys: options.apiKeys, replays: options.replays, config, clock });
  const throttle = createThrottle(options.rateLimits, config.throttles, clock);

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
    origin: options.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'authorization-validator', 'content-type', 'accept', 'pragma', 'cache-control', 'if-modified-since', 'audit-log'],
  });

  // Who is calling is settled before the body is read, so that every answer to an authenticated
  // caller (a 413 for an oversized body, a 405 included) is encrypted.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const route = request.routeOptions.config.vault;
    if (!route) return;
    if (route.auth === 'none') {
      await throttle('anon', request.ip);
      if (route.scope) await throttle(route.scope, request.ip);
      return;
    }
    const validator = request.headers['authorization-validator'];
    const headers = {
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      ...(typeof validator === 'string' ? { validator } : {}),
    };
    if (route.auth === 'optional') {
      // 405 answers: encrypted when the caller holds a valid session, plain otherwise.
      if (headers.authorization) request.vaultAuth = await authenticator.authenticate(headers, { allowInactive: false }).catch(() => undefined);
      return;
    }
    const auth = await authenticator.authenticate(headers, { allowInactive: route.auth === 'token*' });
    // From here on every answer, errors included, is encrypted with the session secret.
    request.vaultAuth = auth;
    await throttle('user', auth.user.id);
    if (route.scope) await throttle(route.scope, auth.user.id);
    const needs = route.flag === 'none' ? undefined : route.flag;
    if ((needs === 'read' && !auth.session.read) || (needs === 'write' && !auth.session.write)) {
      throw new BlindvaultError('VAULT_PERMISSION_DENIED');
    }
    if (auth.apiKey && (route.apiKey === 'deny' || (auth.apiKey.restrictToSecrets && route.apiKey !== 'restricted'))) {
      throw new BlindvaultError('VAULT_PERMISSION_DENIED');
    }
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

  // Same encapsulation context, so the hooks above apply (and the prefix is not applied twice).
  await vaultRoutes(app, options, throttle);
}
