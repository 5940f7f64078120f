// Reading one secret attached to an API key (spec §3.9.4, normal mode): the server answers the secret's
// ciphertext and its key sealed under the API key's secret key; both are opened here.
import { BlindvaultError } from '../../protocol/errors.js';
import type { Transport } from '../transport.js';
import { VaultClient } from '../vault-session.js';
import { refusal } from './connection.js';
import { keyBytes, openJsonHex, openText } from './crypto-json.js';
import type { SecretContent } from './secret-item.js';

export async function readAttachedSecret(transport: Transport, apiKeyId: string, apiKeySecretKeyHex: string, secretId: string): Promise<SecretContent> {
  const { status, body } = await new VaultClient(transport).call('POST', '/api-key-access/secret/', { api_key_id: apiKeyId, secret_id: secretId });
  if (status !== 200 || body === null || typeof body !== 'object') throw status === 200 ? new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'secret' }) : refusal(status, body, 'POST /api-key-access/secret/');
  const answer = body as Record<string, unknown>;
  const secretKeyHex = openText(keyBytes(apiKeySecretKeyHex, 'the API key secret key'), answer.secret_key, answer.secret_key_nonce, 'the secret key');
  const secret = openJsonHex(secretKeyHex, answer.data, answer.data_nonce, 'the secret');
  if (secret === null || typeof secret !== 'object' || Array.isArray(secret)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'secret content' });
  return secret as SecretContent;
}

/** The item type of a secret's content: the prefix of its `<type>_title` key. */
export function secretType(secret: SecretContent): string {
  return Object.keys(secret).find((k) => k.endsWith('_title'))?.slice(0, -'_title'.length) ?? '';
}
