import {
  parseLinkId,
  parseLinkMove,
  parseShareCreate,
  parseShareLinkCreate,
  parseShareRightAccept,
  parseShareRightDelete,
  parseShareRightGrant,
  parseShareRightId,
  parseShareRightUpdate,
  parseShareUpdate,
} from '../../../../protocol/vault/objects.js';
import { authOf, pathId, read, write, type VaultRouter } from '../../routing.js';
import type { SharesService } from './service.js';

/** Shares, their links and the rights on them (spec §3.7, §3.8). */
export function sharesRoutes({ route }: VaultRouter, { shares }: { shares: SharesService }): void {
  // Shares (§3.7): POST creates and PUT updates.
  route('GET', '/share/', read(), async (r) => shares.list(authOf(r)));
  route('GET', '/share/:id/', read(), async (r) => shares.read(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')));
  route('POST', '/share/', write(), async (r, reply) => reply.code(201).send(await shares.create(authOf(r), parseShareCreate(r.vaultBody))));
  route('PUT', '/share/', write(), async (r) => shares.update(authOf(r), parseShareUpdate(r.vaultBody)));
  route('PUT', '/share/link/', write(), async (r, reply) => reply.code(201).send(await shares.createLink(authOf(r), parseShareLinkCreate(r.vaultBody))));
  route('POST', '/share/link/', write(), async (r) => {
    const { linkId, parent } = parseLinkMove(r.vaultBody);
    return shares.moveLink(authOf(r), linkId, parent);
  });
  route('DELETE', '/share/link/', write(), async (r) => shares.deleteLink(authOf(r), parseLinkId(r.vaultBody).linkId));

  // Share rights (§3.8)
  route('GET', '/share/rights/:id/', read(), async (r) => shares.rightsOfShare(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')));
  route('GET', '/share/right/', read(), async (r) => shares.myRights(authOf(r)));
  route('GET', '/share/right/:id/', read(), async (r) => shares.readRight(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN', { withResourceId: true })));
  route('PUT', '/share/right/', write(), async (r, reply) => reply.code(201).send(await shares.grant(authOf(r), parseShareRightGrant(r.vaultBody))));
  route('POST', '/share/right/', write(), async (r) => shares.updateRight(authOf(r), parseShareRightUpdate(r.vaultBody)));
  route('DELETE', '/share/right/', write(), async (r) => shares.deleteRight(authOf(r), parseShareRightDelete(r.vaultBody).rightId));
  route('POST', '/share/right/accept/', write(), async (r) => shares.accept(authOf(r), parseShareRightAccept(r.vaultBody)));
  route('POST', '/share/right/decline/', write(), async (r) => shares.decline(authOf(r), parseShareRightId(r.vaultBody).rightId));
}
