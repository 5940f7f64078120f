import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError, type ErrorCode } from '../../protocol/errors.js';
import { VaultErrorResponse, type VaultAnswers } from '../../protocol/vault/responses.js';
import type { ThrottleScope } from '../config.js';
import type { AuthContext } from './auth/authenticator.js';

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
  /**
   * The handler checks the caller's authkey (an Argon2id verification): its scope must be as strict
   * as account deletion's (the route-table test holds every such route to it).
   */
  checksAuthkey?: true;
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

export const VAULT_METHODS = ['GET', 'PUT', 'POST', 'DELETE'] as const;
export type VaultMethod = (typeof VAULT_METHODS)[number];
export type VaultHandler = (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => Promise<unknown>;

/**
 * Every route's answers: its own per status, then the error shapes of §0.3 for any other 4xx and for
 * a 5xx. They are plaintext schemas: the onSend hook seals the serialized answer afterwards (§1.4).
 */
export function vaultResponses(answers: VaultAnswers) {
  return { ...answers, '4xx': VaultErrorResponse, '5xx': VaultErrorResponse };
}
// Ids in paths are checked by the handlers, which answer each path's own Psono error (§3.5–3.9).
export const ID_PARAMS = Type.Object({ id: Type.String({ maxLength: 128 }) });
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Before a caller is authenticated, bodies are small (a login, a registration): no reading 16 MiB
// for anyone who asks. Only routes that require a valid session take up to VAULT_MAX_BODY_BYTES.
export const ANONYMOUS_BODY_LIMIT = 64 * 1024;

/** Registers the vault's routes of every room, and remembers which methods each path takes. */
export interface VaultRouter {
  route(method: VaultMethod, url: string, vault: VaultRouteConfig, answers: VaultAnswers, handler: VaultHandler): void;
  /** Every path with the methods it takes, for the 405 answers of the others. */
  readonly registered: ReadonlyMap<string, ReadonlySet<VaultMethod>>;
}

export function createVaultRouter(app: FastifyInstance, options: { maxBodyBytes: number }): VaultRouter {
  const registered = new Map<string, Set<VaultMethod>>();
  return {
    registered,
    route(method, url, vault, answers, handler) {
      app.route({
        method,
        url,
        schema: { response: vaultResponses(answers), ...(url.includes(':id') ? { params: ID_PARAMS } : {}) },
        config: { vault },
        bodyLimit: vault.auth === 'none' ? ANONYMOUS_BODY_LIMIT : options.maxBodyBytes,
        handler: handler as never,
      });
      registered.set(url, (registered.get(url) ?? new Set()).add(method));
    },
  };
}

export const read = (extra: Partial<VaultRouteConfig> = {}): VaultRouteConfig => ({ auth: 'token', flag: 'read', ...extra });
export const write = (extra: Partial<VaultRouteConfig> = {}): VaultRouteConfig => ({ auth: 'token', flag: 'write', ...extra });

/** The headers that authenticate a vault request (spec §1.2, §1.3), as the authenticator takes them. */
export function credentialsOf(request: FastifyRequest): { authorization?: string; validator?: string } {
  const validator = request.headers['authorization-validator'];
  return {
    ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
    ...(typeof validator === 'string' ? { validator } : {}),
  };
}

/** The caller, for routes that require a token (the onRequest hook has authenticated it). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.vaultAuth) throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'Invalid token or not yet activated.' });
  return request.vaultAuth;
}

/**
 * The path id as a lower-case UUID, or the error that path answers for a malformed one; the
 * API-key and share-right paths name the id in it (`resource_id`), the others do not.
 */
export function pathId(request: FastifyRequest<{ Params: { id?: string } }>, malformed: ErrorCode, options: { withResourceId?: boolean } = {}): string {
  const id = request.params.id ?? '';
  if (!UUID.test(id)) throw new BlindvaultError(malformed, options.withResourceId ? { resourceId: id } : {});
  return id.toLowerCase();
}
