import { createId } from '../../../../crypto/token.js';
import { BlindvaultError } from '../../../../protocol/errors.js';
import type { parseLinkMove, parseSecretCreate, parseSecretUpdate } from '../../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../../protocol/vault/sessions.js';
import type { VaultObjectStore } from '../../../../store/vault-object-store.js';
import type { Access } from '../../auth/policy.js';
import type { AuthContext } from '../../auth/authenticator.js';

export interface SecretsServiceDeps {
  objects: VaultObjectStore;
  access: Access;
  clock: () => Date;
}

/**
 * Secrets and their links (spec §3.6). A secret is readable (writable) through any of its links; a
 * restricted API key reaches only the secrets attached to it.
 */
export function createSecretsService({ objects, access, clock }: SecretsServiceDeps) {
  /** A restricted API key outside its own secrets is refused like any route it may not use (spec §1.5). */
  async function checkRestrictedKey(auth: AuthContext, secretId: string): Promise<void> {
    if (auth.apiKey?.restrictToSecrets && !(await access.apiKeyHasSecret(auth.apiKey.id, secretId))) {
      throw new BlindvaultError('VAULT_PERMISSION_DENIED');
    }
  }

  async function mayRead(auth: AuthContext, secretId: string): Promise<boolean> {
    await checkRestrictedKey(auth, secretId);
    return (await access.secretRights(auth.user.id, secretId)).read;
  }

  async function mayWrite(auth: AuthContext, secretId: string): Promise<boolean> {
    await checkRestrictedKey(auth, secretId);
    return (await access.secretRights(auth.user.id, secretId)).write;
  }

  async function create(auth: AuthContext, request: ReturnType<typeof parseSecretCreate>) {
    if (!(await access.mayWriteParent(auth.user.id, request.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const now = clock();
    const result = await objects.createSecret(
      {
        id: createId(),
        userId: auth.user.id,
        data: request.data,
        dataNonce: request.dataNonce,
        type: 'password',
        readCount: 0,
        callbackUrl: request.callbackUrl ?? '',
        callbackUser: request.callbackUser ?? '',
        callbackPass: request.callbackPass ?? '',
        createdAt: now,
        writeDate: now,
      },
      { linkId: request.linkId, parent: request.parent },
    );
    if (!result.ok) {
      if (result.reason === 'not_found') throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST'); // the parent went meanwhile
      throw new BlindvaultError(result.reason === 'duplicate_link' ? 'VAULT_DUPLICATE_LINK_ID' : 'VAULT_DUPLICATE_NONCE');
    }
    return { secret_id: result.value };
  }

  /** Counts the read and answers the secret as it is after it. */
  async function read(auth: AuthContext, secretId: string) {
    if (!(await mayRead(auth, secretId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const s = await objects.readSecret(secretId);
    if (!s) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {
      create_date: formatIsoTime(s.createdAt),
      write_date: formatIsoTime(s.writeDate),
      data: s.data,
      data_nonce: s.dataNonce,
      type: s.type,
      read_count: s.readCount,
      callback_url: s.callbackUrl,
      callback_user: s.callbackUser,
      callback_pass: s.callbackPass,
    };
  }

  async function update(auth: AuthContext, request: ReturnType<typeof parseSecretUpdate>) {
    if (!(await mayWrite(auth, request.secretId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const result = await objects.updateSecret(request.secretId, request.changes, { userId: auth.user.id, now: clock() });
    if (!result.ok) throw new BlindvaultError(result.reason === 'duplicate_nonce' ? 'VAULT_DUPLICATE_NONCE' : 'NO_PERMISSION_OR_NOT_EXIST');
    return { success: 'Data updated.' };
  }

  async function history(auth: AuthContext, secretId: string) {
    if (!(await mayRead(auth, secretId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const entries = await objects.listSecretHistory(secretId);
    return { history: entries.map((h) => ({ id: h.id, create_date: formatIsoTime(h.createdAt), username: h.username })) };
  }

  async function historyEntry(auth: AuthContext, historyId: string) {
    const h = await objects.getSecretHistory(historyId);
    if (!h || !(await mayRead(auth, h.secretId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {
      create_date: formatIsoTime(h.createdAt),
      write_date: formatIsoTime(h.writeDate),
      data: h.data,
      data_nonce: h.dataNonce,
      type: h.type,
      callback_url: h.callbackUrl,
      callback_user: h.callbackUser,
      callback_pass: h.callbackPass,
    };
  }

  /** Moves a secret's link: write on the old and the new parent (spec §3.6). */
  async function moveLink(auth: AuthContext, request: ReturnType<typeof parseLinkMove>) {
    const link = await objects.getLink(request.linkId);
    if (!link || link.secretId === null) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    const allowed = (await access.mayWriteParent(auth.user.id, link.parent)) && (await access.mayWriteParent(auth.user.id, request.parent));
    if (!allowed || !(await objects.moveLink(request.linkId, request.parent)).ok) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function deleteLink(auth: AuthContext, linkId: string) {
    const link = await objects.getLink(linkId);
    if (!link || link.secretId === null || !(await access.mayWriteParent(auth.user.id, link.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    await objects.deleteLink(linkId);
    return {};
  }

  return { create, read, update, history, historyEntry, moveLink, deleteLink };
}

export type SecretsService = ReturnType<typeof createSecretsService>;
