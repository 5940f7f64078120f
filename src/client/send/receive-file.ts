// Receiving a sent file (docs/send.md): the boxed key is opened with the sender's trusted key and must name this
// file, this sender and this recipient; the ciphertext is then decrypted as v2 with the key inside.
import { fromHex } from '../../crypto/encoding.js';
import { openSendKey } from '../../crypto/send-key.js';
import type { CryptoBackend } from '../../crypto/backend/crypto-backend.js';
import { BlindvaultError } from '../../protocol/errors.js';
import type { Fetch } from '../files-api.js';
import { encodeLinkKey, openFileV2 } from '../file-v2.js';
import type { VaultSession } from '../vault-session.js';
import { fetchSendContent, readSend, type SendDetail } from './api.js';
import type { VaultUser } from './send-file.js';

export interface ReceiveOptions {
  serverUrl: string;
  /** Called with the sender before anything is opened: throws to refuse (a changed key). */
  trust: (user: VaultUser) => Promise<void>;
  crypto?: CryptoBackend;
  fetch?: Fetch;
  signal?: AbortSignal;
}

export interface ReceivedFile {
  send: SendDetail;
  ciphertextBytes: number;
  /** Verified plaintext; the stream errors at the first record that does not verify. */
  plaintext: ReadableStream<Uint8Array>;
}

export async function receiveFile(session: VaultSession, id: string, options: ReceiveOptions): Promise<ReceivedFile> {
  const send = await readSend(session, id);
  if (send.recipientId !== session.userId) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'addressed to another user' });
  await options.trust({ id: send.senderId, username: send.senderUsername, publicKey: send.senderPublicKey });
  const fileKey = openSendKey(send.boxedKey, fromHex(send.senderPublicKey) as Uint8Array, session.userPrivateKey.reveal(), {
    fileId: send.id,
    senderId: send.senderId,
    recipientId: session.userId,
  });
  const content = await fetchSendContent(session, options.serverUrl, id, { ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const plaintext = await openFileV2(content.body, {
    fragment: encodeLinkKey(fileKey),
    passphrase: () => Promise.reject(new BlindvaultError('KEY_MODE_MISMATCH', { needs: 'key' })),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  return { send, ciphertextBytes: content.sizeBytes, plaintext };
}
