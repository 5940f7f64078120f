import { createId } from '../../../../crypto/token.js';
import { BlindvaultError } from '../../../../protocol/errors.js';
import type { parseDatastoreCreate, parseDatastoreUpdate } from '../../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../../protocol/vault/sessions.js';
import type { VaultObjectStore } from '../../../../store/vault-object-store.js';
import type { AccountsService } from '../../accounts/service.js';
import type { AuthContext } from '../../auth/authenticator.js';

export interface DatastoresServiceDeps {
  objects: VaultObjectStore;
  accounts: AccountsService;
  clock: () => Date;
}

/** Datastores belong to their owner alone (spec §3.5); an API-key session acts as the owner. */
export function createDatastoresService({ objects, accounts, clock }: DatastoresServiceDeps) {
  async function list(auth: AuthContext) {
    const datastores = await objects.listDatastores(auth.user.id);
    return { datastores: datastores.map((d) => ({ id: d.id, type: d.type, description: d.description, is_default: d.isDefault })) };
  }

  async function read(auth: AuthContext, id: string) {
    const d = await objects.getDatastore(id, auth.user.id);
    if (!d) throw new BlindvaultError('VAULT_OBJECT_FORBIDDEN');
    return {
      data: d.data,
      data_nonce: d.dataNonce,
      type: d.type,
      description: d.description,
      secret_key: d.secretKey,
      secret_key_nonce: d.secretKeyNonce,
      is_default: d.isDefault,
      write_date: formatIsoTime(d.writeDate),
    };
  }

  async function create(auth: AuthContext, request: ReturnType<typeof parseDatastoreCreate>) {
    const now = clock();
    const result = await objects.createDatastore({ id: createId(), userId: auth.user.id, ...request, createdAt: now, writeDate: now });
    if (!result.ok) throw new BlindvaultError('VAULT_DUPLICATE_TYPE_DESCRIPTION');
    return { datastore_id: result.value };
  }

  async function update(auth: AuthContext, request: ReturnType<typeof parseDatastoreUpdate>) {
    const result = await objects.updateDatastore(request.datastoreId, auth.user.id, request.changes, {
      ...(request.oldWriteDate ? { oldWriteDate: request.oldWriteDate } : {}),
      now: clock(),
    });
    if (!result.ok) {
      if (result.reason === 'write_date_mismatch') throw new BlindvaultError('WRITE_DATE_MISMATCH');
      if (result.reason === 'duplicate') throw new BlindvaultError('VAULT_DUPLICATE_TYPE_DESCRIPTION');
      throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    }
    return { success: 'Data updated.', write_date: formatIsoTime(result.value) };
  }

  /** Checks in the spec's order: ownership, not the default, then the authkey. */
  async function remove(auth: AuthContext, datastoreId: string, authkey: string) {
    const d = await objects.getDatastore(datastoreId, auth.user.id);
    if (!d) throw new BlindvaultError('DATASTORE_DOES_NOT_EXIST');
    if (d.isDefault) throw new BlindvaultError('CANNOT_DELETE_DEFAULT_DATASTORE');
    if (!(await accounts.authkeyMatches(auth.user, authkey))) throw new BlindvaultError('VAULT_DATASTORE_PASSWORD_INCORRECT');
    await objects.deleteDatastore(datastoreId, auth.user.id);
    return {};
  }

  return { list, read, create, update, remove };
}

export type DatastoresService = ReturnType<typeof createDatastoresService>;
