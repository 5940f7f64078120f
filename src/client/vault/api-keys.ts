// API keys (spec §2.5, §3.9.1–2), made here as the web client makes them: one random 32-byte value is the
// key's X25519 secret and its Ed25519 seed, a second one (AKS) seals copies of the user's keys and of the
// keys of the secrets the key is restricted to.
import { toHex } from '../../crypto/encoding.js';
import { boxPublicKey, KEY_BYTES, randomBytes, signKeyPairFromSeed } from '../../crypto/nacl.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { VaultSession } from '../vault-session.js';
import { vaultCall } from './connection.js';
import { sealText } from './crypto-json.js';
import { userSecretKey } from './objects.js';

export interface ApiKeyGrant {
  secretId: string;
  secretKeyHex: string;
  title: string;
}

export interface ApiKeyOptions {
  title: string;
  write: boolean;
  /** Restricted to these secrets: the key's sessions see nothing else, and get no copy of the user's keys. */
  restrictTo: ApiKeyGrant[];
}

export interface CreatedApiKey {
  apiKeyId: string;
  privateKeyHex: string;
  secretKeyHex: string;
}

export interface ApiKeySummary {
  id: string;
  title: string;
  read: boolean;
  write: boolean;
  restrict_to_secrets: boolean;
  active: boolean;
}

export async function createApiKey(session: VaultSession, options: ApiKeyOptions): Promise<CreatedApiKey> {
  const usk = userSecretKey(session);
  const ask = randomBytes(KEY_BYTES);
  const aks = randomBytes(KEY_BYTES);
  const askHex = toHex(ask);
  const aksHex = toHex(aks);
  const privateKey = sealText(usk, askHex);
  const secretKey = sealText(usk, aksHex);
  const userPrivate = sealText(aks, toHex(session.userPrivateKey.reveal()));
  const userSecret = sealText(aks, toHex(usk));
  const made = (await vaultCall(session, 'PUT', '/api-key/', {
    title: options.title,
    public_key: toHex(boxPublicKey(ask)),
    private_key: privateKey.text,
    private_key_nonce: privateKey.nonce,
    secret_key: secretKey.text,
    secret_key_nonce: secretKey.nonce,
    user_private_key: userPrivate.text,
    user_private_key_nonce: userPrivate.nonce,
    user_secret_key: userSecret.text,
    user_secret_key_nonce: userSecret.nonce,
    verify_key: toHex(signKeyPairFromSeed(ask).publicKey),
    read: true,
    write: options.write,
    restrict_to_secrets: options.restrictTo.length > 0,
    allow_insecure_access: false,
  })) as { api_key_id?: unknown };
  if (typeof made?.api_key_id !== 'string') throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'api_key_id' });
  for (const grant of options.restrictTo) {
    const key = sealText(aks, grant.secretKeyHex);
    const title = sealText(usk, grant.title);
    await vaultCall(session, 'PUT', '/api-key/secret/', {
      api_key_id: made.api_key_id,
      secret_id: grant.secretId,
      secret_key: key.text,
      secret_key_nonce: key.nonce,
      title: title.text,
      title_nonce: title.nonce,
    });
  }
  return { apiKeyId: made.api_key_id, privateKeyHex: askHex, secretKeyHex: aksHex };
}

export async function listApiKeys(session: VaultSession): Promise<ApiKeySummary[]> {
  const list = ((await vaultCall(session, 'GET', '/api-key/')) as { api_keys?: unknown }).api_keys;
  if (!Array.isArray(list)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'api_keys' });
  return list.map((k) => {
    const r = k as Record<string, unknown>;
    return { id: String(r.id), title: String(r.title), read: r.read === true, write: r.write === true, restrict_to_secrets: r.restrict_to_secrets === true, active: r.active !== false };
  });
}

export async function deleteApiKey(session: VaultSession, apiKeyId: string): Promise<void> {
  await vaultCall(session, 'DELETE', '/api-key/', { api_key_id: apiKeyId });
}
