import { BlindvaultError } from '../../../../protocol/errors.js';
import { parseLinkId, parseLinkMove, parseSecretCreate, parseSecretUpdate } from '../../../../protocol/vault/objects.js';
import {
  EmptyResponse,
  SecretCreateResponse,
  SecretHistoryEntryResponse,
  SecretHistoryResponse,
  SecretReadResponse,
  SuccessResponse,
} from '../../../../protocol/vault/responses.js';
import { authOf, pathId, read, write, type VaultRouter } from '../../routing.js';
import type { SecretsService } from './service.js';

/** Secrets, their history and their links (spec §3.6). A restricted API key reads and writes only its own secrets. */
export function secretsRoutes({ route }: VaultRouter, { secrets }: { secrets: SecretsService }): void {
  route('GET', '/secret/', read(), {}, async () => {
    throw new BlindvaultError('SECRET_ID_NOT_PROVIDED');
  });
  route('GET', '/secret/:id/', read({ apiKey: 'restricted' }), { 200: SecretReadResponse }, async (r) =>
    secrets.read(authOf(r), pathId(r, 'SECRET_ID_MALFORMED')),
  );
  route('PUT', '/secret/', write(), { 201: SecretCreateResponse }, async (r, reply) =>
    reply.code(201).send(await secrets.create(authOf(r), parseSecretCreate(r.vaultBody))),
  );
  route('POST', '/secret/', write({ apiKey: 'restricted' }), { 200: SuccessResponse }, async (r) => secrets.update(authOf(r), parseSecretUpdate(r.vaultBody)));
  route('GET', '/secret/history/:id/', read(), { 200: SecretHistoryResponse }, async (r) => secrets.history(authOf(r), pathId(r, 'SECRET_ID_BADLY_FORMED')));
  route('GET', '/history/:id/', read(), { 200: SecretHistoryEntryResponse }, async (r) =>
    secrets.historyEntry(authOf(r), pathId(r, 'SECRET_HISTORY_ID_BADLY_FORMED')),
  );
  route('POST', '/secret/link/', write(), { 200: EmptyResponse }, async (r) => secrets.moveLink(authOf(r), parseLinkMove(r.vaultBody)));
  route('DELETE', '/secret/link/', write(), { 200: EmptyResponse }, async (r) => secrets.deleteLink(authOf(r), parseLinkId(r.vaultBody).linkId));
}
