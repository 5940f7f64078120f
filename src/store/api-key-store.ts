// API keys (spec §2.5, §3.9): made by the owner's client, used by programs to log in with an
// Ed25519 signature. The store also ends or updates the sessions a key opened, in the same
// transaction as the change to the key (spec §1.2 BV revocation).

export interface ApiKeyRecord {
  id: string;
  userId: string;
  title: string;
  publicKey: string;
  privateKey: string;
  privateKeyNonce: string;
  secretKey: string;
  secretKeyNonce: string;
  userPrivateKey: string;
  userPrivateKeyNonce: string;
  userSecretKey: string;
  userSecretKeyNonce: string;
  verifyKey: string;
  read: boolean;
  write: boolean;
  restrictToSecrets: boolean;
  allowInsecureAccess: boolean;
  active: boolean;
  createdAt: Date;
}

export interface ApiKeySecretRecord {
  id: string;
  apiKeyId: string;
  secretId: string;
  secretKey: string;
  secretKeyNonce: string;
  title: string;
  titleNonce: string;
}

export type ApiKeyFlags = Partial<Pick<ApiKeyRecord, 'title' | 'read' | 'write' | 'restrictToSecrets' | 'allowInsecureAccess'>>;

export interface ApiKeyStore {
  listApiKeys(userId: string): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** 'duplicate_nonce' when a nonce was used before (nonces never repeat). */
  createApiKey(key: ApiKeyRecord): Promise<'created' | 'duplicate_nonce'>;
  /** Changes the key and, with it, the read/write flags of the sessions it opened. */
  updateApiKey(id: string, userId: string, changes: ApiKeyFlags): Promise<boolean>;
  /** Deletes the key, its secret grants and every session it opened. */
  deleteApiKey(id: string, userId: string): Promise<boolean>;

  listApiKeySecrets(apiKeyId: string): Promise<ApiKeySecretRecord[]>;
  getApiKeySecret(id: string): Promise<ApiKeySecretRecord | undefined>;
  findApiKeySecret(apiKeyId: string, secretId: string): Promise<ApiKeySecretRecord | undefined>;
  createApiKeySecret(grant: ApiKeySecretRecord): Promise<'created' | 'exists'>;
  deleteApiKeySecret(id: string): Promise<boolean>;
}
