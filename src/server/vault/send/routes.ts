import { EmptyResponse } from '../../../protocol/vault/responses.js';
import { InboxResponse, parseSendCreate, parseSendId, SendContentResponse, SendCreateResponse, SendReadResponse, SentResponse } from '../../../protocol/vault/sends.js';
import { authOf, pathId, read, write, type VaultRouter } from '../routing.js';
import type { SendService } from './service.js';

/** Files sent between vault users (docs/send.md). A person's act: API-key sessions are refused. */
export function sendRoutes({ route }: VaultRouter, { send }: { send: SendService }): void {
  const person = { apiKey: 'deny' } as const;
  route('POST', '/send/', write(person), { 201: SendCreateResponse }, async (r, reply) => reply.code(201).send(await send.create(authOf(r), parseSendCreate(r.vaultBody))));
  route('GET', '/send/inbox/', read(person), { 200: InboxResponse }, async (r) => send.inbox(authOf(r)));
  route('GET', '/send/sent/', read(person), { 200: SentResponse }, async (r) => send.sent(authOf(r)));
  route('GET', '/send/:id/', read(person), { 200: SendReadResponse }, async (r) => send.read(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN')));
  // Ciphertext, streamed as it is stored: a stream payload is not sealed by the vault's onSend hook.
  route('GET', '/send/:id/content/', read(person), { 200: SendContentResponse }, async (r, reply) => {
    const blob = await send.content(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN'));
    return reply
      .type('application/octet-stream')
      .header('content-length', String(blob.sizeBytes))
      .header('cache-control', 'no-store')
      .header('x-blindvault-format', 'v2')
      .send(blob.stream);
  });
  route('DELETE', '/send/', write(person), { 200: EmptyResponse }, async (r) => send.revoke(authOf(r), parseSendId(r.vaultBody).id));
}
