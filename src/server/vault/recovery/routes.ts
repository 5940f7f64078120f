import { EmptyResponse } from '../../../protocol/vault/responses.js';
import {
  parseCodeLoginRequest,
  parsePasswordResetRequest,
  parseRecoveryCodeCreateRequest,
  PasswordResetStartResponse,
  RecoveryCodeCreateResponse,
} from '../../../protocol/vault/recovery.js';
import { authOf, write, type VaultRouter } from '../routing.js';
import type { RecoveryService } from './service.js';

/** Recovery codes and the lost-password reset (vault-protocol.md §3.13). */
export function recoveryRoutes({ route }: VaultRouter, { recovery }: { recovery: RecoveryService }): void {
  route('POST', '/recoverycode/', write({ apiKey: 'deny' }), { 200: RecoveryCodeCreateResponse }, async (request) =>
    recovery.create(authOf(request), parseRecoveryCodeCreateRequest(request.vaultBody)),
  );

  // Both steps check the code's authkey (Argon2id): per address under Psono's `password` scope.
  const anonymous = { auth: 'none', scope: 'password', flag: 'none', checksAuthkey: true } as const;
  route('POST', '/password/', anonymous, { 200: PasswordResetStartResponse }, async (request) =>
    recovery.start(parseCodeLoginRequest(request.vaultBody, 'recovery')),
  );
  route('PUT', '/password/', anonymous, { 200: EmptyResponse }, async (request) => recovery.reset(parsePasswordResetRequest(request.vaultBody)));
}
