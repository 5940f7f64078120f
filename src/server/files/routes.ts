import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Secret } from '../../crypto/secret.js';
import { TOKEN_PATTERN } from '../../crypto/token.js';
import { BlindvaultError } from '../../protocol/errors.js';
import {
  E2E_HEADERS,
  RESUME_TOKEN_HEADER,
  ErrorResponseSchema,
  FileInfoResponseSchema,
  FileParamsSchema,
  ManageQuerySchema,
  UpdateFileRequestSchema,
  UploadResponseSchema,
  formatE2eBytes,
  type FileInfoResponse,
} from '../../protocol/files.js';
import { FORMAT_HEADER } from '../../protocol/uploads.js';
import type { FileRecord } from '../../store/metadata-store.js';
import type { PageLayout } from '../web/layout.js';
import { renderManagePage } from './manage-page.js';
import { uploadParts } from './multipart.js';
import type { Download, FilesService } from './service.js';

export interface FilesRoutesOptions {
  service: FilesService;
  publicUrl: string | undefined;
  maxUploadBytes: number;
  /** The look of the server's pages (src/server/web/): the manage page's HTML uses it. */
  layout: PageLayout;
}

const ERRORS = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema };
const RangeHeadersSchema = Type.Object({
  range: Type.Optional(Type.String()),
  'if-range': Type.Optional(Type.String()),
  // Malformed values are treated as absent (the request is then counted), never as a hint.
  [RESUME_TOKEN_HEADER]: Type.Optional(Type.String({ maxLength: 256 })),
});
const OwnerHeadersSchema = Type.Object({ authorization: Type.Optional(Type.String()) });
const OWNER_TOKEN = new RegExp(TOKEN_PATTERN);
// Room for the multipart framing and the small fields around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export async function filesRoutes(app: FastifyInstance, options: FilesRoutesOptions): Promise<void> {
  const { service } = options;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const baseUrl = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.host}`;
  const downloadUrl = (request: FastifyRequest, id: string) => `${baseUrl(request)}/f/${id}/encrypted`;
  const info = (request: FastifyRequest, record: FileRecord): FileInfoResponse => ({
    id: record.id,
    download_url: downloadUrl(request, record.id),
    size_bytes: record.sizeBytes ?? 0,
    created_at: record.createdAt.toISOString(),
    expires_at: (record.expiresAt ?? record.createdAt).toISOString(),
    downloads: record.downloads,
    max_downloads: record.maxDownloads,
    e2e: true,
  });

  routes.post(
    '/upload',
    { schema: { consumes: ['multipart/form-data'], response: { 200: UploadResponseSchema, ...ERRORS } }, config: { rateLimit: 'upload', streamsBody: true } },
    async (request, reply) => {
      const declared = Number(request.headers['content-length']);
      if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
      if (!request.isMultipart()) throw new BlindvaultError('UNSUPPORTED_MEDIA_TYPE');
      // A declared length says how many file bytes come at least: quotas refuse them before reading.
      const minimumBytes = Number.isSafeInteger(declared) ? Math.max(0, declared - MULTIPART_OVERHEAD_BYTES) : undefined;
      const { record, ownerToken } = await service.upload(uploadParts(request), request.ip, minimumBytes === undefined ? {} : { minimumBytes });
      const token = ownerToken.reveal();
      // The answer carries the owner token: no cache may keep it.
      return reply.code(200).header('cache-control', 'no-store').send({
        id: record.id,
        download_url: downloadUrl(request, record.id),
        redirect: `/f/${record.id}/manage?token=${token}`,
        owner_token: token,
        size_bytes: record.sizeBytes ?? 0,
        created_at: record.createdAt.toISOString(),
        expires_at: (record.expiresAt ?? record.createdAt).toISOString(),
        max_downloads: record.maxDownloads,
        e2e: true as const,
      });
    },
  );

  const setDownloadHeaders = (reply: FastifyReply, record: FileRecord, etag: string) => {
    reply
      .header('content-type', 'application/octet-stream')
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('cache-control', 'no-store')
      .header(FORMAT_HEADER, record.format)
      // What the page shows a link's holder before the download (HEAD counts none); nothing here is secret to them.
      .header('x-blindvault-expires-at', (record.expiresAt ?? record.createdAt).toISOString())
      .header('access-control-expose-headers', 'X-E2E-Salt, X-E2E-IV, X-Blindvault-Format, X-Blindvault-Expires-At, X-Blindvault-Downloads-Left, ETag, Content-Range, Content-Length, X-Resume-Token');
    if (record.maxDownloads !== null) reply.header('x-blindvault-downloads-left', Math.max(0, record.maxDownloads - record.downloads));
    // v1 carries its KDF salt and IV beside the ciphertext (the seed's headers); v2 in its own header.
    if (record.format !== 'v1') return reply;
    // A bug, logged with the request id: the file id stays out of the log (it is the download link).
    if (!record.salt || !record.iv) throw new Error('a ready file has no salt or IV');
    return reply.header(E2E_HEADERS.salt, formatE2eBytes(record.salt)).header(E2E_HEADERS.iv, formatE2eBytes(record.iv));
  };

  routes.get(
    '/f/:id/encrypted',
    { schema: { params: FileParamsSchema, headers: RangeHeadersSchema, response: { ...ERRORS } }, config: { rateLimit: 'none' } },
    async (request, reply) => {
      let download: Download;
      try {
        const presented = request.headers[RESUME_TOKEN_HEADER];
        download = await service.download(request.params.id, {
          range: request.headers.range,
          ifRange: request.headers['if-range'],
          resumeToken: presented !== undefined && OWNER_TOKEN.test(presented) ? new Secret(presented) : undefined,
        });
      } catch (error) {
        if (error instanceof BlindvaultError && error.code === 'RANGE_NOT_SATISFIABLE') {
          reply.header('content-range', `bytes */${String(error.details?.sizeBytes ?? '*')}`);
        }
        throw error;
      }
      const { record, etag, range, blob, resumeToken } = download;
      setDownloadHeaders(reply, record, etag);
      if (resumeToken) reply.header(RESUME_TOKEN_HEADER, resumeToken.reveal());
      if (range) {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${blob.sizeBytes}`);
        reply.header('content-length', range.end - range.start + 1);
      } else {
        reply.code(200).header('content-length', blob.sizeBytes);
      }
      // A stream is not a schema'd JSON body: Fastify pipes it and destroys it if the client goes away.
      return reply.send(blob.stream as never);
    },
  );

  routes.head(
    '/f/:id/encrypted',
    { schema: { params: FileParamsSchema, response: { ...ERRORS } }, config: { rateLimit: 'none' } },
    async (request, reply) => {
      const { record, etag } = await service.inspectDownload(request.params.id);
      setDownloadHeaders(reply, record, etag).header('content-length', record.sizeBytes ?? 0);
      return reply.code(200).send(null as never);
    },
  );

  const ownerToken = (request: FastifyRequest<{ Querystring: { token?: string } }>): Secret<string> => {
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const token = request.query.token ?? bearer;
    if (token === undefined) throw new BlindvaultError('OWNER_TOKEN_REQUIRED');
    if (!OWNER_TOKEN.test(token)) throw new BlindvaultError('NOT_FOUND');
    return new Secret(token);
  };
  const manageSchema = { params: FileParamsSchema, querystring: ManageQuerySchema, headers: OwnerHeadersSchema };

  routes.get(
    '/f/:id/manage',
    { schema: { ...manageSchema, produces: ['application/json', 'text/html'], response: { 200: FileInfoResponseSchema, ...ERRORS } }, config: { rateLimit: 'owner' } },
    async (request, reply) => {
      const record = await service.describe(request.params.id, ownerToken(request));
      reply.header('cache-control', 'no-store');
      const body = info(request, record);
      if (wantsHtml(request.headers.accept)) {
        reply.header('content-security-policy', options.layout.csp);
        return reply.type('text/html; charset=utf-8').serializer(String).send(renderManagePage(body, options.layout) as never);
      }
      return reply.send(body);
    },
  );

  routes.patch(
    '/f/:id/manage',
    { schema: { ...manageSchema, body: UpdateFileRequestSchema, response: { 200: FileInfoResponseSchema, ...ERRORS } }, config: { rateLimit: 'owner' } },
    async (request) => {
      const { expires_in: expiresInSeconds, max_downloads: maxDownloads } = request.body;
      const record = await service.update(request.params.id, ownerToken(request), {
        ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
        ...(maxDownloads !== undefined ? { maxDownloads } : {}),
      });
      return info(request, record);
    },
  );

  routes.delete(
    '/f/:id/manage',
    { schema: { ...manageSchema, response: { 204: Type.Null(), ...ERRORS } }, config: { rateLimit: 'owner' } },
    async (request, reply) => {
      await service.remove(request.params.id, ownerToken(request));
      return reply.code(204).send(null);
    },
  );
}

/** A browser asks for text/html; API clients for application/json (or anything: JSON is the default). */
function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html') && !accept.includes('application/json');
}
