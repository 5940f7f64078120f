import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BlindvaultError } from '../../protocol/errors.js';
import { ErrorResponseSchema } from '../../protocol/files.js';
import {
  CreateUploadHeadersSchema,
  CreateUploadResponseSchema,
  PatchUploadHeadersSchema,
  TUS_CONTENT_TYPE,
  TUS_VERSION,
  UPLOADS_PATH,
  UploadHeadersSchema,
  UploadParamsSchema,
  type CreateUploadResponse,
} from '../../protocol/uploads.js';
import type { UploadsService } from './service.js';
import type { TusFront } from './tus-server.js';

export interface UploadsRoutesOptions {
  service: UploadsService;
  tus: TusFront;
  publicUrl: string | undefined;
  maxChunkBytes: number;
}

const ERRORS = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema };
// The request headers tus reads; nothing else of the request reaches it.
const TUS_REQUEST_HEADERS = ['tus-resumable', 'upload-offset', 'content-type', 'content-length', 'authorization'] as const;
// What of tus's answer is passed on (no CORS: the page is same-origin).
const TUS_ANSWER_HEADERS = ['tus-resumable', 'tus-version', 'tus-extension', 'tus-max-size', 'upload-offset', 'upload-length', 'cache-control', 'connection'] as const;

export async function uploadsRoutes(app: FastifyInstance, options: UploadsRoutesOptions): Promise<void> {
  const { service, tus } = options;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const baseUrl = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.host}`;

  routes.post(
    UPLOADS_PATH,
    { schema: { headers: CreateUploadHeadersSchema, response: { 201: CreateUploadResponseSchema, ...ERRORS } }, config: { rateLimit: 'upload' } },
    async (request, reply) => {
      const headers = request.headers;
      // Deferred lengths, concatenation and creation-with-upload are not offered: the length is
      // bounded before anything is stored, and the secrets are in the client's hands before a byte.
      if (headers['upload-defer-length'] !== undefined || headers['upload-concat'] !== undefined) throw new BlindvaultError('VALIDATION_FAILED');
      if (hasBody(request)) throw new BlindvaultError('VALIDATION_FAILED', { field: 'body' });
      const created = await service.create({
        lengthBytes: Number(headers['upload-length']),
        metadata: headers['upload-metadata'],
        clientAddress: request.ip,
      });
      const base = baseUrl(request);
      const uploadUrl = `${base}${UPLOADS_PATH}/${created.id}`;
      const ownerToken = created.ownerToken.reveal();
      const body: CreateUploadResponse = {
        id: created.id,
        upload_url: uploadUrl,
        upload_token: created.uploadToken.reveal(),
        owner_token: ownerToken,
        redirect: `/f/${created.id}/manage?token=${ownerToken}`,
        download_url: `${base}/f/${created.id}/encrypted`,
        size_bytes: created.lengthBytes,
        created_at: created.createdAt.toISOString(),
        expires_in: created.ttlSeconds,
        max_downloads: created.maxDownloads,
        format: 'v2',
        e2e: true,
      };
      // The answer carries both secrets: no cache may keep it.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('tus-resumable', TUS_VERSION)
        .header('location', uploadUrl)
        .header('upload-offset', '0')
        .send(body);
    },
  );

  const viaTus = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    // A body that trickles below the upload pace (the edge plugin's watch) fails its read; tus
    // calls that "aborted": the answer says why.
    let stalled: unknown;
    request.uploadPace?.stalled.catch((error: unknown) => (stalled = error));
    let response: Response;
    try {
      response = await tus.handle(toWebRequest(request, `${UPLOADS_PATH}/${request.params.id}`));
    } catch (error) {
      throw error instanceof BlindvaultError && error.code === 'UPLOAD_ABORTED' && stalled !== undefined ? stalled : error;
    }
    reply.code(response.status);
    for (const name of TUS_ANSWER_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) reply.header(name, value);
    }
    // No body: tus answers 204, or 200 to HEAD (whose Content-Length would describe a body).
    return reply.send();
  };
  const tusAnswers = { 200: Type.Null(), 204: Type.Null(), ...ERRORS };

  routes.head(
    `${UPLOADS_PATH}/:id`,
    { schema: { params: UploadParamsSchema, headers: UploadHeadersSchema, response: tusAnswers }, config: { rateLimit: 'owner' } },
    viaTus,
  );

  routes.patch(
    `${UPLOADS_PATH}/:id`,
    { schema: { params: UploadParamsSchema, headers: PatchUploadHeadersSchema, response: tusAnswers }, config: { rateLimit: 'owner', streamsBody: true } },
    async (request, reply) => {
      if (request.headers['content-type'] !== TUS_CONTENT_TYPE) throw new BlindvaultError('UNSUPPORTED_MEDIA_TYPE');
      const declared = request.headers['content-length'];
      if (declared !== undefined && Number(declared) > options.maxChunkBytes) throw new BlindvaultError('PAYLOAD_TOO_LARGE');
      return viaTus(request, reply);
    },
  );

  routes.delete(
    `${UPLOADS_PATH}/:id`,
    { schema: { params: UploadParamsSchema, headers: UploadHeadersSchema, response: tusAnswers }, config: { rateLimit: 'owner' } },
    viaTus,
  );

  routes.options(
    UPLOADS_PATH,
    { schema: { response: { 204: Type.Null(), ...ERRORS } }, config: { rateLimit: 'none' } },
    async (request, reply) => {
      const response = await tus.handle(toWebRequest(request, UPLOADS_PATH));
      reply.code(response.status);
      for (const name of TUS_ANSWER_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) reply.header(name, value);
      }
      return reply.send(null as never);
    },
  );
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The request as tus sees it: its method, the headers tus reads, and for PATCH the body as a stream. */
function toWebRequest(request: FastifyRequest, path: string): Request {
  const headers = new Headers();
  for (const name of TUS_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers };
  if (request.method === 'PATCH') {
    init.body = request.uploadPace ? webStreamOf(request.uploadPace.guard<Uint8Array>(request.raw)) : (Readable.toWeb(request.raw) as ReadableStream<Uint8Array>);
    init.duplex = 'half';
  }
  return new Request(`http://uploads.invalid${path}`, init);
}

/** A WHATWG stream pulling from an async iterable; cancelling it ends the iterable. */
function webStreamOf(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
