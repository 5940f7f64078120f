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
  UPLOAD_QUOTA_EXCEEDED: {
    status: 413,
    message: 'This address has uploaded as many bytes as it may for now; try again after Retry-After seconds.',
  },
  STORAGE_FULL: { status: 507, message: 'The server has no room for this upload now.' },
  OWNER_TOKEN_REQUIRED: { status: 401, message: 'This action needs the owner token of the file.' },
  NOT_FOUND: { status: 404, message: 'Not found, expired, or no longer available.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range is outside the file.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests from this address; try again after Retry-After seconds.' },
  UPLOAD_ABORTED: { status: 400, message: 'The upload was interrupted before it completed.' },
  UPLOAD_OFFSET_MISMATCH: { status: 409, message: 'Upload-Offset is not where the upload stands: ask HEAD for the offset and go on from there.' },
  UPLOAD_LOCKED: { status: 423, message: 'Another request is writing to this upload; try again shortly.' },
  UPLOAD_COMPLETE: { status: 400, message: 'The upload is complete: manage the file with its owner token.' },
  TOO_MANY_PARTIAL_UPLOADS: { status: 429, message: 'This address has too many unfinished uploads: finish or end one first.' },
  BODY_TIMEOUT: { status: 408, message: 'The request body did not arrive in time.' },
  UPLOAD_TOO_SLOW: { status: 408, message: 'The upload sent too few bytes for too long and was stopped.' },
  UNAVAILABLE: { status: 503, message: 'A backing store does not answer.' },
  INTERNAL: { status: 500, message: 'Internal error. The request id identifies it in the server log.' },

  // Raised by the SDK and the CLI on the client side, never answered by a server (`client: true`).
  INVALID_LINK: { status: 400, message: 'The link is not a Blindvault download or manage link.', client: true },
  PASSPHRASE_REQUIRED: { status: 400, message: 'This file is protected by a passphrase, and none was given.', client: true },
  UNSUPPORTED_FORMAT: { status: 400, message: 'The file is in a format this client does not know.', client: true },
  NETWORK_ERROR: { status: 503, message: 'The server cannot be reached.', client: true },
  UNEXPECTED_RESPONSE: { status: 502, message: 'The server answered something that is not the Blindvault protocol.', client: true },
  UPLOAD_CHANGED: {
    status: 409,
    message: 'The file changed since the interrupted upload began; its resume state was discarded: run the command again.',
    client: true,
  },
  UPLOAD_OFFSET_REWOUND: {
    status: 502,
    message: 'The server asked for bytes it had already confirmed: the upload was stopped, since sending them again could reuse an encryption nonce.',
    client: true,
  },
  // Vault clients (SDK, CLI): docs/formats/cli-session.md.
  NOT_LOGGED_IN: { status: 401, message: 'Not logged in: run "blindvault login" and set BLINDVAULT_SESSION to the value it prints.', client: true },
  SESSION_EXPIRED: { status: 401, message: 'The session expired or was ended: run "blindvault login" again.', client: true },
  SERVER_KEY_CHANGED: { status: 409, message: "The server's signing key is not the pinned one: refusing to talk to it.", client: true },
  BAD_SIGNATURE: { status: 502, message: 'An answer from the server is not signed with its pinned key.', client: true },
  ENTRY_NOT_FOUND: { status: 404, message: 'No such entry or folder in the vault.', client: true },
  ENTRY_AMBIGUOUS: { status: 409, message: 'More than one entry or folder has this name: use its id.', client: true },
  ENTRY_EXISTS: { status: 409, message: 'An entry or folder of this name exists already.', client: true },
  USER_NOT_FOUND: { status: 404, message: 'No user of this name on the server.', client: true },
  SEND_KEY_INVALID: { status: 400, message: 'The key of this sent file does not open with the trusted key of its sender, or is not for this file and recipient: nothing was decrypted.', client: true },
  RECIPIENT_KEY_CHANGED: { status: 409, message: "The user's public key is not the one trusted before: refusing (it may be an attack).", client: true },
  CONFIRMATION_REQUIRED: { status: 400, message: 'This needs a confirmation on a terminal, or --yes.', client: true },
  NOT_CONFIRMED: { status: 400, message: 'Not confirmed: nothing was done.', client: true },
  VAULT_ACCESS_DENIED: { status: 403, message: 'The server refused: this session or API key may not do that.', client: true },
  VAULT_KEYS_UNAVAILABLE: { status: 403, message: 'This API key is restricted to single secrets: give a secret id.', client: true },

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
  // Recovery and emergency codes (vault-protocol.md §3.13–3.14).
  USERNAME_OR_RECOVERY_CODE_INCORRECT: { status: 400, message: 'Unknown user, no recovery code, or a wrong one.', psono: 'non_field' },
  USERNAME_OR_EMERGENCY_CODE_INCORRECT: { status: 400, message: 'Unknown user, or no such emergency code.', psono: 'non_field' },
  VALIDATOR_EXPIRED: { status: 400, message: 'No verifier was issued, it is older than its time, or it was used.', psono: 'non_field' },
  VALIDATOR_FAILED: { status: 400, message: 'The update does not open with the verifier and the user key.', psono: 'non_field' },
  RESET_VALIDATION_FAILED: { status: 403, message: 'Validation failed', psono: 'message' },
  GA_CHALLENGE_UNSOLVED: { status: 400, message: 'The login waits for its TOTP code.', psono: 'non_field' },
  WEBAUTHN_CHALLENGE_UNSOLVED: { status: 400, message: 'The login waits for its security key.', psono: 'non_field' },
  GA_TOKENS_ONLY_CONTAIN_DIGITS: { status: 400, message: 'A TOTP code is six digits.', psono: 'non_field' },
  GA_TOKEN_INCORRECT: { status: 400, message: 'The TOTP code is wrong, expired or used.', psono: 'non_field' },
  NO_GOOGLE_AUTHENTICATOR_FOUND: { status: 400, message: 'The account has no active TOTP factor.', psono: 'non_field' },
  PROTOCOL_NOT_SUPPORTED: { status: 400, message: 'The origin is not one of this server\'s web clients.', psono: 'non_field' },
  TOO_MANY_SECOND_FACTORS: { status: 400, message: 'The account holds as many second factors as it may: remove one first.', psono: 'non_field' },
  WEBAUTHN_CREDENTIAL_INVALID: { status: 400, message: 'The credential is not a WebAuthn credential in JSON.', psono: 'non_field' },
  TOO_MANY_EMERGENCY_CODES: { status: 400, message: 'The account holds as many emergency codes as it may: delete one first.', psono: 'non_field' },

  // Link shares (vault-protocol.md §3.16).
  EITHER_SECRET_OR_FILE_REQUIRED: { status: 400, message: 'A link share needs the entry (secret_id).', psono: 'non_field' },
  EITHER_SECRET_OR_FILE_REQUIRED_NOT_BOTH: { status: 400, message: 'A link share names an entry or a file, not both.', psono: 'non_field' },
  VALID_TILL_CANNOT_BE_IN_THE_PAST: { status: 400, message: 'valid_till is in the past.', psono: 'non_field' },
  // Psono's code in the body; the catalogue's PASSPHRASE_REQUIRED is the CLI's.
  LINK_SHARE_PASSPHRASE_REQUIRED: { status: 400, message: 'PASSPHRASE_REQUIRED', psono: 'non_field_text' },
  FILE_LINK_SHARES_NOT_SUPPORTED: { status: 400, message: 'Link shares of files are not offered: this server keeps no file attachments yet.', psono: 'non_field' },
  LINK_SHARE_WRITE_NOT_SUPPORTED: { status: 400, message: 'Writable link shares are not offered: a link share is read only.', psono: 'non_field' },
  TOO_MANY_LINK_SHARES: { status: 400, message: 'The account holds as many link shares as it may: delete one first.', psono: 'non_field' },

  // Vault objects (spec §3.5–3.9).
  VAULT_REFUSED: { status: 400, message: 'Refused (Psono wording in the body).', psono: 'non_field_text' },
  VAULT_DUPLICATE_TYPE_DESCRIPTION: { status: 400, message: 'The combination of type and description must be unique', psono: 'error_message' },
  VAULT_DUPLICATE_NONCE: { status: 400, message: "Don't use a nonce twice", psono: 'error_message' },
  VAULT_DUPLICATE_LINK_ID: { status: 400, message: "Don't use a link id twice", psono: 'error_message' },
  VAULT_OBJECT_FORBIDDEN: { status: 403, message: 'NO_PERMISSION_OR_NOT_EXIST', psono: 'message' },
  VAULT_OBJECT_UNKNOWN: { status: 400, message: 'NO_PERMISSION_OR_NOT_EXIST', psono: 'message' },
  VAULT_LINK_EXISTS: { status: 400, message: 'Link id already exists.', psono: 'message' },
  VAULT_DATASTORE_PASSWORD_INCORRECT: { status: 403, message: 'PASSWORD_INCORRECT', psono: 'message' },
  WRITE_DATE_MISMATCH: { status: 400, message: 'The object changed since old_write_date.', psono: 'non_field' },
  DATASTORE_DOES_NOT_EXIST: { status: 400, message: 'No such datastore of yours.', psono: 'non_field' },
  CANNOT_DELETE_DEFAULT_DATASTORE: { status: 400, message: 'The default datastore cannot be deleted.', psono: 'non_field' },
  EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED: { status: 400, message: 'A parent datastore or share is needed.', psono: 'non_field' },
  EITHER_PARENT_DATASTORE_OR_SHARE_NEED_TO_BE_DEFINED_NOT_BOTH: { status: 400, message: 'One parent, not two.', psono: 'non_field' },
  NO_PARENT_PROVIDED: { status: 400, message: 'A new parent is needed.', psono: 'non_field' },
  SECRET_ID_MALFORMED: { status: 400, message: 'The secret id is not a UUID.', psono: 'non_field' },
  SECRET_ID_NOT_PROVIDED: { status: 400, message: 'GET /secret/ needs a secret id.', psono: 'non_field' },
  SECRET_ID_BADLY_FORMED: { status: 400, message: 'The secret id is not a UUID.', psono: 'non_field' },
  SECRET_HISTORY_ID_BADLY_FORMED: { status: 400, message: 'The history id is not a UUID.', psono: 'non_field' },
  SHARE_ID_MALFORMED: { status: 400, message: 'The share id is not a UUID.', psono: 'non_field' },
  SHARE_LINK_WOULD_CREATE_CYCLE: { status: 400, message: 'The link would make a share its own ancestor.', psono: 'non_field' },
  API_KEY_DOES_NOT_EXIST: { status: 400, message: 'No such API key of yours.', psono: 'non_field' },
  API_KEY_SECRET_ALREADY_EXIST: { status: 400, message: 'The secret is already attached to this key.', psono: 'non_field' },
  NOTHING_TO_UPDATE: { status: 400, message: 'No field to change was given.', psono: 'non_field' },
  EXPIRATION_DATE_NEEDS_TO_BE_IN_THE_FUTURE: { status: 400, message: 'The expiration date is in the past.', psono: 'non_field' },
  INSECURE_ACCESS_NOT_ALLOWED: { status: 400, message: 'Insecure access is not allowed for this key or server.', psono: 'non_field' },
  SEND_INBOX_FULL: { status: 400, message: "The recipient's inbox holds as many files as it may: they must receive or wait for some to expire.", psono: 'non_field' },
  VAULT_STORAGE_QUOTA_EXCEEDED: {
    status: 413,
    message: 'The owner of this object would pass VAULT_MAX_STORAGE_BYTES_PER_USER; nothing was written.',
    psono: 'non_field',
  },
  API_KEY_SECRET_KEY_INVALID: { status: 400, message: 'The API key secret key does not open the secret.', psono: 'non_field' },

  // Client-side crypto (SDK, CLI, page): docs/formats/file-v2.md, file-v1.md, fernet.md. A server answers
  // BAD_HEADER when an upload's v2 header does not parse; the others are raised on the reading side.
  BAD_HEADER: { status: 400, message: 'The file header is malformed or has parameters outside the allowed set.' },
  WRONG_KEY: { status: 400, message: 'Wrong key or passphrase, or the file header was altered.' },
  DECRYPTION_FAILED: { status: 400, message: 'The file does not decrypt: it was altered or damaged.' },
  TRUNCATED: { status: 400, message: 'The file ends before its final record: it was cut short.' },
  INVALID_FILE_KEY: { status: 400, message: 'The file key must be 32 bytes (43 base64url characters in a link).' },
  KEY_MODE_MISMATCH: { status: 400, message: 'This file needs a passphrase where a key was given, or a key where a passphrase was given.' },
  INVALID_KDF_PARAMETERS: { status: 400, message: 'The key derivation parameters are below the floors or above the ceilings.' },
  V1_TOO_LARGE: { status: 413, message: 'Format v1 encrypts in one piece and is limited in size; use format v2.' },
  FERNET_INVALID_KEY: { status: 400, message: 'A Fernet key is 32 bytes in url-safe base64.' },
  FERNET_INVALID_TOKEN: { status: 400, message: 'The Fernet token is malformed, expired, or does not verify with this key.' },
  ENCRYPTOR_MISUSE: { status: 500, message: 'An encryptor was used twice or out of order (a bug in the caller).' },
} as const satisfies Record<string, { status: number; message: string; psono?: PsonoShape; client?: true }>;

/** How a vault route renders an error (spec §0.3): `{"<field>": [...]}`, `{"non_field_errors": [CODE]}`, … */
export type PsonoShape = 'fields' | 'non_field' | 'non_field_text' | 'custom' | 'detail' | 'empty' | 'error_message' | 'message';

/** The non_field_errors sentences Psono answers verbatim (spec §3.7–3.9), for VAULT_REFUSED. */
export const PSONO_REFUSALS = {
  invalidKeyType: 'Invalid Key Type',
  userOrGroup: 'Either user or group share right needs to be specified.',
  userOrGroupNotBoth: 'Either user or group share right needs to be specified, not both.',
  userIdOrGroupId: 'Either user id or group id needs to be specified.',
  userIdOrGroupIdNotBoth: 'Either user id or group id needs to be specified, not both.',
  targetUserMissing: 'Target user does not exist.',
  rightExists: 'User Share Right already exists.',
  targetGroupMissing: 'Target group does not exist.',
  cannotAccept: "You don't have permission to access it or it does not exist or you already accepted or declined this share.",
  loginInfoNotJson: 'Login info no valid json',
  // Groups (docs/vault-protocol.md §3.10)
  groupNameTooShort: 'NAME_TOO_SHORT',
  groupNameForbidden: 'NAME_CONTAINS_FORBIDDEN_CHARACTERS',
  alreadyMember: 'USER_ALREADY_PART_OF_GROUP',
  memberMissing: 'USER_DOES_NOT_EXIST',
  membershipProcessed: 'NO_PERMISSION_OR_NOT_EXIST_OR_ALREADY_PROCESSED_MEMBERSHIP',
  notShareAdmin: "You don't have the necessary rights to share with this group.",
  groupRightExists: 'Group Share Right already exists.',
} as const;

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
