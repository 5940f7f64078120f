import { parseDatastoreCreate, parseDatastoreDelete, parseDatastoreUpdate } from '../../../../protocol/vault/objects.js';
import { DatastoreCreateResponse, DatastoreListResponse, DatastoreReadResponse, EmptyResponse, UpdatedResponse } from '../../../../protocol/vault/responses.js';
import { authOf, pathId, read, write, type VaultRouter } from '../../routing.js';
import type { DatastoresService } from './service.js';

/** Datastores (spec §3.5). An API-key session acts as the owner, but may not delete one (§1.5). */
export function datastoresRoutes({ route }: VaultRouter, { datastores }: { datastores: DatastoresService }): void {
  route('GET', '/datastore/', read(), { 200: DatastoreListResponse }, async (r) => datastores.list(authOf(r)));
  route('GET', '/datastore/:id/', read(), { 200: DatastoreReadResponse }, async (r) => datastores.read(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN')));
  route('PUT', '/datastore/', write(), { 201: DatastoreCreateResponse }, async (r, reply) =>
    reply.code(201).send(await datastores.create(authOf(r), parseDatastoreCreate(r.vaultBody))),
  );
  route('POST', '/datastore/', write(), { 200: UpdatedResponse }, async (r) => datastores.update(authOf(r), parseDatastoreUpdate(r.vaultBody)));
  route('DELETE', '/datastore/', write({ apiKey: 'deny', scope: 'datastore_delete', checksAuthkey: true }), { 200: EmptyResponse }, async (r) => {
    const { datastoreId, authkey } = parseDatastoreDelete(r.vaultBody);
    return datastores.remove(authOf(r), datastoreId, authkey);
  });
}
