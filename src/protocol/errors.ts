// The error catalogue: every error a Blindvault route can answer. Codes are stable once released;
// docs/errors.md documents each one (a test keeps the two in step).

export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected format.' },
  MALFORMED_BODY: { status: 400, message: 'The request body could not be parsed.' },
  E2E_REQUIRED: {
    status: 400,
    message: 'This server stores only end-to-end encrypted files: send e2e=true with the client-encrypted file.',
  },
  INVALID_E2E_SALT: {
    status: 400,
    message: 'e2e_salt must be 16 bytes, as comma-separated decimal byte values or base64.',
  },
  INVALID_E2E_IV: {
    status: 400,
    message: 'e2e_iv must be 12 bytes, as comma-separated decimal byte values or base64.',
  },
  INVALID_EXPIRES_IN: { status: 400, message: 'expires_in must be a whole number of seconds within the allowed range.' },
  INVALID_MAX_DOWNLOADS: { status: 400, message: 'max_downloads must be a whole number within the allowed range.' },
  DUPLICATE_FIELD: { status: 400, message: 'A form field was sent more than once.' },
  MISSING_FILE: { status: 400, message: 'The upload has no file part named "file".' },
  MULTIPLE_FILES: { status: 400, message: 'The upload must contain exactly one file part.' },
  TOO_MANY_PARTS: { status: 400, message: 'The upload has too many form parts or a field that is too long.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has an unsupported content type.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The upload exceeds the maximum size this server accepts.' },
  OWNER_TOKEN_REQUIRED: { status: 401, message: 'This action needs the owner token of the file.' },
  NOT_FOUND: { status: 404, message: 'Not found, expired, or no longer available.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range is outside the file.' },
  UPLOAD_ABORTED: { status: 400, message: 'The upload was interrupted before it completed.' },
  UNAVAILABLE: { status: 503, message: 'A backing store does not answer.' },
  INTERNAL: { status: 500, message: 'Internal error. The request id identifies it in the server log.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorResponse {
  error: ErrorCode;
  message: string;
  requestId?: string;
}

export class BlindvaultError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, details?: Record<string, unknown>) {
    super(ERROR_CATALOGUE[code].message);
    this.name = 'BlindvaultError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

export function isBlindvaultError(value: unknown): value is BlindvaultError {
  return value instanceof BlindvaultError;
}
