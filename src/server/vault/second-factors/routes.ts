import { BlindvaultError } from '../../../protocol/errors.js';
import { EmptyResponse } from '../../../protocol/vault/responses.js';
import {
  parseGaVerifyRequest,
  parseTotpActivateRequest,
  parseTotpCreateRequest,
  parseTotpDeleteRequest,
  parseWebauthnActivateRequest,
  parseWebauthnChallengeRequest,
  parseWebauthnCreateRequest,
  parseWebauthnDeleteRequest,
  parseWebauthnVerifyRequest,
  TotpCreateResponse,
  TotpListResponse,
  WebauthnChallengeResponse,
  WebauthnCreateResponse,
  WebauthnListResponse,
} from '../../../protocol/vault/second-factors.js';
import { maySolveSecondFactor } from '../auth/policy.js';
import type { AuthContext } from '../auth/authenticator.js';
import { authOf, read, write, type VaultRouter } from '../routing.js';
import type { SecondFactorsService } from './service.js';

/** TOTP and WebAuthn: enrolment in the account settings, verification at login (vault-protocol.md §3.15). */
export function secondFactorsRoutes({ route }: VaultRouter, { secondFactors }: { secondFactors: SecondFactorsService }): void {
  const manage = { apiKey: 'deny' } as const;
  const checks = { apiKey: 'deny', scope: 'second_factor' } as const;
  // The login's own session, before activation (token*), is the only one that solves its factor.
  const login = { auth: 'token*', flag: 'write', apiKey: 'deny' } as const;
  const solver = (auth: AuthContext): AuthContext => {
    if (!maySolveSecondFactor(auth)) throw new BlindvaultError('TOKEN_INCORRECT');
    return auth;
  };

  route('GET', '/user/ga/', read(manage), { 200: TotpListResponse }, async (request) => secondFactors.listTotp(authOf(request)));
  route('PUT', '/user/ga/', write(manage), { 201: TotpCreateResponse }, async (request, reply) =>
    reply.code(201).send(await secondFactors.createTotp(authOf(request), parseTotpCreateRequest(request.vaultBody).title)),
  );
  route('POST', '/user/ga/', write(checks), { 200: EmptyResponse }, async (request) => {
    const { factorId, code } = parseTotpActivateRequest(request.vaultBody);
    return secondFactors.activateTotp(authOf(request), factorId, code);
  });
  route('DELETE', '/user/ga/', write(manage), { 200: EmptyResponse }, async (request) =>
    secondFactors.remove(authOf(request), parseTotpDeleteRequest(request.vaultBody).factorId, 'totp'),
  );
  route('POST', '/authentication/ga-verify/', { ...login, scope: 'second_factor' }, { 200: EmptyResponse }, async (request) =>
    secondFactors.verifyTotp(solver(authOf(request)), parseGaVerifyRequest(request.vaultBody).code),
  );

  route('GET', '/user/webauthn/', read(manage), { 200: WebauthnListResponse }, async (request) => secondFactors.listWebauthn(authOf(request)));
  route('PUT', '/user/webauthn/', write(manage), { 201: WebauthnCreateResponse }, async (request, reply) => {
    const { title, origin } = parseWebauthnCreateRequest(request.vaultBody);
    return reply.code(201).send(await secondFactors.createWebauthn(authOf(request), title, origin));
  });
  route('POST', '/user/webauthn/', write(checks), { 200: EmptyResponse }, async (request) => {
    const { factorId, credential } = parseWebauthnActivateRequest(request.vaultBody);
    return secondFactors.activateWebauthn(authOf(request), factorId, credential);
  });
  route('DELETE', '/user/webauthn/', write(manage), { 200: EmptyResponse }, async (request) =>
    secondFactors.remove(authOf(request), parseWebauthnDeleteRequest(request.vaultBody).factorId, 'webauthn'),
  );
  route('PUT', '/authentication/webauthn-verify/', login, { 200: WebauthnChallengeResponse }, async (request) =>
    secondFactors.webauthnChallenge(solver(authOf(request)), parseWebauthnChallengeRequest(request.vaultBody).origin),
  );
  route('POST', '/authentication/webauthn-verify/', { ...login, scope: 'second_factor' }, { 200: EmptyResponse }, async (request) =>
    secondFactors.verifyWebauthn(solver(authOf(request)), parseWebauthnVerifyRequest(request.vaultBody).credential),
  );
}
