import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError, type ErrorCode } from '../../protocol/errors.js';
import { FieldReader } from '../../protocol/vault/fields.js';
import {
  parseApiKeyCreate,
  parseApiKeyLogin,
  parseApiKeySecretCreate,
  parseApiKeyUpdate,
  parseDatastoreCreate,
  parseDatastoreDelete,
  parseDatastoreUpdate,
  parseLinkId,
  parseLinkMove,
  parseSecretCreate,
  parseSecretUpdate,
  parseShareCreate,
  parseShareLinkCreate,
  parseShareRightAccept,
  parseShareRightDelete,
  parseShareRightGrant,
  parseShareRightId,
  parseShareRightUpdate,
  parseShareUpdate,
  parseUuidField,
} from '../../protocol/vault/objects.js';
import type { ApiKeysService } from './api-keys-service.js';
import type { AuthContext } from './auth.js';
import type { DatastoresService } from './datastores-service.js';
import type { VaultRouteConfig } from './plugin.js';
import type { SecretsService } from './secrets-service.js';
import type { SharesService } from './shares-service.js';
import type { Throttle } from './throttle.js';

export interface ObjectRoutesOptions {
  datastores: DatastoresService;
  secrets: SecretsService;
  shares: SharesService;
  apiKeys: ApiKeysService;
  maxBodyBytes: number;
  /** Counts session-less access per key as well as per client address (spec §4, BV api_key_access). */
  throttle: Throttle;
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
type Handler = (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => Promise<unknown>;

const ANY_JSON = Type.Unknown();
const RESPONSES = { response: { '2xx': ANY_JSON, '4xx': ANY_JSON, '5xx': ANY_JSON } };
// Ids in paths are checked by the handlers, which answer each path's own Psono error (§3.5–3.9).
const ID_PARAMS = Type.Object({ id: Type.String({ maxLength: 128 }) });
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ANONYMOUS_BODY_LIMIT = 64 * 1024;

const read = (extra: Partial<VaultRouteConfig> = {}): VaultRouteConfig => ({ auth: 'token', flag: 'read', ...extra });
const write = (extra: Partial<VaultRouteConfig> = {}): VaultRouteConfig => ({ auth: 'token', flag: 'write', ...extra });

function authOf(request: FastifyRequest): AuthContext {
  if (!request.vaultAuth) throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'Invalid token or not yet activated.' });
  return request.vaultAuth;
}

/**
 * The path id as a lower-case UUID, or the error that path answers for a malformed one; the
 * API-key and share-right paths name the id in it (`resource_id`), the others do not.
 */
function pathId(request: FastifyRequest<{ Params: { id?: string } }>, malformed: ErrorCode, options: { withResourceId?: boolean } = {}): string {
  const id = request.params.id ?? '';
  if (!UUID.test(id)) throw new BlindvaultError(malformed, options.withResourceId ? { resourceId: id } : {});
  return id.toLowerCase();
}

/** Datastores, secrets, links, shares, share rights, API keys and API-key access (spec §3.5–3.9). */
export function objectRoutes(app: FastifyInstance, options: ObjectRoutesOptions): Map<string, Set<string>> {
  const { datastores, secrets, shares, apiKeys } = options;
  const registered = new Map<string, Set<string>>();
  const route = (method: Method, url: string, vault: VaultRouteConfig, handler: Handler) => {
    app.route({
      method,
      url,
      schema: { ...RESPONSES, ...(url.includes(':id') ? { params: ID_PARAMS } : {}) },
      config: { vault },
      bodyLimit: vault.auth === 'none' ? ANONYMOUS_BODY_LIMIT : options.maxBodyBytes,
      handler: handler as never,
    });
    registered.set(url, (registered.get(url) ?? new Set()).add(method));
  };
  const body = (request: FastifyRequest) => request.vaultBody;

  // Datastores (§3.5). An API-key session acts as the owner, but may not delete one (§1.5).
  route('GET', '/datastore/', read(), async (r) => datastores.list(authOf(r)));
  route('GET', '/datastore/:id/', read(), async (r) => datastores.read(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN')));
  route('PUT', '/datastore/', write(), async (r, reply) => reply.code(201).send(await datastores.create(authOf(r), parseDatastoreCreate(body(r)))));
  route('POST', '/datastore/', write(), async (r) => datastores.update(authOf(r), parseDatastoreUpdate(body(r))));
  route('DELETE', '/datastore/', write({ apiKey: 'deny' }), async (r) => {
    const { datastoreId, authkey } = parseDatastoreDelete(body(r));
    return datastores.remove(authOf(r), datastoreId, authkey);
  });

  // Secrets (§3.6). A restricted API key reads and writes only its own secrets.
  route('GET', '/secret/', read(), async () => {
    throw new BlindvaultError('SECRET_ID_NOT_PROVIDED');
  });
  route('GET', '/secret/:id/', read({ apiKey: 'restricted' }), async (r) => secrets.read(authOf(r), pathId(r, 'SECRET_ID_MALFORMED')));
  route('PUT', '/secret/', write(), async (r, reply) => reply.code(201).send(await secrets.create(authOf(r), parseSecretCreate(body(r)))));
  route('POST', '/secret/', write({ apiKey: 'restricted' }), async (r) => secrets.update(authOf(r), parseSecretUpdate(body(r))));
  route('GET', '/secret/history/:id/', read(), async (r) => secrets.history(authOf(r), pathId(r, 'SECRET_ID_BADLY_FORMED')));
  route('GET', '/history/:id/', read(), async (r) => secrets.historyEntry(authOf(r), pathId(r, 'SECRET_HISTORY_ID_BADLY_FORMED')));
  route('POST', '/secret/link/', write(), async (r) => secrets.moveLink(authOf(r), parseLinkMove(body(r))));
  route('DELETE', '/secret/link/', write(), async (r) => secrets.deleteLink(authOf(r), parseLinkId(body(r)).linkId));

  // Shares (§3.7): POST creates and PUT updates.
  route('GET', '/share/', read(), async (r) => shares.list(authOf(r)));
  route('GET', '/share/:id/', read(), async (r) => shares.read(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')));
  route('POST', '/share/', write(), async (r, reply) => reply.code(201).send(await shares.create(authOf(r), parseShareCreate(body(r)))));
  route('PUT', '/share/', write(), async (r) => shares.update(authOf(r), parseShareUpdate(body(r))));
  route('PUT', '/share/link/', write(), async (r, reply) => reply.code(201).send(await shares.createLink(authOf(r), parseShareLinkCreate(body(r)))));
  route('POST', '/share/link/', write(), async (r) => {
    const { linkId, parent } = parseLinkMove(body(r));
    return shares.moveLink(authOf(r), linkId, parent);
  });
  route('DELETE', '/share/link/', write(), async (r) => shares.deleteLink(authOf(r), parseLinkId(body(r)).linkId));

  // Share rights (§3.8)
  route('GET', '/share/rights/:id/', read(), async (r) => shares.rightsOfShare(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')));
  route('GET', '/share/right/', read(), async (r) => shares.myRights(authOf(r)));
  route('GET', '/share/right/:id/', read(), async (r) => shares.readRight(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN', { withResourceId: true })));
  route('PUT', '/share/right/', write(), async (r, reply) => reply.code(201).send(await shares.grant(authOf(r), parseShareRightGrant(body(r)))));
  route('POST', '/share/right/', write(), async (r) => shares.updateRight(authOf(r), parseShareRightUpdate(body(r))));
  route('DELETE', '/share/right/', write(), async (r) => shares.deleteRight(authOf(r), parseShareRightDelete(body(r)).rightId));
  route('POST', '/share/right/accept/', write(), async (r) => shares.accept(authOf(r), parseShareRightAccept(body(r))));
  route('POST', '/share/right/decline/', write(), async (r) => shares.decline(authOf(r), parseShareRightId(body(r)).rightId));

  // API keys (§3.9): managed from the owner's own sessions only (§1.5).
  const owner = { apiKey: 'deny' } as const;
  route('GET', '/api-key/', read(owner), async (r) => apiKeys.list(authOf(r)));
  route('GET', '/api-key/:id/', read(owner), async (r) => apiKeys.read(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })));
  route('PUT', '/api-key/', write(owner), async (r, reply) => reply.code(201).send(await apiKeys.create(authOf(r), parseApiKeyCreate(body(r)))));
  route('POST', '/api-key/', write(owner), async (r) => apiKeys.update(authOf(r), parseApiKeyUpdate(body(r))));
  route('DELETE', '/api-key/', write(owner), async (r) => apiKeys.remove(authOf(r), parseUuidField(body(r), 'api_key_id')));
  route('GET', '/api-key/secret/:id/', read(owner), async (r) => apiKeys.listSecrets(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })));
  route('PUT', '/api-key/secret/', write(owner), async (r, reply) => reply.code(201).send(await apiKeys.addSecret(authOf(r), parseApiKeySecretCreate(body(r)))));
  route('DELETE', '/api-key/secret/', write(owner), async (r) => apiKeys.removeSecret(authOf(r), parseUuidField(body(r), 'api_key_secret_id')));

  route('POST', '/api-key/login/', { auth: 'none', scope: 'api_key_login', flag: 'none' }, async (r) => {
    const { info, signature } = parseApiKeyLogin(body(r));
    return apiKeys.login(info, signature);
  });

  // Session-less access with the key id as the credential (§3.9.4); insecure mode is refused.
  const anonymous: VaultRouteConfig = { auth: 'none', scope: 'api_key_access', flag: 'none' };
  route('POST', '/api-key-access/secret/', anonymous, async (r) => {
    const f = new FieldReader(body(r));
    const apiKeyId = f.uuid('api_key_id', true);
    const secretId = f.uuid('secret_id', true);
    const insecure = f.hex('api_key_secret_key', { length: 64 }) !== undefined;
    f.string('json_filter', { maxLength: 256 });
    f.done();
    await options.throttle('api_key_access', `key:${apiKeyId as string}`);
    return apiKeys.accessRead(apiKeyId as string, secretId as string, insecure);
  });
  route('PUT', '/api-key-access/secret/', anonymous, async (r) => {
    const f = new FieldReader(body(r));
    const apiKeyId = f.uuid('api_key_id', true);
    const secretId = f.uuid('secret_id', true);
    const insecure = f.string('api_key_secret_key', { maxLength: 64 }) !== undefined || f.string('insecure_data', { maxLength: 1024 * 1024 }) !== undefined;
    const data = f.hex('data', { minLength: 32, maxLength: 50 * 1024 * 1024 });
    const dataNonce = f.nonce('data_nonce', !insecure);
    if (!insecure && data === undefined) f.fail('data', 'This field is required.');
    f.done();
    await options.throttle('api_key_access', `key:${apiKeyId as string}`);
    return apiKeys.accessWrite(apiKeyId as string, secretId as string, insecure ? 'insecure' : { data: data as string, dataNonce: dataNonce as string });
  });
  route('POST', '/api-key-access/inspect/', anonymous, async (r) => {
    const apiKeyId = parseUuidField(body(r), 'api_key_id');
    await options.throttle('api_key_access', `key:${apiKeyId}`);
    return apiKeys.inspect(apiKeyId);
  });

  return registered;
}
