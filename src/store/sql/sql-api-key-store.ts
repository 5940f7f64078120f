import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ApiKeyFlags, ApiKeyRecord, ApiKeySecretRecord, ApiKeyStore } from '../api-key-store.js';
import type { ApiKeySecretsTable, ApiKeysTable, Database } from './schema.js';
import { isUniqueViolation, type SqlDatabase } from './sql-database.js';

const flag = (value: boolean) => (value ? 1 : 0);

/** API keys and their secret grants over the shared SQL connection. */
export class SqlApiKeyStore implements ApiKeyStore {
  readonly #db: Kysely<Database>;

  constructor(database: SqlDatabase) {
    this.#db = database.db;
  }

  async listApiKeys(userId: string): Promise<ApiKeyRecord[]> {
    return (await this.#db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute()).map(toApiKey);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApiKey(row);
  }

  async createApiKey(k: ApiKeyRecord): Promise<'created' | 'duplicate_nonce'> {
    try {
      await this.#db
        .insertInto('api_keys')
        .values({
          id: k.id,
          user_id: k.userId,
          title: k.title,
          public_key: k.publicKey,
          private_key: k.privateKey,
          private_key_nonce: k.privateKeyNonce,
          secret_key: k.secretKey,
          secret_key_nonce: k.secretKeyNonce,
          user_private_key: k.userPrivateKey,
          user_private_key_nonce: k.userPrivateKeyNonce,
          user_secret_key: k.userSecretKey,
          user_secret_key_nonce: k.userSecretKeyNonce,
          verify_key: k.verifyKey,
          read: flag(k.read),
          write: flag(k.write),
          restrict_to_secrets: flag(k.restrictToSecrets),
          allow_insecure_access: flag(k.allowInsecureAccess),
          active: flag(k.active),
          created_at: k.createdAt.getTime(),
        })
        .execute();
      return 'created';
    } catch (error) {
      if (isUniqueViolation(error)) return 'duplicate_nonce';
      throw error;
    }
  }

  async updateApiKey(id: string, userId: string, changes: ApiKeyFlags): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const set: Updateable<ApiKeysTable> = {};
      if (changes.title !== undefined) set.title = changes.title;
      if (changes.read !== undefined) set.read = flag(changes.read);
      if (changes.write !== undefined) set.write = flag(changes.write);
      if (changes.restrictToSecrets !== undefined) set.restrict_to_secrets = flag(changes.restrictToSecrets);
      if (changes.allowInsecureAccess !== undefined) set.allow_insecure_access = flag(changes.allowInsecureAccess);
      const result = await tx.updateTable('api_keys').set(set).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return false;
      // The key's live sessions follow its flags (Psono intends this but never links them, spec §5 #2).
      const sessionFlags: { read?: number; write?: number } = {};
      if (changes.read !== undefined) sessionFlags.read = flag(changes.read);
      if (changes.write !== undefined) sessionFlags.write = flag(changes.write);
      if (Object.keys(sessionFlags).length > 0) await tx.updateTable('sessions').set(sessionFlags).where('api_key_id', '=', id).execute();
      return true;
    });
  }

  async deleteApiKey(id: string, userId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('api_keys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      if (result.numDeletedRows !== 1n) return false;
      await tx.deleteFrom('sessions').where('api_key_id', '=', id).execute();
      return true;
    });
  }

  async listApiKeySecrets(apiKeyId: string): Promise<ApiKeySecretRecord[]> {
    return (await this.#db.selectFrom('api_key_secrets').selectAll().where('api_key_id', '=', apiKeyId).orderBy('id').execute()).map(toGrant);
  }

  async getApiKeySecret(id: string): Promise<ApiKeySecretRecord | undefined> {
    const row = await this.#db.selectFrom('api_key_secrets').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toGrant(row);
  }

  async findApiKeySecret(apiKeyId: string, secretId: string): Promise<ApiKeySecretRecord | undefined> {
    const row = await this.#db.selectFrom('api_key_secrets').selectAll().where('api_key_id', '=', apiKeyId).where('secret_id', '=', secretId).executeTakeFirst();
    return row && toGrant(row);
  }

  async createApiKeySecret(g: ApiKeySecretRecord): Promise<'created' | 'exists'> {
    try {
      await this.#db
        .insertInto('api_key_secrets')
        .values({
          id: g.id,
          api_key_id: g.apiKeyId,
          secret_id: g.secretId,
          secret_key: g.secretKey,
          secret_key_nonce: g.secretKeyNonce,
          title: g.title,
          title_nonce: g.titleNonce,
        })
        .execute();
      return 'created';
    } catch (error) {
      if (isUniqueViolation(error)) return 'exists';
      throw error;
    }
  }

  async deleteApiKeySecret(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('api_key_secrets').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    title: row.title,
    publicKey: row.public_key,
    privateKey: row.private_key,
    privateKeyNonce: row.private_key_nonce,
    secretKey: row.secret_key,
    secretKeyNonce: row.secret_key_nonce,
    userPrivateKey: row.user_private_key,
    userPrivateKeyNonce: row.user_private_key_nonce,
    userSecretKey: row.user_secret_key,
    userSecretKeyNonce: row.user_secret_key_nonce,
    verifyKey: row.verify_key,
    read: Boolean(row.read),
    write: Boolean(row.write),
    restrictToSecrets: Boolean(row.restrict_to_secrets),
    allowInsecureAccess: Boolean(row.allow_insecure_access),
    active: Boolean(row.active),
    createdAt: new Date(Number(row.created_at)),
  };
}

function toGrant(row: Selectable<ApiKeySecretsTable>): ApiKeySecretRecord {
  return {
    id: row.id,
    apiKeyId: row.api_key_id,
    secretId: row.secret_id,
    secretKey: row.secret_key,
    secretKeyNonce: row.secret_key_nonce,
    title: row.title,
    titleNonce: row.title_nonce,
  };
}
