import type { FastifyInstance, HTTPMethods } from 'fastify';
import { BlindvaultError } from '../../protocol/errors.js';
import { ANONYMOUS_BODY_LIMIT, ID_PARAMS, VAULT_METHODS, vaultResponses, type VaultRouter } from './routing.js';

/**
 * A known path with a method it does not take: 405 (spec §0.1), `{}` for the methods Psono's
 * handlers know, a DRF message for the others. Registered after every room's routes.
 */
export function methodNotAllowedRoutes(app: FastifyInstance, { registered }: VaultRouter): void {
  for (const [url, methods] of registered) {
    const missing = VAULT_METHODS.filter((m) => !methods.has(m));
    app.route({
      method: [...missing, 'PATCH', ...(methods.has('GET') ? [] : ['HEAD'])] as HTTPMethods[],
      url,
      schema: { response: vaultResponses({}), ...(url.includes(':id') ? { params: ID_PARAMS } : {}) },
      config: { vault: { auth: 'optional', flag: 'none' } },
      // Nobody needs a body to be told 405: never more than an anonymous route reads.
      bodyLimit: ANONYMOUS_BODY_LIMIT,
      handler: async (request) => {
        if (request.method === 'PATCH' || request.method === 'HEAD') {
          throw new BlindvaultError('VAULT_METHOD_NOT_ALLOWED', { detail: `Method "${request.method}" not allowed.`, shape: 'detail' });
        }
        throw new BlindvaultError('VAULT_METHOD_NOT_ALLOWED');
      },
    });
  }
}
