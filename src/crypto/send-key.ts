// The key of a file sent to a vault user (docs/formats/send-key-v1.md): the file key and the ids of the send,
// boxed from the sender's X25519 key to the recipient's. Opening it proves to the recipient who sealed it.
import { BlindvaultError } from '../protocol/errors.js';
import { concatBytes, fromBase64, fromHex, toBase64, toHex } from './encoding.js';
import { boxOpen, boxSeal, KEY_BYTES, MAC_BYTES, NONCE_BYTES } from './nacl.js';
import { FILE_KEY_BYTES } from './stream/header.js';

const MAGIC = new TextEncoder().encode('BVSEND');
const VERSION = 0x01;
const ID_BYTES = 16;
export const SEND_KEY_PAYLOAD_BYTES = MAGIC.length + 1 + 3 * ID_BYTES + FILE_KEY_BYTES;
export const SEND_KEY_BYTES = NONCE_BYTES + MAC_BYTES + SEND_KEY_PAYLOAD_BYTES;
/** Length of the wire form: standard base64 with padding. */
export const SEND_KEY_BASE64_LENGTH = Math.ceil(SEND_KEY_BYTES / 3) * 4;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a send-key binds together: the file, who sent it, to whom. Ids are lower-case UUIDs. */
export interface SendKeyFields {
  fileId: string;
  senderId: string;
  recipientId: string;
}

function uuidBytes(id: string): Uint8Array {
  const bytes = UUID.test(id) ? fromHex(id.replace(/-/g, '')) : undefined;
  if (!bytes || bytes.length !== ID_BYTES) throw new TypeError(`not a lower-case UUID: ${id}`);
  return bytes;
}

function uuidText(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function encodeSendKeyPayload(fields: SendKeyFields, fileKey: Uint8Array): Uint8Array {
  if (fileKey.length !== FILE_KEY_BYTES) throw new BlindvaultError('INVALID_FILE_KEY');
  return concatBytes(MAGIC, Uint8Array.of(VERSION), uuidBytes(fields.fileId), uuidBytes(fields.senderId), uuidBytes(fields.recipientId), fileKey);
}

/** Seals the file key to the recipient: answers the wire form (base64 of nonce ‖ box). */
export function sealSendKey(senderSecretKey: Uint8Array, recipientPublicKey: Uint8Array, fields: SendKeyFields, fileKey: Uint8Array): string {
  if (recipientPublicKey.length !== KEY_BYTES) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'recipient public key' });
  const sealed = boxSeal(senderSecretKey, recipientPublicKey, encodeSendKeyPayload(fields, fileKey));
  return toBase64(concatBytes(sealed.nonce, sealed.ciphertext));
}

/**
 * Opens a send-key with the sender's trusted public key and checks that it is about this send; answers the
 * file key. Every failure is SEND_KEY_INVALID: not the sender's, not for this file or recipient, or altered.
 */
export function openSendKey(wire: string, senderPublicKey: Uint8Array, recipientSecretKey: Uint8Array, expected: SendKeyFields): Uint8Array {
  const bytes = wire.length === SEND_KEY_BASE64_LENGTH ? fromBase64(wire) : undefined;
  if (!bytes || bytes.length !== SEND_KEY_BYTES) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'length' });
  const payload = boxOpen(senderPublicKey, recipientSecretKey, bytes.subarray(NONCE_BYTES), bytes.subarray(0, NONCE_BYTES));
  if (!payload || payload.length !== SEND_KEY_PAYLOAD_BYTES) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'not sealed by the sender for you' });
  if (!MAGIC.every((b, i) => payload[i] === b) || payload[MAGIC.length] !== VERSION) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'magic or version' });
  let at = MAGIC.length + 1;
  const next = (n: number) => payload.subarray(at, (at += n));
  const fileId = uuidText(next(ID_BYTES));
  const senderId = uuidText(next(ID_BYTES));
  const recipientId = uuidText(next(ID_BYTES));
  const fileKey = next(FILE_KEY_BYTES);
  if (fileId !== expected.fileId.toLowerCase()) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'sealed for another file' });
  if (senderId !== expected.senderId.toLowerCase()) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'sealed by another sender' });
  if (recipientId !== expected.recipientId.toLowerCase()) throw new BlindvaultError('SEND_KEY_INVALID', { reason: 'sealed for another recipient' });
  return Uint8Array.from(fileKey);
}
