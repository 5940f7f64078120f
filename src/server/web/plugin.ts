// The browser page: GET / (upload), GET /f/{id} (download), the built assets under /assets/ and the
// download service worker /sw.js, and GET /limits (what an upload may ask for). Pages are no-cache;
// hashed assets are immutable for a year. Each answer carries the page CSP (the worker's own, with
// 'wasm-unsafe-eval' for libsodium) set here per route, over the server's default one.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import { ErrorResponseSchema, FileParamsSchema } from '../../protocol/files.js';
import { LimitsResponseSchema, type LimitsResponse } from '../../protocol/limits.js';
import { renderBlindvaultError } from '../errors.js';
import type { WebAssets } from '../../store/web-assets.js';
import { PAGE_CSP, WORKER_CSP, type PageLayout } from './layout.js';
import { FILE_PAGE, UPLOAD_PAGE } from './pages.js';

export interface WebPluginOptions {
  /** The built page; undefined when it was not built (the pages then answer 404). */
  assets: WebAssets | undefined;
  layout: PageLayout;
  limits: LimitsResponse;
}

const ERRORS = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema };
const HtmlSchema = Type.String({ description: 'HTML page' });
const AssetSchema = Type.String({ description: 'A built script or stylesheet' });
const AssetParamsSchema = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}\\.(js|css)$' }) });
const YEAR_SECONDS = 365 * 86400;

export async function webPlugin(app: FastifyInstance, options: WebPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const { assets, layout } = options;

  const page = (reply: FastifyReply, html: string) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', PAGE_CSP)
      .header('referrer-policy', 'no-referrer')
      .serializer(String)
      .send(html as never);
  const uploadHtml = assets ? layout.render({ title: 'Blindvault: share a file', main: UPLOAD_PAGE, script: 'upload' }) : undefined;
  const fileHtml = assets ? layout.render({ title: 'Blindvault: download a file', main: FILE_PAGE, script: 'file' }) : undefined;

  routes.get('/', { schema: { response: { 200: HtmlSchema, ...ERRORS } }, config: { rateLimit: 'none' } }, async (_request, reply) => {
    if (!uploadHtml) throw new BlindvaultError('NOT_FOUND');
    return page(reply, uploadHtml);
  });

  // The same page for any id: whether the file exists is asked by the page's script (HEAD, which counts nothing).
  routes.get('/f/:id', { schema: { params: FileParamsSchema, response: { 200: HtmlSchema, ...ERRORS } }, config: { rateLimit: 'none' } }, async (_request, reply) => {
    if (!fileHtml) throw new BlindvaultError('NOT_FOUND');
    return page(reply, fileHtml);
  });

  const sendAsset = (reply: FastifyReply, path: string, cacheControl: string) => {
    const asset = assets?.byPath.get(path);
    if (!asset) throw new BlindvaultError('NOT_FOUND');
    return reply
      .type(asset.contentType)
      .header('cache-control', cacheControl)
      .header('content-security-policy', asset === assets?.byName.get('worker') ? WORKER_CSP : PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .serializer((bytes: unknown) => bytes as string)
      .send(Buffer.from(asset.bytes.buffer, asset.bytes.byteOffset, asset.bytes.byteLength) as never);
  };

  routes.get('/assets/:name', { schema: { params: AssetParamsSchema, response: { 200: AssetSchema, ...ERRORS } }, config: { rateLimit: 'none' } }, async (request, reply) =>
    sendAsset(reply, `/assets/${request.params.name}`, `public, max-age=${YEAR_SECONDS}, immutable`),
  );

  // A service worker's script is checked for updates by the browser: never cached for long.
  routes.get('/sw.js', { schema: { response: { 200: AssetSchema, ...ERRORS } }, config: { rateLimit: 'none' } }, async (_request, reply) => sendAsset(reply, '/sw.js', 'no-cache'));

  routes.get('/limits', { schema: { response: { 200: LimitsResponseSchema, ...ERRORS } }, config: { rateLimit: 'none' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(options.limits),
  );
}
