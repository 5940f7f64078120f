import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import { ErrorResponseSchema } from '../../protocol/files.js';
import type { StaticFolder } from '../../store/static-folder.js';
import { WEB_CLIENT_CONTENT_SECURITY_POLICY } from '../edge/security-headers.js';
import { renderBlindvaultError } from '../errors.js';
import { webClientConfig, type WebClientConfigInput } from './client-config.js';

export interface WebClientPluginOptions extends WebClientConfigInput {
  folder: StaticFolder;
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  xml: 'application/xml',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  ico: 'image/x-icon',
  webp: 'image/webp',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  eot: 'application/vnd.ms-fontobject',
  wasm: 'application/wasm',
};
const ERRORS = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema };
// A wildcard path: bounded before it is split.
const PATH_PARAMS = Type.Object({ '*': Type.String({ maxLength: 1024 }) });
const CHUNK_PARAMS = Type.Object({ name: Type.String({ maxLength: 128 }) });
const CHUNK_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.js$/;

/**
 * The official Psono web client, served from a build folder at /vault/ on the server's own origin
 * (VAULT_WEB_CLIENT_DIR), with a generated config.json that names this server and pins its verify
 * key. The build is the operator's; Blindvault ships none of it. Every answer is revalidated
 * (`no-cache` with an ETag): the build's file names carry no content hash, so an upgrade must show.
 * Its lazy chunks are also served at /js/ (the build asks for them there); nothing else outside /vault/.
 */
export async function webClientPlugin(app: FastifyInstance, options: WebClientPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const configJson = JSON.stringify(webClientConfig(options));

  const secure = (reply: FastifyReply) => reply.header('content-security-policy', WEB_CLIENT_CONTENT_SECURITY_POLICY);

  // Relative asset paths need the trailing slash: /vault goes to /vault/ (the router would serve both alike).
  app.get('/vault', { schema: { response: { 302: Type.Null(), ...ERRORS } }, config: { rateLimit: 'none' } }, async (request, reply) => {
    if (request.url.split('?')[0] !== '/vault') return serve(request, reply, ['index.html']);
    return reply.code(302).header('location', '/vault/').send();
  });
  app.get('/vault/*', { schema: { params: PATH_PARAMS, response: { ...ERRORS } }, config: { rateLimit: 'none' } }, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (rest === 'config.json') {
      secure(reply).header('cache-control', 'no-store').type('application/json');
      return reply.send(configJson);
    }
    return serve(request, reply, rest === '' ? ['index.html'] : rest.split('/'));
  });

  // The build loads its lazy chunks (the KDBX export's kdbxweb and Argon2, the XLS importer) from
  // /js/<chunk>.js at the site root, whatever folder it is served from (webpack's publicPath "/").
  // Only a file name in the build's js/ folder: one segment, letters, digits, `_`, `-`, inner dots, `.js`.
  app.get('/js/:name', { schema: { params: CHUNK_PARAMS, response: { ...ERRORS } }, config: { rateLimit: 'none' } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!CHUNK_NAME.test(name)) throw new BlindvaultError('NOT_FOUND');
    return serve(request, reply, ['js', name]);
  });

  async function serve(request: FastifyRequest, reply: FastifyReply, segments: string[]) {
    const file = await options.folder.open(segments);
    if (!file) throw new BlindvaultError('NOT_FOUND');
    const etag = `W/"${file.sizeBytes.toString(16)}-${file.modifiedAt.getTime().toString(16)}"`;
    const extension = /\.([a-z0-9]+)$/i.exec(segments.at(-1) ?? '')?.[1]?.toLowerCase() ?? '';
    secure(reply).header('cache-control', 'no-cache').header('etag', etag);
    if (request.headers['if-none-match'] === etag) {
      file.stream.destroy();
      return reply.code(304).send();
    }
    reply.type(CONTENT_TYPES[extension] ?? 'application/octet-stream').header('content-length', file.sizeBytes);
    // A stream is not a schema'd JSON body: Fastify pipes it and destroys it if the client goes away.
    return reply.send(file.stream as never);
  }
}
