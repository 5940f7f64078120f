import { BlindvaultError } from '../../../../protocol/errors.js';
import { parseLinkId, parseLinkMove, parseSecretCreate, parseSecretUpdate } from '../../../../protocol/vault/objects.js';
import { authOf, pathId, read, write, type VaultRouter } from '../../routing.js';
import type { SecretsService } from './service.js';

/** Secrets, their history and their links (spec §3.6). A restricted API key reads and writes only its own secrets. */
export function secretsRoutes({ route }: VaultRouter, { secrets }: { secrets: SecretsService }): void {
  route('GET', '/secret/', read(), async () => {
    throw new BlindvaultError('SECRET_ID_NOT_PROVIDED');
  });
  route('GET', '/secret/:id/', read({ apiKey: 'restricted' }), async (r) => secrets.read(authOf(r), pathId(r, 'SECRET_ID_MALFORMED')));
  route('PUT', '/secret/', write(), async (r, reply) => reply.code(201).send(await secrets.create(authOf(r), parseSecretCreate(r.vaultBody))));
  route('POST', '/secret/', write({ apiKey: 'restricted' }), async (r) => secrets.update(authOf(r), parseSecretUpdate(r.vaultBody)));
  route('GET', '/secret/history/:id/', read(), async (r) => secrets.history(authOf(r), pathId(r, 'SECRET_ID_BADLY_FORMED')));
  route('GET', '/history/:id/', read(), async (r) => secrets.historyEntry(authOf(r), pathId(r, 'SECRET_HISTORY_ID_BADLY_FORMED')));
  route('POST', '/secret/link/', write(), async (r) => secrets.moveLink(authOf(r), parseLinkMove(r.vaultBody)));
  route('DELETE', '/secret/link/', write(), async (r) => secrets.deleteLink(authOf(r), parseLinkId(r.vaultBody).linkId));
}
