import { createToken, hashToken } from '../../../crypto/token.js';
import { Secret } from '../../../crypto/secret.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import type { SendCreateRequest } from '../../../protocol/vault/sends.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { BlobStore, StoredBlob } from '../../../store/blob-store.js';
import type { SendRecord, SendStore } from '../../../store/send-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import { SEND_RULES } from '../auth/policy.js';

/** Most unexpired sends one recipient holds, and most one listing answers (docs/send.md). */
export const SEND_INBOX_LIMIT = 1000;

export interface SendServiceDeps {
  sends: SendStore;
  blobs: BlobStore;
  clock: () => Date;
}

// Not yours and does not exist answer alike: a third user learns nothing about a send's existence.
const notYours = () => new BlindvaultError('VAULT_OBJECT_FORBIDDEN');

function common(record: SendRecord) {
  return { id: record.id, size_bytes: record.sizeBytes, created_at: formatIsoTime(record.createdAt), expires_at: formatIsoTime(record.expiresAt) };
}

const received = (r: SendRecord) => ({ ...common(r), sender_id: r.senderId, sender_username: r.peer.username, sender_public_key: r.peer.publicKey });
const sent = (r: SendRecord) => ({ ...common(r), recipient_id: r.recipientId, recipient_username: r.peer.username, recipient_public_key: r.peer.publicKey });

/** Files sent between vault users: claim an uploaded file for a recipient, list, read, stream, revoke. */
export function createSendService({ sends, blobs, clock }: SendServiceDeps) {
  async function create(auth: AuthContext, request: SendCreateRequest): Promise<{ id: string }> {
    const outcome = await sends.createSend({
      fileId: request.fileId,
      ownerTokenHash: hashToken(new Secret(request.ownerToken)),
      // A hash no token has: the file's manage link stops working once it is sent.
      deadOwnerTokenHash: hashToken(createToken()),
      senderId: auth.user.id,
      recipientId: request.recipientId,
      boxedKey: request.boxedKey,
      now: clock(),
      inboxLimit: SEND_INBOX_LIMIT,
    });
    if (outcome === 'inbox_full') throw new BlindvaultError('SEND_INBOX_FULL');
    if (outcome !== 'created') throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return { id: request.fileId };
  }

  async function inbox(auth: AuthContext) {
    return { sends: (await sends.listSends(SEND_RULES.inbox, auth.user.id, clock(), SEND_INBOX_LIMIT)).map(received) };
  }

  async function sentList(auth: AuthContext) {
    return { sends: (await sends.listSends(SEND_RULES.sent, auth.user.id, clock(), SEND_INBOX_LIMIT)).map(sent) };
  }

  async function read(auth: AuthContext, id: string) {
    const record = await sends.findSend(SEND_RULES.read, auth.user.id, id, clock());
    if (!record) throw notYours();
    return { ...received(record), recipient_id: record.recipientId, boxed_key: record.boxedKey };
  }

  async function content(auth: AuthContext, id: string): Promise<StoredBlob> {
    const record = await sends.findSend(SEND_RULES.content, auth.user.id, id, clock());
    const blob = record ? await blobs.get(record.blobKey) : undefined;
    if (!blob) throw notYours();
    return blob;
  }

  async function revoke(auth: AuthContext, id: string): Promise<Record<string, never>> {
    if (!(await sends.revokeSend(SEND_RULES.revoke, auth.user.id, id))) throw notYours();
    return {};
  }

  return { create, inbox, sent: sentList, read, content, revoke };
}

export type SendService = ReturnType<typeof createSendService>;
