import { Server } from '@tus/server';
import { ERRORS } from '@tus/utils';
import { Secret } from '../../crypto/secret.js';
import { TOKEN_PATTERN, hashToken } from '../../crypto/token.js';
import { BlindvaultError, type ErrorCode } from '../../protocol/errors.js';
import { FileIdSchema } from '../../protocol/files.js';
import { UPLOADS_PATH } from '../../protocol/uploads.js';
import type { UploadRecordStore } from '../../store/upload-record-store.js';
import type { UploadsService } from './service.js';
import { BlindvaultTusStore, callerKey } from './tus-data-store.js';
import { createUploadLocker } from './upload-locker.js';

const UPLOAD_ID = new RegExp((FileIdSchema as { pattern?: string }).pattern ?? '^$');
const UPLOAD_TOKEN = new RegExp(TOKEN_PATTERN);

// tus's own refusals, in our catalogue. Anything else it throws is ours (a BlindvaultError) or a bug.
const TUS_ERRORS = new Map<unknown, ErrorCode>([
  [ERRORS.FILE_NOT_FOUND, 'NOT_FOUND'],
  [ERRORS.FILE_NO_LONGER_EXISTS, 'NOT_FOUND'],
  [ERRORS.INVALID_OFFSET, 'UPLOAD_OFFSET_MISMATCH'],
  [ERRORS.ERR_SIZE_EXCEEDED, 'PAYLOAD_TOO_LARGE'],
  [ERRORS.ERR_MAX_SIZE_EXCEEDED, 'PAYLOAD_TOO_LARGE'],
  [ERRORS.ABORTED, 'UPLOAD_ABORTED'],
  [ERRORS.INVALID_TERMINATION, 'UPLOAD_COMPLETE'],
  [ERRORS.ERR_LOCK_TIMEOUT, 'UPLOAD_LOCKED'],
  [ERRORS.MISSING_OFFSET, 'VALIDATION_FAILED'],
  [ERRORS.INVALID_CONTENT_TYPE, 'UNSUPPORTED_MEDIA_TYPE'],
  [ERRORS.INVALID_LENGTH, 'VALIDATION_FAILED'],
  [ERRORS.INVALID_METADATA, 'VALIDATION_FAILED'],
  [ERRORS.UNSUPPORTED_CONCATENATION_EXTENSION, 'VALIDATION_FAILED'],
  [ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION, 'VALIDATION_FAILED'],
]);

/** What tus answered with a status of its own, without going through its error hook. */
const TUS_STATUSES: Record<number, ErrorCode> = { 400: 'VALIDATION_FAILED', 404: 'NOT_FOUND', 409: 'UPLOAD_OFFSET_MISMATCH', 412: 'VALIDATION_FAILED', 413: 'PAYLOAD_TOO_LARGE' };

export interface TusServerOptions {
  service: UploadsService;
  records: UploadRecordStore;
  clock: () => Date;
  maxUploadBytes: number;
}

export interface TusFront {
  /** Answers one tus request; a refusal comes back as the error to render, never as tus's text. */
  handle(request: Request): Promise<Response>;
}

/** @tus/server over our store and database lock, as a function from a Web Request to a Response. */
export function createTusFront({ service, records, clock, maxUploadBytes }: TusServerOptions): TusFront {
  const failures = new WeakMap<Request, unknown>();
  const store = new BlindvaultTusStore(service);
  // The caller's upload: the id in the path and the hash of the token presented with it.
  const callerOf = (request: Request, lastPath: string | undefined): string | undefined => {
    const bearer = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (lastPath === undefined || !UPLOAD_ID.test(lastPath) || bearer === undefined || !UPLOAD_TOKEN.test(bearer)) return undefined;
    return callerKey({ id: lastPath, uploadTokenHash: hashToken(new Secret(bearer)) });
  };
  const server = new Server({
    path: UPLOADS_PATH,
    datastore: store,
    locker: createUploadLocker({ records, clock, writeSettled: (key) => store.writeSettled(key) }),
    maxSize: maxUploadBytes,
    // Same-origin only: no Access-Control-Allow-Origin.
    allowedOrigins: [],
    disableTerminationForFinishedUploads: true,
    getFileIdFromRequest: callerOf,
    onResponseError: (request, error) => {
      failures.set(request, error);
      return undefined;
    },
  });

  return {
    async handle(request) {
      const response = await server.handleWeb(request);
      const key = request.method === 'PATCH' ? callerOf(request, new URL(request.url).pathname.split('/').pop()) : undefined;
      const refused = key === undefined ? undefined : await store.settleWrite(key);
      if (response.status < 400) return response;
      await response.body?.cancel();
      const failure = refused ?? failures.get(request);
      if (failure instanceof BlindvaultError) throw failure;
      const known = failure === undefined ? TUS_STATUSES[response.status] : TUS_ERRORS.get(failure) ?? (isSizeError(failure) ? 'PAYLOAD_TOO_LARGE' : undefined);
      if (known) throw new BlindvaultError(known);
      throw failure ?? new Error(`tus answered ${response.status}`);
    },
  };
}

/** @tus/utils' StreamLimiter fails with its own MaxFileExceededError (status 413). */
function isSizeError(error: unknown): boolean {
  return (error as { status_code?: unknown } | undefined)?.status_code === 413;
}
