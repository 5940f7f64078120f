import { EmptyResponse, LoginResponse } from '../../../protocol/vault/responses.js';
import {
  EmergencyCodeCreateResponse,
  EmergencyCodeListResponse,
  EmergencyLoginStartResponse,
  parseCodeLoginRequest,
  parseEmergencyCodeCreateRequest,
  parseEmergencyCodeDeleteRequest,
  parseEmergencyLoginRequest,
} from '../../../protocol/vault/recovery.js';
import { authOf, read, write, type VaultRouter } from '../routing.js';
import type { EmergencyService } from './service.js';

/** Emergency codes: the owner's list, creation and refusal; the trusted person's two steps (vault-protocol.md §3.14). */
export function emergencyRoutes({ route }: VaultRouter, { emergency }: { emergency: EmergencyService }): void {
  route('GET', '/emergencycode/', read({ apiKey: 'deny' }), { 200: EmergencyCodeListResponse }, async (request) => emergency.list(authOf(request)));
  route('POST', '/emergencycode/', write({ apiKey: 'deny' }), { 201: EmergencyCodeCreateResponse }, async (request, reply) =>
    reply.code(201).send(await emergency.create(authOf(request), parseEmergencyCodeCreateRequest(request.vaultBody))),
  );
  route('DELETE', '/emergencycode/', write({ apiKey: 'deny' }), { 200: EmptyResponse }, async (request) =>
    emergency.remove(authOf(request), parseEmergencyCodeDeleteRequest(request.vaultBody).codeId),
  );

  // Both steps check the code's authkey (Argon2id): per address under Psono's `password` scope.
  const anonymous = { auth: 'none', scope: 'password', flag: 'none', checksAuthkey: true } as const;
  route('POST', '/emergency-login/', anonymous, { 200: EmergencyLoginStartResponse }, async (request) =>
    emergency.arm(parseCodeLoginRequest(request.vaultBody, 'emergency')),
  );
  route('PUT', '/emergency-login/', anonymous, { 200: LoginResponse }, async (request) => emergency.login(parseEmergencyLoginRequest(request.vaultBody)));
}
