import swagger from '@fastify/swagger';
import { Type } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { ErrorResponseSchema } from '../../protocol/files.js';

/** Collects every route's schemas into an OpenAPI document (registered before the routes it describes). */
export const openApiCollector = fp(async (app: FastifyInstance, { version }: { version: string }) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Blindvault',
        version,
        description: 'Zero-knowledge file and secret server: it stores ciphertext and public keys only.',
      },
    },
  });
});

/** GET /openapi.json: the document, for client generators and auditors. */
export async function openApiRoute(app: FastifyInstance): Promise<void> {
  app.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: Type.Object({}, { additionalProperties: true }), '4xx': ErrorResponseSchema } }, config: { rateLimit: 'none' } },
    async () => app.swagger(),
  );
}
