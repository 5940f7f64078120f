import type { FastifyReply, FastifyRequest } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { sealJson } from '../../protocol/vault/envelope.js';
import type { Authenticator } from './auth/authenticator.js';
import { vaultErrorAnswer } from './errors.js';
import { credentialsOf } from './routing.js';

/** Answers a vault URL that Fastify refused before routing it (see createMalformedUrlAnswer). */
export type MalformedUrlAnswer = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/**
 * A /server/ URL that cannot be routed (a broken %-escape, an id longer than the router takes) never
 * reaches the vault's hooks, so it is answered here: the vault's 400 in Psono's shape, sealed with
 * the session secret when the request carries a valid session token, plain otherwise (spec §1.4).
 */
export function createMalformedUrlAnswer(authenticator: Authenticator): MalformedUrlAnswer {
  return async (request, reply) => {
    const { status, body, headers } = vaultErrorAnswer(new BlindvaultError('VALIDATION_FAILED'), request);
    const credentials = credentialsOf(request);
    const auth = credentials.authorization ? await authenticator.authenticate(credentials, { allowInactive: false }).catch(() => undefined) : undefined;
    const answer = auth ? sealJson(auth.sessionSecret.reveal(), body) : body;
    return reply.code(status).headers(headers).type('application/json').send(JSON.stringify(answer));
  };
}
