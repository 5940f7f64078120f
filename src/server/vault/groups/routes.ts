import {
  GroupCreateResponse,
  GroupListResponse,
  GroupReadResponse,
  GroupRightsResponse,
  MembershipAcceptResponse,
  MembershipCreateResponse,
} from '../../../protocol/vault/group-responses.js';
import { parseGroupCreate, parseGroupId, parseGroupUpdate, parseMembershipCreate, parseMembershipId, parseMembershipUpdate } from '../../../protocol/vault/groups.js';
import { EmptyResponse } from '../../../protocol/vault/responses.js';
import { authOf, pathId, read, write, type VaultRouter } from '../routing.js';
import type { GroupsService } from './service.js';

/** Groups and memberships (docs/vault-protocol.md §3.10); a group's rights on shares go through /share/right/. */
export function groupsRoutes({ route }: VaultRouter, { groups }: { groups: GroupsService }): void {
  // API-key sessions are refused: a group is managed by a person (BV; Psono lets unrestricted keys).
  const person = { apiKey: 'deny' } as const;
  route('GET', '/group/', read(person), { 200: GroupListResponse }, async (r) => groups.list(authOf(r)));
  route('GET', '/group/:id/', read(person), { 200: GroupReadResponse }, async (r) =>
    groups.read(authOf(r), pathId(r, 'VAULT_OBJECT_UNKNOWN', { withResourceId: true })),
  );
  route('PUT', '/group/', write(person), { 201: GroupCreateResponse }, async (r, reply) => reply.code(201).send(await groups.create(authOf(r), parseGroupCreate(r.vaultBody))));
  route('POST', '/group/', write(person), { 200: EmptyResponse }, async (r) => {
    const { groupId, name } = parseGroupUpdate(r.vaultBody);
    return groups.rename(authOf(r), groupId, name);
  });
  route('DELETE', '/group/', write(person), { 200: EmptyResponse }, async (r) => groups.remove(authOf(r), parseGroupId(r.vaultBody).groupId));
  route('GET', '/group/rights/', read(person), { 200: GroupRightsResponse }, async (r) => groups.rights(authOf(r)));
  route('GET', '/group/rights/:id/', read(person), { 200: GroupRightsResponse }, async (r) => groups.rights(authOf(r), pathId(r, 'NO_PERMISSION_OR_NOT_EXIST')));

  route('PUT', '/membership/', write(person), { 201: MembershipCreateResponse }, async (r, reply) =>
    reply.code(201).send(await groups.invite(authOf(r), parseMembershipCreate(r.vaultBody))),
  );
  route('POST', '/membership/', write(person), { 200: EmptyResponse }, async (r) => groups.updateMembership(authOf(r), parseMembershipUpdate(r.vaultBody)));
  route('DELETE', '/membership/', write(person), { 200: EmptyResponse }, async (r) => groups.deleteMembership(authOf(r), parseMembershipId(r.vaultBody).membershipId));
  route('POST', '/membership/accept/', write(person), { 200: MembershipAcceptResponse }, async (r) => groups.accept(authOf(r), parseMembershipId(r.vaultBody).membershipId));
  route('POST', '/membership/decline/', write(person), { 200: EmptyResponse }, async (r) => groups.decline(authOf(r), parseMembershipId(r.vaultBody).membershipId));
}
