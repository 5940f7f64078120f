import { FieldReader } from '../../../protocol/vault/fields.js';
import { parseApiKeyCreate, parseApiKeyLogin, parseApiKeySecretCreate, parseApiKeyUpdate, parseUuidField } from '../../../protocol/vault/objects.js';
import {
  ApiKeyAccessReadResponse,
  ApiKeyCreateResponse,
  ApiKeyInspectResponse,
  ApiKeyListResponse,
  ApiKeyLoginResponse,
  ApiKeyReadResponse,
  ApiKeySecretCreateResponse,
  ApiKeySecretListResponse,
  EmptyResponse,
} from '../../../protocol/vault/responses.js';
import type { Throttle } from '../auth/throttle.js';
import { authOf, pathId, read, write, type VaultRouteConfig, type VaultRouter } from '../routing.js';
import type { ApiKeysService } from './service.js';

export interface ApiKeysRoutesOptions {
  apiKeys: ApiKeysService;
  /** Counts session-less access per key as well as per client address (spec §4, BV api_key_access). */
  throttle: Throttle;
}

/** API keys, their secrets, the API-key login and session-less access (spec §3.9). */
export function apiKeysRoutes({ route }: VaultRouter, { apiKeys, throttle }: ApiKeysRoutesOptions): void {
  // Managed from the owner's own sessions only (§1.5).
  const owner = { apiKey: 'deny' } as const;
  route('GET', '/api-key/', read(owner), { 200: ApiKeyListResponse }, async (r) => apiKeys.list(authOf(r)));
  route('GET', '/api-key/:id/', read(owner), { 200: ApiKeyReadResponse }, async (r) =>
    apiKeys.read(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })),
  );
  route('PUT', '/api-key/', write(owner), { 201: ApiKeyCreateResponse }, async (r, reply) =>
    reply.code(201).send(await apiKeys.create(authOf(r), parseApiKeyCreate(r.vaultBody))),
  );
  route('POST', '/api-key/', write(owner), { 200: EmptyResponse }, async (r) => apiKeys.update(authOf(r), parseApiKeyUpdate(r.vaultBody)));
  route('DELETE', '/api-key/', write(owner), { 200: EmptyResponse }, async (r) => apiKeys.remove(authOf(r), parseUuidField(r.vaultBody, 'api_key_id')));
  route('GET', '/api-key/secret/:id/', read(owner), { 200: ApiKeySecretListResponse }, async (r) =>
    apiKeys.listSecrets(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })),
  );
  route('PUT', '/api-key/secret/', write(owner), { 201: ApiKeySecretCreateResponse }, async (r, reply) =>
    reply.code(201).send(await apiKeys.addSecret(authOf(r), parseApiKeySecretCreate(r.vaultBody))),
  );
  route('DELETE', '/api-key/secret/', write(owner), { 200: EmptyResponse }, async (r) =>
    apiKeys.removeSecret(authOf(r), parseUuidField(r.vaultBody, 'api_key_secret_id')),
  );

  route('POST', '/api-key/login/', { auth: 'none', scope: 'api_key_login', flag: 'none' }, { 200: ApiKeyLoginResponse }, async (r) => {
    const { info, signature } = parseApiKeyLogin(r.vaultBody);
    return apiKeys.login(info, signature);
  });

  // Session-less access with the key id as the credential (§3.9.4); insecure mode is refused.
  const anonymous: VaultRouteConfig = { auth: 'none', scope: 'api_key_access', flag: 'none' };
  route('POST', '/api-key-access/secret/', anonymous, { 200: ApiKeyAccessReadResponse }, async (r) => {
    const f = new FieldReader(r.vaultBody);
    const apiKeyId = f.uuid('api_key_id', true);
    const secretId = f.uuid('secret_id', true);
    const insecure = f.hex('api_key_secret_key', { length: 64 }) !== undefined;
    f.string('json_filter', { maxLength: 256 });
    f.done();
    await throttle('api_key_access', `key:${apiKeyId as string}`);
    return apiKeys.accessRead(apiKeyId as string, secretId as string, insecure);
  });
  route('PUT', '/api-key-access/secret/', anonymous, { 200: EmptyResponse }, async (r) => {
    const f = new FieldReader(r.vaultBody);
    const apiKeyId = f.uuid('api_key_id', true);
    const secretId = f.uuid('secret_id', true);
    const insecure = f.string('api_key_secret_key', { maxLength: 64 }) !== undefined || f.string('insecure_data', { maxLength: 1024 * 1024 }) !== undefined;
    const data = f.hex('data', { minLength: 32, maxLength: 50 * 1024 * 1024 });
    const dataNonce = f.nonce('data_nonce', !insecure);
    if (!insecure && data === undefined) f.fail('data', 'This field is required.');
    f.done();
    await throttle('api_key_access', `key:${apiKeyId as string}`);
    return apiKeys.accessWrite(apiKeyId as string, secretId as string, insecure ? 'insecure' : { data: data as string, dataNonce: dataNonce as string });
  });
  route('POST', '/api-key-access/inspect/', anonymous, { 200: ApiKeyInspectResponse }, async (r) => {
    const apiKeyId = parseUuidField(r.vaultBody, 'api_key_id');
    await throttle('api_key_access', `key:${apiKeyId}`);
    return apiKeys.inspect(apiKeyId);
  });
}
