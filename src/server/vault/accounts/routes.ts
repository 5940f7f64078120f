import { BlindvaultError } from '../../../protocol/errors.js';
import {
  parsePreloginRequest,
  parseRegisterRequest,
  parseUserDeleteRequest,
  parseUserSearchRequest,
  parseUserUpdateRequest,
} from '../../../protocol/vault/accounts.js';
import { FieldReader } from '../../../protocol/vault/fields.js';
import {
  AvatarsResponse,
  EmptyResponse,
  PreloginResponse,
  SuccessResponse,
  UserSearchResponse,
  UserStatusResponse,
} from '../../../protocol/vault/responses.js';
import type { VaultConfig } from '../../config.js';
import { authOf, type VaultRouter } from '../routing.js';
import type { AccountsService } from './service.js';

export interface AccountsRoutesOptions {
  accounts: AccountsService;
  config: VaultConfig;
  signupsAllowed: boolean;
}

/** Registration, prelogin, the user's own record, user search and deletion, avatars (spec §3.2–3.4). */
export function accountsRoutes({ route }: VaultRouter, { accounts, config, signupsAllowed }: AccountsRoutesOptions): void {
  route('POST', '/authentication/register/', { auth: 'none', scope: 'registration', flag: 'none' }, { 201: SuccessResponse }, async (request, reply) => {
    if (!signupsAllowed) throw new BlindvaultError('REGISTRATION_HAS_BEEN_DISABLED');
    await accounts.register(parseRegisterRequest(request.vaultBody, config.allowedUsernameDomains));
    return reply.code(201).send({ success: 'REGISTRATION_SUCCESSFUL' });
  });

  // No e-mail verification runs while SMTP is not set up, so no activation code can be right.
  route('POST', '/authentication/verify-email/', { auth: 'none', scope: 'verify_email', flag: 'none' }, { 200: SuccessResponse }, async (request) => {
    const fields = new FieldReader(request.vaultBody);
    fields.string('activation_code', { required: true, maxLength: 512 });
    fields.done();
    throw new BlindvaultError('ACTIVATION_CODE_INCORRECT');
  });

  route('POST', '/authentication/prelogin/', { auth: 'none', scope: 'prelogin', flag: 'none' }, { 200: PreloginResponse }, async (request) =>
    accounts.prelogin(parsePreloginRequest(request.vaultBody).username),
  );

  route('PUT', '/user/update/', { auth: 'token', scope: 'user_update', flag: 'write', apiKey: 'deny', checksAuthkey: true }, { 200: SuccessResponse }, async (request) => {
    await accounts.updateUser(authOf(request), parseUserUpdateRequest(request.vaultBody));
    return { success: 'User updated.' };
  });

  route('POST', '/user/search/', { auth: 'token', scope: 'user_search', flag: 'write' }, { 200: UserSearchResponse }, async (request) =>
    accounts.searchUsers(authOf(request), parseUserSearchRequest(request.vaultBody), { allowByEmail: config.allowUserSearchByEmail }),
  );

  route('DELETE', '/user/delete/', { auth: 'token', scope: 'user_delete', flag: 'write', apiKey: 'deny', checksAuthkey: true }, { 200: EmptyResponse }, async (request) => {
    await accounts.deleteUser(authOf(request), parseUserDeleteRequest(request.vaultBody).authkey);
    return {};
  });

  route('GET', '/user/status/', { auth: 'token', scope: 'status_check', flag: 'read' }, { 200: UserStatusResponse }, async (request) =>
    accounts.status(authOf(request)),
  );

  route('GET', '/avatar/', { auth: 'token', flag: 'read' }, { 200: AvatarsResponse }, async () => ({ avatars: [] }));
}
