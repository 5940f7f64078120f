import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import {
  parsePreloginRequest,
  parseRegisterRequest,
  parseUserDeleteRequest,
  parseUserSearchRequest,
  parseUserUpdateRequest,
} from '../../protocol/vault/accounts.js';
import { FieldReader } from '../../protocol/vault/fields.js';
import { parseActivateTokenRequest, parseLoginRequest, parseLogoutRequest } from '../../protocol/vault/sessions.js';
import type { AuthContext } from './auth.js';
import { objectRoutes } from './object-routes.js';
import type { VaultPluginOptions, VaultRouteConfig } from './plugin.js';
import type { Throttle } from './throttle.js';

// Vault answers are Psono's JSON (encrypted once authenticated): declared as any JSON, so the
// serializer never drops a field of an envelope.
const ANY_JSON = Type.Unknown();
const RESPONSES = { response: { '2xx': ANY_JSON, '4xx': ANY_JSON, '5xx': ANY_JSON } };
const METHODS = ['GET', 'PUT', 'POST', 'DELETE'] as const;
// Before a caller is authenticated, bodies are small (a login, a registration): no reading 16 MiB
// for anyone who asks.
const ANONYMOUS_BODY_LIMIT = 64 * 1024;

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The caller, for routes that require a token (the preHandler has authenticated it). */
function authOf(request: FastifyRequest): AuthContext {
  if (!request.vaultAuth) throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'Invalid token or not yet activated.' });
  return request.vaultAuth;
}

export async function vaultRoutes(app: FastifyInstance, options: VaultPluginOptions, throttle: Throttle): Promise<void> {
  const { accounts, sessions } = options;
  const registered = new Map<string, Set<string>>();
  const route = (method: (typeof METHODS)[number], url: string, vault: VaultRouteConfig, handler: Handler) => {
    const bodyLimit = vault.auth === 'none' ? ANONYMOUS_BODY_LIMIT : options.config.maxBodyBytes;
    app.route({ method, url, schema: RESPONSES, config: { vault }, bodyLimit, handler });
    registered.set(url, (registered.get(url) ?? new Set()).add(method));
  };

  route('GET', '/info/', { auth: 'none', scope: 'info', flag: 'none' }, async () => options.signedInfo);

  route('GET', '/healthcheck/', { auth: 'none', scope: 'health_check', flag: 'none' }, async (request, reply) => {
    const { dbRead, dbSync } = await options.healthy();
    const body = { db_read: { healthy: dbRead }, db_sync: { healthy: dbSync }, time_sync: { healthy: true }, _info: { ip: request.ip } };
    return reply.code(dbRead && dbSync ? 200 : 400).send(body);
  });

  route('POST', '/authentication/register/', { auth: 'none', scope: 'registration', flag: 'none' }, async (request, reply) => {
    if (!options.signupsAllowed) throw new BlindvaultError('REGISTRATION_HAS_BEEN_DISABLED');
    await accounts.register(parseRegisterRequest(request.vaultBody, options.config.allowedUsernameDomains));
    return reply.code(201).send({ success: 'REGISTRATION_SUCCESSFUL' });
  });

  // No e-mail verification runs while SMTP is not set up, so no activation code can be right.
  route('POST', '/authentication/verify-email/', { auth: 'none', scope: 'verify_email', flag: 'none' }, async (request) => {
    const fields = new FieldReader(request.vaultBody);
    fields.string('activation_code', { required: true, maxLength: 512 });
    fields.done();
    throw new BlindvaultError('ACTIVATION_CODE_INCORRECT');
  });

  route('POST', '/authentication/prelogin/', { auth: 'none', scope: 'prelogin', flag: 'none' }, async (request) =>
    accounts.prelogin(parsePreloginRequest(request.vaultBody).username),
  );

  route('POST', '/authentication/login/', { auth: 'none', scope: 'login', flag: 'none' }, async (request) =>
    sessions.login(parseLoginRequest(request.vaultBody)),
  );

  route('POST', '/authentication/activate-token/', { auth: 'token*', flag: 'write' }, async (request) => {
    const { verification, verificationNonce } = parseActivateTokenRequest(request.vaultBody);
    return sessions.activate(authOf(request), verification, verificationNonce);
  });

  route('POST', '/authentication/logout/', { auth: 'token', flag: 'none', apiKey: 'restricted' }, async (request) => {
    const auth = authOf(request);
    const { sessionId } = parseLogoutRequest(request.vaultBody);
    // An API-key session ends itself only (spec §1.5).
    if (auth.apiKey && sessionId !== undefined && sessionId !== auth.session.id) throw new BlindvaultError('VAULT_PERMISSION_DENIED');
    await sessions.logout(auth, sessionId);
    return { success: 'Successfully logged out.' };
  });

  route('GET', '/authentication/sessions/', { auth: 'token', flag: 'read', apiKey: 'deny' }, async (request) => sessions.list(authOf(request)));

  route('PUT', '/user/update/', { auth: 'token', scope: 'user_update', flag: 'write', apiKey: 'deny' }, async (request) => {
    await accounts.updateUser(authOf(request), parseUserUpdateRequest(request.vaultBody));
    return { success: 'User updated.' };
  });

  route('POST', '/user/search/', { auth: 'token', scope: 'user_search', flag: 'write' }, async (request) =>
    accounts.searchUsers(authOf(request), parseUserSearchRequest(request.vaultBody), { allowByEmail: options.config.allowUserSearchByEmail }),
  );

  route('DELETE', '/user/delete/', { auth: 'token', scope: 'user_delete', flag: 'write', apiKey: 'deny' }, async (request) => {
    await accounts.deleteUser(authOf(request), parseUserDeleteRequest(request.vaultBody).authkey);
    return {};
  });

  route('GET', '/user/status/', { auth: 'token', scope: 'status_check', flag: 'read' }, async (request) => accounts.status(authOf(request)));

  route('GET', '/avatar/', { auth: 'token', flag: 'read' }, async () => ({ avatars: [] }));

  for (const [url, methods] of objectRoutes(app, { ...options.objects, maxBodyBytes: options.config.maxBodyBytes, throttle })) {
    registered.set(url, new Set([...(registered.get(url) ?? []), ...methods]));
  }

  // A known path with a method it does not take: 405 (spec §0.1), `{}` for the methods Psono's
  // handlers know, a DRF message for the others.
  for (const [url, methods] of registered) {
    const missing = METHODS.filter((m) => !methods.has(m));
    app.route({
      method: [...missing, 'PATCH', ...(methods.has('GET') ? [] : ['HEAD'])] as HTTPMethods[],
      url,
      schema: { ...RESPONSES, ...(url.includes(':id') ? { params: Type.Object({ id: Type.String({ maxLength: 128 }) }) } : {}) },
      config: { vault: { auth: 'optional', flag: 'none' } },
      handler: async (request) => {
        if (request.method === 'PATCH' || request.method === 'HEAD') {
          throw new BlindvaultError('VAULT_METHOD_NOT_ALLOWED', { detail: `Method "${request.method}" not allowed.`, shape: 'detail' });
        }
        throw new BlindvaultError('VAULT_METHOD_NOT_ALLOWED');
      },
    });
  }
}
