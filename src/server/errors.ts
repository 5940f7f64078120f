import { BlobStoreUnavailable } from '../store/blob-store.js';
import { describeDatabaseError } from '../store/sql/sql-database.js';
import { VaultStorageQuotaExceeded } from '../store/vault-object-limits.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BlindvaultError, isBlindvaultError, type ErrorCode, type ErrorResponse } from '../protocol/errors.js';

// Errors raised by Fastify and its plugins before our handlers run, mapped onto the catalogue.
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'MULTIPLE_FILES',
  FST_FIELDS_LIMIT: 'TOO_MANY_PARTS',
  FST_PARTS_LIMIT: 'TOO_MANY_PARTS',
  FST_PROTO_VIOLATION: 'VALIDATION_FAILED',
  FST_MP_PREMATURE_CLOSE: 'UPLOAD_ABORTED',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'MALFORMED_BODY',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
};

/** Turns anything thrown into a catalogue error; undefined when it is a bug (an unexpected error). */
export function toBlindvaultError(error: unknown): BlindvaultError | undefined {
  if (isBlindvaultError(error)) return error;
  if (error instanceof BlobStoreUnavailable) return new BlindvaultError('UNAVAILABLE');
  if (error instanceof VaultStorageQuotaExceeded) return new BlindvaultError('VAULT_STORAGE_QUOTA_EXCEEDED');
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) return new BlindvaultError('VALIDATION_FAILED');
  const byCode = fastifyError?.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (byCode) return new BlindvaultError(byCode);
  const status = fastifyError?.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return new BlindvaultError(STATUS_CODES[status] ?? 'MALFORMED_BODY');
  return undefined;
}

/**
 * The error handler of Blindvault's own routes: {"error", "message", "requestId"}. An error that is
 * not in the catalogue is a bug: it is logged with the request id and answered with a generic 500
 * that carries nothing of its cause.
 */
export function renderBlindvaultError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let known = toBlindvaultError(error);
  if (!known) {
    // A driver error's detail quotes the row's values: only its code and constraint are logged.
    request.log.error({ err: isDriverError(error) ? describeDatabaseError(error) : error }, 'unexpected error');
    known = new BlindvaultError('INTERNAL');
  }
  const body: ErrorResponse = { error: known.code, message: known.message, requestId: String(request.id) };
  // A request whose body was not read to the end (a refused upload) is not worth draining: close.
  if (!request.raw.complete) reply.header('connection', 'close');
  if (typeof known.details?.retryAfterSeconds === 'number') reply.header('retry-after', String(known.details.retryAfterSeconds));
  reply.header('x-request-id', request.id);
  return reply.code(known.status).type('application/json; charset=utf-8').send(body);
}

/** Errors of the database drivers carry a SQLSTATE or SQLite code. */
function isDriverError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || code.startsWith('SQLITE_'));
}
