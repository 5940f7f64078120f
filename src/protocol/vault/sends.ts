// Sending files between vault users (docs/send.md): the request parser and the answers' schemas.
import { Type } from '@fastify/type-provider-typebox';
import { fromBase64 } from '../../crypto/encoding.js';
import { SEND_KEY_BASE64_LENGTH, SEND_KEY_BYTES } from '../../crypto/send-key.js';
import { TOKEN_PATTERN } from '../../crypto/token-format.js';
import { FieldReader } from './fields.js';

const TOKEN = new RegExp(TOKEN_PATTERN);

export interface SendCreateRequest {
  fileId: string;
  ownerToken: string;
  recipientId: string;
  boxedKey: string;
}

export function parseSendCreate(body: unknown): SendCreateRequest {
  const f = new FieldReader(body);
  const fileId = f.uuid('file_id', true);
  const ownerToken = f.string('owner_token', { required: true, maxLength: 43, trim: false });
  if (ownerToken !== undefined && !TOKEN.test(ownerToken)) f.fail('owner_token', 'Not an owner token.');
  const recipientId = f.uuid('recipient_id', true);
  const boxedKey = f.string('boxed_key', { required: true, maxLength: SEND_KEY_BASE64_LENGTH, trim: false });
  if (boxedKey !== undefined && fromBase64(boxedKey)?.length !== SEND_KEY_BYTES) f.fail('boxed_key', `Must be ${SEND_KEY_BYTES} bytes in standard base64.`);
  f.done();
  return { fileId: fileId as string, ownerToken: ownerToken as string, recipientId: recipientId as string, boxedKey: boxedKey as string };
}

export function parseSendId(body: unknown): { id: string } {
  const f = new FieldReader(body);
  const id = f.uuid('id', true);
  f.done();
  return { id: id as string };
}

const KEY = () => Type.String({ pattern: '^[0-9a-f]{64}$' });
const common = {
  id: Type.String(),
  size_bytes: Type.Integer(),
  created_at: Type.String(),
  expires_at: Type.String(),
};
const Received = Type.Object({ ...common, sender_id: Type.String(), sender_username: Type.String(), sender_public_key: KEY() });
const Sent = Type.Object({ ...common, recipient_id: Type.String(), recipient_username: Type.String(), recipient_public_key: KEY() });

export const SendCreateResponse = Type.Object({ id: Type.String() });
export const InboxResponse = Type.Object({ sends: Type.Array(Received) });
export const SentResponse = Type.Object({ sends: Type.Array(Sent) });
export const SendReadResponse = Type.Object({ ...Received.properties, recipient_id: Type.String(), boxed_key: Type.String() });
/** The content route answers raw ciphertext; its 200 is described, not serialized. */
export const SendContentResponse = Type.String({ description: 'the ciphertext (format v2), application/octet-stream' });
