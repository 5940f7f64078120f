import { describeDatabaseError } from '../../store/sql/sql-database.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BlindvaultError, psonoShapeOf } from '../../protocol/errors.js';
import { toBlindvaultError } from '../errors.js';

/**
 * The vault's error handler: the catalogue rendered in Psono's shapes (spec §0.3). After a caller is
 * authenticated, the plugin's onSend hook encrypts these bodies like any other; a 401 stays plain.
 */
export function renderVaultError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, headers } = vaultErrorAnswer(error, request);
  return reply.code(status).headers(headers).type('application/json').send(body);
}

/** The status, body and headers the vault answers for an error, in Psono's shapes. */
export function vaultErrorAnswer(error: unknown, request: FastifyRequest): { status: number; body: unknown; headers: Record<string, string> } {
  let known = toBlindvaultError(error);
  if (!known) {
    // A driver error's detail quotes the row's values: only its code and constraint are logged.
    request.log.error({ err: isDriverError(error) ? describeDatabaseError(error) : error }, 'unexpected error');
    known = new BlindvaultError('INTERNAL');
  }
  const details = known.details ?? {};
  const fastifyCode = (error as Partial<FastifyError> | undefined)?.code;
  let detail = typeof details.detail === 'string' ? details.detail : undefined;
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    detail = `JSON parse error - ${(error as Error).message}`;
  } else if (known.code === 'UNSUPPORTED_MEDIA_TYPE') {
    detail = `Unsupported media type "${String(request.headers['content-type'] ?? '')}" in request.`;
  } else if (known.code === 'PAYLOAD_TOO_LARGE') {
    detail = 'Request body too large.';
  } else if (known.code === 'NOT_FOUND') {
    detail = 'Not found.';
  } else if (known.code === 'VALIDATION_FAILED' || known.code === 'MALFORMED_BODY') {
    detail ??= 'Invalid request';
  }
  let body: unknown;
  const shape = details.shape === 'detail' ? 'detail' : psonoShapeOf(known.code);
  switch (shape ?? 'detail') {
    case 'fields':
      body = details.fields ?? {};
      break;
    case 'non_field':
      body = { non_field_errors: [known.code] };
      break;
    case 'custom':
      body = { custom: [known.code] };
      break;
    case 'empty':
      body = {};
      break;
    case 'non_field_text':
      body = { non_field_errors: [String(details.text ?? known.message)] };
      break;
    case 'error_message':
      body = { error: { VAULT_DUPLICATE_TYPE_DESCRIPTION: 'DuplicateTypeDescription', VAULT_DUPLICATE_NONCE: 'DuplicateNonce', VAULT_DUPLICATE_LINK_ID: 'DuplicateLinkID' }[known.code as string] ?? known.code, message: known.message };
      break;
    case 'message':
      body = { message: known.message, ...(typeof details.resourceId === 'string' ? { resource_id: details.resourceId } : {}) };
      break;
    default:
      body = { detail: detail ?? known.message };
  }
  const headers: Record<string, string> = { 'x-request-id': request.id };
  if (known.status === 401) headers['www-authenticate'] = 'Token';
  if (typeof details.retryAfterSeconds === 'number') headers['retry-after'] = String(details.retryAfterSeconds);
  // A body refused before it was read (401 before the body, 413, 408) is not worth draining: close.
  if (!request.raw.complete) headers.connection = 'close';
  return { status: known.status, body, headers };
}

/** Errors of the database drivers carry a SQLSTATE or SQLite code. */
function isDriverError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || code.startsWith('SQLITE_'));
}
