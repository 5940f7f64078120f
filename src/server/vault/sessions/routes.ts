import { BlindvaultError } from '../../../protocol/errors.js';
import { parseActivateTokenRequest, parseLoginRequest, parseLogoutRequest } from '../../../protocol/vault/sessions.js';
import { ActivateTokenResponse, LoginResponse, SessionsResponse, SuccessResponse } from '../../../protocol/vault/responses.js';
import { mayEndSession } from '../auth/policy.js';
import { authOf, type VaultRouter } from '../routing.js';
import type { SessionsService } from './service.js';

/** Password login, token activation, logout and the session list (spec §3.3). */
export function sessionsRoutes({ route }: VaultRouter, { sessions }: { sessions: SessionsService }): void {
  route('POST', '/authentication/login/', { auth: 'none', scope: 'login', flag: 'none', checksAuthkey: true }, { 200: LoginResponse }, async (request) =>
    sessions.login(parseLoginRequest(request.vaultBody)),
  );

  route('POST', '/authentication/activate-token/', { auth: 'token*', flag: 'write' }, { 200: ActivateTokenResponse }, async (request) => {
    const { verification, verificationNonce } = parseActivateTokenRequest(request.vaultBody);
    return sessions.activate(authOf(request), verification, verificationNonce);
  });

  route('POST', '/authentication/logout/', { auth: 'token', flag: 'none', apiKey: 'restricted' }, { 200: SuccessResponse }, async (request) => {
    const auth = authOf(request);
    const { sessionId } = parseLogoutRequest(request.vaultBody);
    if (!mayEndSession(auth, sessionId)) throw new BlindvaultError('VAULT_PERMISSION_DENIED');
    await sessions.logout(auth, sessionId);
    return { success: 'Successfully logged out.' };
  });

  route('GET', '/authentication/sessions/', { auth: 'token', flag: 'read', apiKey: 'deny' }, { 200: SessionsResponse }, async (request) =>
    sessions.list(authOf(request)),
  );
}
