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
import {
  EmptyResponse,
  MyShareRightsResponse,
  ShareCreateResponse,
  ShareListResponse,
  ShareReadResponse,
  ShareRightAcceptResponse,
  ShareRightIdResponse,
  ShareRightReadResponse,
  ShareRightsOfShareResponse,
  UpdatedResponse,
} from '../../../../protocol/vault/responses.js';
import { authOf, pathId, read, write, type VaultRouter } from '../../routing.js';
import type { GroupsService } from '../../groups/service.js';
import type { SharesService } from './service.js';

/** Shares, their links and the rights on them (spec §3.7, §3.8). */
export function sharesRoutes({ route }: VaultRouter, { shares, groups }: { shares: SharesService; groups: GroupsService }): void {
  // Shares (§3.7): POST creates and PUT updates.
  route('GET', '/share/', read(), { 200: ShareListResponse }, async (r) => shares.list(authOf(r)));
  route('GET', '/share/:id/', read(), { 200: ShareReadResponse }, async (r) => shares.read(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')));
  route('POST', '/share/', write(), { 201: ShareCreateResponse }, async (r, reply) =>
    reply.code(201).send(await shares.create(authOf(r), parseShareCreate(r.vaultBody))),
  );
  route('PUT', '/share/', write(), { 200: UpdatedResponse }, async (r) => shares.update(authOf(r), parseShareUpdate(r.vaultBody)));
  route('PUT', '/share/link/', write(), { 201: EmptyResponse }, async (r, reply) =>
    reply.code(201).send(await shares.createLink(authOf(r), parseShareLinkCreate(r.vaultBody))),
  );
  route('POST', '/share/link/', write(), { 200: EmptyResponse }, async (r) => {
    const { linkId, parent } = parseLinkMove(r.vaultBody);
    return shares.moveLink(authOf(r), linkId, parent);
  });
  route('DELETE', '/share/link/', write(), { 200: EmptyResponse }, async (r) => shares.deleteLink(authOf(r), parseLinkId(r.vaultBody).linkId));

  // Share rights (§3.8)
  route('GET', '/share/rights/:id/', read(), { 200: ShareRightsOfShareResponse }, async (r) =>
    shares.rightsOfShare(authOf(r), pathId(r, 'SHARE_ID_MALFORMED')),
  );
  route('GET', '/share/right/', read(), { 200: MyShareRightsResponse }, async (r) => shares.myRights(authOf(r)));
  route('GET', '/share/right/:id/', read(), { 200: ShareRightReadResponse }, async (r) =>
    shares.readRight(authOf(r), pathId(r, 'VAULT_OBJECT_FORBIDDEN', { withResourceId: true })),
  );
  // A right names a user or a group (§3.10): the groups room decides a group's.
  route('PUT', '/share/right/', write(), { 201: ShareRightIdResponse }, async (r, reply) => {
    const request = parseShareRightGrant(r.vaultBody);
    const { target } = request;
    return reply.code(201).send(await (target.userId !== undefined ? shares.grant(authOf(r), request, target.userId) : groups.grantToGroup(authOf(r), request, target.groupId)));
  });
  route('POST', '/share/right/', write(), { 200: ShareRightIdResponse }, async (r) => {
    const request = parseShareRightUpdate(r.vaultBody);
    const { target } = request;
    return target.userId !== undefined ? shares.updateRight(authOf(r), request, target.userId) : groups.updateGroupRight(authOf(r), request, target.groupId);
  });
  route('DELETE', '/share/right/', write(), { 200: EmptyResponse }, async (r) => {
    const request = parseShareRightDelete(r.vaultBody);
    return request.rightId !== undefined ? shares.deleteRight(authOf(r), request.rightId) : groups.deleteGroupRight(authOf(r), request.groupRightId);
  });
  route('POST', '/share/right/accept/', write(), { 200: ShareRightAcceptResponse }, async (r) => shares.accept(authOf(r), parseShareRightAccept(r.vaultBody)));
  route('POST', '/share/right/decline/', write(), { 200: EmptyResponse }, async (r) => shares.decline(authOf(r), parseShareRightId(r.vaultBody).rightId));
}
