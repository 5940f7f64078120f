// Sending a file to a vault user (docs/send.md): look the recipient up, have the caller confirm their key, seal and
// upload the file as v2 with a fresh key, box that key to the recipient (send-key v1), and claim the upload.
import { fromHex } from '../../crypto/encoding.js';
import { sealSendKey } from '../../crypto/send-key.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { decodeLinkKey } from '../file-v2.js';
import { parseDownloadLink, parseManageLink } from '../links.js';
import { uploadFile, type UploadOptions } from '../upload.js';
import type { UploadSource } from '../upload-source.js';
import { findUser, type VaultUser } from '../vault/sharing.js';
import type { VaultSession } from '../vault-session.js';
import { createSend } from './api.js';

export interface SendFileOptions extends Omit<UploadOptions, 'format' | 'passphrase' | 'maxDownloads'> {
  recipient: string;
  /**
   * Called with the recipient before any byte is encrypted: throws to refuse (an unknown or changed key).
   */
  trust: (user: VaultUser) => Promise<void>;
}

export interface SendFileResult {
  id: string;
  recipient: VaultUser;
  expiresAt: Date;
}

export type { VaultUser };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function sendFile(session: VaultSession, source: UploadSource, options: SendFileOptions): Promise<SendFileResult> {
  if (!UUID.test(session.userId)) throw new BlindvaultError('NOT_LOGGED_IN', { what: 'the session does not know its user id' });
  const recipient = await findUser(session, options.recipient);
  if (!UUID.test(recipient.id)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'user search id' });
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
