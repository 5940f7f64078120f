import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { formatUploadMetadata, type CreateUploadResponse } from '../../src/protocol/uploads.js';

export const TUS = { 'tus-resumable': '1.0.0' } as const;
export const OCTETS = 'application/offset+octet-stream';

export function bearer(token: string): Record<string, string> {
  return { ...TUS, authorization: `Bearer ${token}` };
}

/** POST /uploads with this length and metadata (plain values, encoded here). */
export function createUpload(app: FastifyInstance, lengthBytes: number, metadata: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const meta = Object.keys(metadata).length > 0 ? { 'upload-metadata': formatUploadMetadata(metadata) } : {};
  return app.inject({ method: 'POST', url: '/uploads', headers: { ...TUS, 'upload-length': String(lengthBytes), ...meta, ...headers } });
}

export async function createUploadOk(app: FastifyInstance, lengthBytes: number, metadata: Record<string, string> = {}): Promise<CreateUploadResponse> {
  const res = await createUpload(app, lengthBytes, metadata);
  assert.equal(res.statusCode, 201, res.body);
  return res.json<CreateUploadResponse>();
}

export function patchUpload(app: FastifyInstance, id: string, token: string, offset: number, body: Uint8Array, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'PATCH',
    url: `/uploads/${id}`,
    headers: { ...bearer(token), 'upload-offset': String(offset), 'content-type': OCTETS, ...headers },
    payload: Buffer.from(body),
  });
}

export function headUpload(app: FastifyInstance, id: string, token: string) {
  return app.inject({ method: 'HEAD', url: `/uploads/${id}`, headers: bearer(token) });
}

/** Sends the data in chunks of `chunkBytes` and checks each answer. */
export async function sendAll(app: FastifyInstance, created: CreateUploadResponse, data: Uint8Array, chunkBytes = 64 * 1024, from = 0): Promise<void> {
  for (let offset = from; offset < data.length; offset += chunkBytes) {
    const res = await patchUpload(app, created.id, created.upload_token, offset, data.subarray(offset, offset + chunkBytes));
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.headers['upload-offset'], String(Math.min(offset + chunkBytes, data.length)));
  }
}

export function assertError(res: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json<{ error: string; message: string; requestId: string }>();
  assert.equal(body.error, code, res.body);
  assert.ok(body.message.length > 0);
  assert.equal(body.requestId, res.headers['x-request-id']);
  assert.doesNotMatch(res.body, /at .+\(.+:\d+:\d+\)|node_modules|\/src\//, 'no stack trace or path');
}
