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

  // Vault (Psono protocol, spec §0.3): rendered in Psono's shapes under /server.
  VAULT_FIELD_ERRORS: { status: 400, message: 'A field of the request is invalid.', psono: 'fields' },
  VAULT_INVALID_REQUEST: { status: 400, message: 'Invalid request', psono: 'detail' },
  VAULT_UNAUTHENTICATED: { status: 401, message: 'Invalid token or not yet activated.', psono: 'detail' },
  VAULT_PERMISSION_DENIED: { status: 403, message: 'You do not have permission to perform this action.', psono: 'detail' },
  VAULT_NOT_FOUND: { status: 404, message: 'Not found.', psono: 'detail' },
  VAULT_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.', psono: 'empty' },
  VAULT_THROTTLED: { status: 429, message: 'Request was throttled.', psono: 'detail' },
  REGISTRATION_HAS_BEEN_DISABLED: { status: 400, message: 'Registration is closed on this server.', psono: 'custom' },
  REGISTRATION_FAILED_USERNAME_ALREADY_EXISTS: { status: 400, message: 'The username was taken at the same moment.', psono: 'custom' },
  USER_WITH_EMAIL_ALREADY_EXISTS: { status: 400, message: 'The e-mail address belongs to another account.', psono: 'non_field' },
  INVALID_HASHING_PARAMETER: { status: 400, message: 'The hashing parameters are missing, too low or too high.', psono: 'non_field' },
  ACTIVATION_CODE_INCORRECT: { status: 400, message: 'The activation code is unknown, expired or used.', psono: 'non_field' },
  LOGIN_INFO_CANNOT_BE_DECRYPTED: { status: 400, message: 'The login info cannot be decrypted.', psono: 'non_field' },
  USERNAME_REQUIRED: { status: 400, message: 'The login info has no username.', psono: 'non_field' },
  AUTHKEY_REQUIRED: { status: 400, message: 'The authkey is required.', psono: 'non_field' },
  USERNAME_OR_PASSWORD_WRONG: { status: 400, message: 'Unknown user or wrong password.', psono: 'non_field' },
  ACCOUNT_NOT_VERIFIED: { status: 400, message: 'The account e-mail is not verified yet.', psono: 'non_field' },
  DEVICE_TIME_INVALID: { status: 400, message: 'device_time is not an ISO 8601 time.', psono: 'non_field' },
  TOKEN_INCORRECT: { status: 400, message: 'The token is already active.', psono: 'non_field' },
  VERIFICATION_CODE_INCORRECT: { status: 400, message: 'The verification does not match.', psono: 'non_field' },
  NO_PERMISSION_OR_NOT_EXIST: { status: 400, message: 'No such object, or not yours.', psono: 'non_field' },
  OLD_PASSWORD_INCORRECT: { status: 400, message: 'The current authkey is wrong.', psono: 'non_field' },
  PASSWORD_INCORRECT: { status: 400, message: 'The authkey is wrong.', psono: 'non_field' },
} as const satisfies Record<string, { status: number; message: string; psono?: PsonoShape }>;

/** How a vault route renders an error (spec §0.3): `{"<field>": [...]}`, `{"non_field_errors": [CODE]}`, … */
export type PsonoShape = 'fields' | 'non_field' | 'custom' | 'detail' | 'empty';

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

export function psonoShapeOf(code: ErrorCode): PsonoShape | undefined {
  const entry = ERROR_CATALOGUE[code];
  return 'psono' in entry ? entry.psono : undefined;
}

export function isBlindvaultError(value: unknown): value is BlindvaultError {
  return value instanceof BlindvaultError;
}
