import { createId } from '../../../../crypto/token.js';
import { BlindvaultError } from '../../../../protocol/errors.js';
import type { parseLinkMove, parseSecretCreate, parseSecretUpdate } from '../../../../protocol/vault/objects.js';
import { formatIsoTime } from '../../../../protocol/vault/sessions.js';
import type { VaultObjectStore } from '../../../../store/vault-object-store.js';
import type { Policy } from '../../auth/policy.js';
import type { AuthContext } from '../../auth/authenticator.js';

export interface SecretsServiceDeps {
  objects: VaultObjectStore;
  policy: Policy;
  clock: () => Date;
}

/**
 * Secrets and their links (spec §3.6). Every read and write carries the caller into the store's
 * statement (the policy's `secretCaller`): readable (writable) through any link, and a restricted
 * API key reaches only the secrets attached to it.
 */
export function createSecretsService({ objects, policy, clock }: SecretsServiceDeps) {
  async function create(auth: AuthContext, request: ReturnType<typeof parseSecretCreate>) {
    if (!(await policy.mayWriteParent(auth.user.id, request.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
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
    const s = await objects.readSecretFor(policy.secretCaller(auth), secretId, clock());
    if (!s) throw await policy.secretRefusal(auth, secretId);
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
    const result = await objects.updateSecretFor(policy.secretCaller(auth), request.secretId, request.changes, clock());
    if (!result.ok) throw result.reason === 'duplicate_nonce' ? new BlindvaultError('VAULT_DUPLICATE_NONCE') : await policy.secretRefusal(auth, request.secretId);
    return { success: 'Data updated.' };
  }

  async function history(auth: AuthContext, secretId: string) {
    const entries = await objects.listSecretHistoryFor(policy.secretCaller(auth), secretId, clock());
    if (!entries) throw await policy.secretRefusal(auth, secretId);
    return { history: entries.map((h) => ({ id: h.id, create_date: formatIsoTime(h.createdAt), username: h.username })) };
  }

  async function historyEntry(auth: AuthContext, historyId: string) {
    const h = await objects.getSecretHistoryFor(policy.secretCaller(auth), historyId, clock());
    if (!h) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
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

  /** Moves a secret's link (secret links only: a share link with the same id is another link). */
  async function moveLink(auth: AuthContext, request: ReturnType<typeof parseLinkMove>) {
    const link = await objects.getSecretLink(request.linkId);
    if (!link || !(await policy.mayMoveSecretLink(auth.user.id, link.parent, request.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    if (!(await objects.moveSecretLink(request.linkId, request.parent)).ok) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function deleteLink(auth: AuthContext, linkId: string) {
    const link = await objects.getSecretLink(linkId);
    if (!link || !(await policy.mayWriteParent(auth.user.id, link.parent))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    if (!(await objects.deleteSecretLink(linkId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  return { create, read, update, history, historyEntry, moveLink, deleteLink };
}

export type SecretsService = ReturnType<typeof createSecretsService>;
