import { fromHex, toHex } from '../../../crypto/encoding.js';
import { boxKeyPair, boxSeal, randomBytes, signDetached, signKeyPairFromSeed, verifyDetached } from '../../../crypto/nacl.js';
import { sha256Hex } from '../../../crypto/psono-kdf.js';
import { createId } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import { parseApiKeyLoginInfo, type parseApiKeyCreate, type parseApiKeySecretCreate, type parseApiKeyUpdate } from '../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../../store/api-key-store.js';
import type { ReplayStore } from '../../../store/replay-store.js';
import type { VaultObjectStore } from '../../../store/vault-object-store.js';
import type { VaultStore } from '../../../store/vault-store.js';
import type { VaultConfig } from '../../config.js';
import { apiKeyMayAct, ownsApiKey, type Policy } from '../auth/policy.js';
import type { AuthContext } from '../auth/authenticator.js';
import type { ServerKeys } from '../server-keys.js';
import { mintSession } from '../sessions/mint-session.js';

export interface ApiKeysServiceDeps {
  apiKeys: ApiKeyStore;
  objects: VaultObjectStore;
  vault: VaultStore;
  replays: ReplayStore;
  policy: Policy;
  keys: ServerKeys;
  config: VaultConfig;
  clock: () => Date;
}

const LOGIN_REPLAY_MS = 24 * 3600_000;
const DEVICE_TIME_SKEW_MS = 5 * 60_000;
const DEFAULT_SESSION_SECONDS = 86_400;
const utf8 = (text: string) => new TextEncoder().encode(text);

/** API keys: the owner's management, their secret grants, the signed login and session-less access (spec §3.9). */
export function createApiKeysService({ apiKeys, objects, vault, replays, policy, keys, config, clock }: ApiKeysServiceDeps) {
  // Unknown keys are verified against this one, so a login costs the same whether the key exists (§3.9.3).
  const dummyVerifyKey = signKeyPairFromSeed(randomBytes(32)).publicKey;

  async function ownKey(auth: AuthContext, id: string): Promise<ApiKeyRecord> {
    const key = await apiKeys.getApiKey(id);
    if (!key || !ownsApiKey(auth.user.id, key)) throw new BlindvaultError('VAULT_OBJECT_UNKNOWN', { resourceId: id });
    return key;
  }

  async function list(auth: AuthContext) {
    const keysOfUser = await apiKeys.listApiKeys(auth.user.id);
    return {
      api_keys: keysOfUser.map((k) => ({
        id: k.id,
        title: k.title,
        read: k.read,
        write: k.write,
        restrict_to_secrets: k.restrictToSecrets,
        allow_insecure_access: k.allowInsecureAccess,
        active: k.active,
      })),
    };
  }

  async function read(auth: AuthContext, id: string) {
    const k = await ownKey(auth, id);
    return {
      id: k.id,
      title: k.title,
      public_key: k.publicKey,
      private_key: k.privateKey,
      private_key_nonce: k.privateKeyNonce,
      secret_key: k.secretKey,
      secret_key_nonce: k.secretKeyNonce,
      read: k.read,
      write: k.write,
      restrict_to_secrets: k.restrictToSecrets,
      allow_insecure_access: k.allowInsecureAccess,
      active: k.active,
    };
  }

  async function create(auth: AuthContext, request: ReturnType<typeof parseApiKeyCreate>) {
    const id = createId();
    const result = await apiKeys.createApiKey({ id, userId: auth.user.id, ...request, active: true, createdAt: clock() });
    if (result === 'duplicate_nonce') throw new BlindvaultError('VAULT_DUPLICATE_NONCE');
    return { api_key_id: id };
  }

  async function update(auth: AuthContext, request: ReturnType<typeof parseApiKeyUpdate>) {
    if (!(await apiKeys.updateApiKey(request.apiKeyId, auth.user.id, request.changes))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function remove(auth: AuthContext, id: string) {
    if (!(await apiKeys.deleteApiKey(id, auth.user.id))) throw new BlindvaultError('API_KEY_DOES_NOT_EXIST');
    return {};
  }

  async function listSecrets(auth: AuthContext, apiKeyId: string) {
    await ownKey(auth, apiKeyId);
    const grants = await apiKeys.listApiKeySecrets(apiKeyId);
    return grants.map((g) => ({ id: g.id, secret_id: g.secretId, title: g.title, title_nonce: g.titleNonce }));
  }

  /** BV: the caller must be able to read the secret (Psono only checks that some link exists, §5 #4). */
  async function addSecret(auth: AuthContext, request: ReturnType<typeof parseApiKeySecretCreate>) {
    const key = await apiKeys.getApiKey(request.apiKeyId);
    if (!key || !ownsApiKey(auth.user.id, key) || !(await policy.secretRights(auth.user.id, request.secretId)).read) {
      throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    }
    const id = createId();
    const result = await apiKeys.createApiKeySecret({ id, ...request });
    if (result === 'exists') throw new BlindvaultError('API_KEY_SECRET_ALREADY_EXIST');
    return { api_key_secret_id: id };
  }

  async function removeSecret(auth: AuthContext, grantId: string) {
    const grant = await apiKeys.getApiKeySecret(grantId);
    const key = grant && (await apiKeys.getApiKey(grant.apiKeyId));
    if (!grant || !key || !ownsApiKey(auth.user.id, key)) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    await apiKeys.deleteApiKeySecret(grantId);
    return {};
  }

  /**
   * POST /api-key/login/ exactly as the seed drives it. Every failure of the checks answers the same
   * NO_PERMISSION_OR_NOT_EXIST, the signature is checked even for an unknown key, and a signed login
   * is single-use (spec §3.9.3, §5 #1).
   */
  async function login(infoText: string, signatureHex: string) {
    const generic = () => new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const info = parseApiKeyLoginInfo(infoText);
    const key = info ? await apiKeys.getApiKey(info.apiKeyId) : undefined;
    const signature = /^[0-9a-fA-F]{128}$/.test(signatureHex) ? fromHex(signatureHex.toLowerCase()) : undefined;
    const verifyKey = key ? fromHex(key.verifyKey) : undefined;
    const signed = verifyDetached(verifyKey ?? dummyVerifyKey, utf8(infoText), signature ?? new Uint8Array(64));
    if (!info || !key || !signature || !verifyKey || !signed) throw generic();
    const user = await vault.findUserById(key.userId);
    if (!apiKeyMayAct(key, user)) throw generic();
    const now = clock();
    if (info.deviceTime && Math.abs(info.deviceTime.getTime() - now.getTime()) > DEVICE_TIME_SKEW_MS) throw generic();
    if (!(await replays.remember('api_key_login', sha256Hex(signatureHex.toLowerCase()), new Date(now.getTime() + LOGIN_REPLAY_MS), now))) throw generic();

    const [min, max] = config.tokenSeconds.apiKey;
    const lifetimeSeconds = Math.min(max, Math.max(min, info.sessionDurationSeconds ?? DEFAULT_SESSION_SECONDS));
    const made = await mintSession(vault, {
      user,
      device: { fingerprint: info.deviceFingerprint, description: info.deviceDescription, time: info.deviceTime },
      lifetimeSeconds,
      kind: 'api_key',
      read: key.read,
      write: key.write,
      apiKeyId: key.id,
      exclusive: false,
      now,
    });
    if (!made) throw generic();
    const { token, session } = made;
    const sessionSecret = session.secretKey;
    const loginInfo = {
      token: token.reveal(),
      session_valid_till: formatIsoTime(new Date(now.getTime() + lifetimeSeconds * 1000)),
      session_secret_key: sessionSecret,
      api_key_restrict_to_secrets: key.restrictToSecrets,
      api_key_allow_insecure_access: key.allowInsecureAccess,
      api_key_read: key.read,
      api_key_write: key.write,
      user: {
        username: user.username,
        public_key: user.publicKey,
        // A restricted key gets no copy of the user's keys (spec §3.9.3).
        ...(key.restrictToSecrets
          ? {}
          : {
              private_key: key.userPrivateKey,
              private_key_nonce: key.userPrivateKeyNonce,
              secret_key: key.userSecretKey,
              secret_key_nonce: key.userSecretKeyNonce,
            }),
      },
    };
    const ephemeral = boxKeyPair();
    const sealed = boxSeal(ephemeral.secretKey, fromHex(info.sessionPublicKey) as Uint8Array, utf8(JSON.stringify(loginInfo)));
    ephemeral.secretKey.fill(0);
    const loginInfoHex = toHex(sealed.ciphertext);
    return {
      login_info: loginInfoHex,
      login_info_nonce: toHex(sealed.nonce),
      // The server signs the hex text of login_info, as the seed verifies it (vector V13).
      login_info_signature: toHex(signDetached(keys.signSecretKey.reveal(), utf8(loginInfoHex))),
      server_session_public_key: toHex(ephemeral.publicKey),
    };
  }

  /**
   * A key of an active owner with the flag, attached to this secret, for the session-less endpoints
   * (§3.9.4). The owner's rights on the secret are checked by the store's read or write itself.
   */
  async function grantFor(apiKeyId: string, secretId: string, need: 'read' | 'write') {
    const key = await apiKeys.getApiKey(apiKeyId);
    const grant = key && (await apiKeys.findApiKeySecret(apiKeyId, secretId));
    const owner = key && (await vault.findUserById(key.userId));
    if (!key || !grant || !apiKeyMayAct(key, owner, need)) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return { key, grant, owner, caller: { userId: owner.id, apiKeyId: key.id } };
  }

  async function accessRead(apiKeyId: string, secretId: string, insecure: boolean) {
    // Insecure mode would have the server decrypt the secret: refused (spec §5 #3).
    if (insecure) throw new BlindvaultError('INSECURE_ACCESS_NOT_ALLOWED');
    const { grant, caller } = await grantFor(apiKeyId, secretId, 'read');
    const secret = await objects.readSecretFor(caller, secretId, clock());
    if (!secret) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return { data: secret.data, data_nonce: secret.dataNonce, secret_key: grant.secretKey, secret_key_nonce: grant.secretKeyNonce, read_count: secret.readCount };
  }

  async function accessWrite(apiKeyId: string, secretId: string, update: { data: string; dataNonce: string; callbackUrl?: string; callbackUser?: string; callbackPass?: string } | 'insecure') {
    if (update === 'insecure') throw new BlindvaultError('INSECURE_ACCESS_NOT_ALLOWED');
    const { caller } = await grantFor(apiKeyId, secretId, 'write');
    const result = await objects.updateSecretFor(caller, secretId, update, clock());
    if (!result.ok) throw new BlindvaultError(result.reason === 'duplicate_nonce' ? 'VAULT_DUPLICATE_NONCE' : 'NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function inspect(apiKeyId: string) {
    const key = await apiKeys.getApiKey(apiKeyId);
    const owner = key && (await vault.findUserById(key.userId));
    if (!key || !apiKeyMayAct(key, owner)) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const grants = await apiKeys.listApiKeySecrets(apiKeyId);
    // BV: only the attached secrets that the owner can still read are listed (Psono lists every
    // attachment, even one whose share the owner has since lost), decided inside the statement.
    const readable = await objects.readableSecretDatesFor({ userId: owner.id, apiKeyId: key.id }, grants.map((g) => g.secretId), clock());
    const dates = new Map(readable.map((r) => [r.id, r.writeDate]));
    const secrets = grants.flatMap((g) => {
      const writeDate = dates.get(g.secretId);
      return writeDate ? [{ secret_id: g.secretId, write_date: formatIsoTime(writeDate) }] : [];
    });
    return { allow_insecure_access: key.allowInsecureAccess, restrict_to_secrets: key.restrictToSecrets, read: key.read, write: key.write, api_key_secrets: secrets };
  }

  return { list, read, create, update, remove, listSecrets, addSecret, removeSecret, login, accessRead, accessWrite, inspect };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
