import {
  parseLinkShareAccessRequest,
  parseLinkShareCreateRequest,
  parseLinkShareDeleteRequest,
  parseLinkShareUpdateRequest,
} from '../../../protocol/vault/link-shares.js';
import {
  EmptyResponse,
  LinkShareAccessResponse,
  LinkShareCreateResponse,
  LinkShareListResponse,
  LinkShareReadResponse,
} from '../../../protocol/vault/responses.js';
import { authOf, pathId, read, write, type VaultRouter } from '../routing.js';
import type { LinkSharesService } from './service.js';

/**
 * Link shares (vault-protocol.md §3.16): managed by their creator from a person's session (BV: API-key sessions are
 * refused), opened anonymously with the link share's id (and passphrase), throttled per address and per link share.
 */
export function linkSharesRoutes({ route }: VaultRouter, { linkShares }: { linkShares: LinkSharesService }): void {
  const person = { apiKey: 'deny' } as const;
  route('GET', '/link-share/', read(person), { 200: LinkShareListResponse }, async (r) => linkShares.list(authOf(r)));
  route('GET', '/link-share/:id/', read(person), { 200: LinkShareReadResponse }, async (r) =>
    linkShares.read(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })),
  );
  route('PUT', '/link-share/', write(person), { 201: LinkShareCreateResponse }, async (r, reply) =>
    reply.code(201).send(await linkShares.create(authOf(r), parseLinkShareCreateRequest(r.vaultBody))),
  );
  route('POST', '/link-share/', write(person), { 200: EmptyResponse }, async (r) => linkShares.update(authOf(r), parseLinkShareUpdateRequest(r.vaultBody)));
  route('DELETE', '/link-share/', write(person), { 200: EmptyResponse }, async (r) => linkShares.remove(authOf(r), parseLinkShareDeleteRequest(r.vaultBody).linkShareId));

  // Anonymous: the body is bounded like every anonymous request (64 KiB) and each field by its rule.
  route('POST', '/link-share-access/', { auth: 'none', scope: 'link_share_secret', flag: 'none' }, { 200: LinkShareAccessResponse }, async (r) =>
    linkShares.open(parseLinkShareAccessRequest(r.vaultBody), r.ip),
  );
}
