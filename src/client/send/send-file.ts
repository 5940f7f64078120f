// Sending a file to a vault user (docs/send.md): look the recipient up, have the caller confirm their key, seal and
// upload the file as v2 with a fresh key, box that key to the recipient (send-key v1), and claim the upload.
import { fromHex } from '../../crypto/encoding.js';
import { sealSendKey } from '../../crypto/send-key.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { decodeLinkKey } from '../file-v2.js';
import { parseDownloadLink, parseManageLink } from '../links.js';
import { uploadFile, type UploadOptions } from '../upload.js';
import type { UploadSource } from '../upload-source.js';
import { vaultCall } from '../vault/connection.js';
import type { VaultSession } from '../vault-session.js';
import { createSend } from './api.js';

/** A vault user as the server describes them; the caller decides whether to trust `publicKey`. */
export interface VaultUser {
  id: string;
  username: string;
  /** 64 hex: the user's X25519 public key. */
  publicKey: string;
}

export interface SendFileOptions extends Omit<UploadOptions, 'format' | 'passphrase' | 'maxDownloads'> {
  recipient: string;
  /**
   * Called with the recipient before any byte is encrypted: throws to refuse (an unknown or changed key). The
   * key it returns is the one the file key is boxed to; it must equal what the server said.
   */
  trust: (user: VaultUser) => Promise<void>;
}

export interface SendFileResult {
  id: string;
  recipient: VaultUser;
  expiresAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /user/search/ by username; USER_NOT_FOUND when there is no such user. */
export async function findUser(session: VaultSession, username: string): Promise<VaultUser> {
  let answer: unknown;
  try {
    answer = await vaultCall(session, 'POST', '/user/search/', { user_username: username }, [200]);
  } catch (error) {
    if (error instanceof BlindvaultError && error.code === 'NO_PERMISSION_OR_NOT_EXIST') throw new BlindvaultError('USER_NOT_FOUND', { what: username });
    throw error;
  }
  const found = (Array.isArray(answer) ? answer : [answer]).find((u): u is Record<string, unknown> => u !== null && typeof u === 'object' && (u as { username?: unknown }).username === username);
  if (!found) throw new BlindvaultError('USER_NOT_FOUND', { what: username });
  const id = String(found.id ?? '').toLowerCase();
  const publicKey = String(found.public_key ?? '').toLowerCase();
  if (!UUID.test(id) || fromHex(publicKey)?.length !== 32) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'user search' });
  return { id, username, publicKey };
}

export async function sendFile(session: VaultSession, source: UploadSource, options: SendFileOptions): Promise<SendFileResult> {
  if (!UUID.test(session.userId)) throw new BlindvaultError('NOT_LOGGED_IN', { what: 'the session does not know its user id' });
  const recipient = await findUser(session, options.recipient);
  await options.trust(recipient);
  const { recipient: _recipient, trust: _trust, ...upload } = options;
  const uploaded = await uploadFile(source, { ...upload, format: 'v2' });
  const fragment = parseDownloadLink(uploaded.downloadUrl).fragment;
  if (fragment === undefined) throw new BlindvaultError('INVALID_FILE_KEY');
  const fileKey = decodeLinkKey(fragment);
  const boxedKey = sealSendKey(session.userPrivateKey.reveal(), fromHex(recipient.publicKey) as Uint8Array, { fileId: uploaded.id, senderId: session.userId, recipientId: recipient.id }, fileKey);
  const id = await createSend(session, { fileId: uploaded.id, ownerToken: parseManageLink(uploaded.manageUrl).ownerToken, recipientId: recipient.id, boxedKey });
  return { id, recipient, expiresAt: uploaded.expiresAt };
}
