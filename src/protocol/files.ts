// Wire schemas and codecs of the file API (seed e2e-file-api): one source of truth for field names,
// shared by the server and its clients.
import { Type, type Static } from 'typebox';
import { TOKEN_PATTERN } from '../crypto/token-format.js';
import { MAX_EXPIRES_IN_SECONDS } from './file-fields.js';

// The field names, header names and codecs live in file-fields.ts, which the SDK imports without the schemas.
export { E2E_HEADERS, E2E_IV_BYTES, E2E_SALT_BYTES, formatE2eBytes, MAX_EXPIRES_IN_SECONDS, parseE2eBytes, parseWholeNumber, RESUME_TOKEN_HEADER, UPLOAD_FIELDS } from './file-fields.js';

export const FileIdSchema = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$',
  description: 'File id (UUID v4, lower case)',
});

export const FileParamsSchema = Type.Object({ id: FileIdSchema });
export type FileParams = Static<typeof FileParamsSchema>;

export const OwnerTokenSchema = Type.String({ pattern: TOKEN_PATTERN, description: 'Owner token (secret)' });

// Any short string is accepted here: a malformed token answers like a wrong one (404), never a hint.
export const ManageQuerySchema = Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) });
export type ManageQuery = Static<typeof ManageQuerySchema>;

export const UploadResponseSchema = Type.Object({
  id: FileIdSchema,
  download_url: Type.String({ description: 'Absolute URL of the ciphertext (GET /f/{id}/encrypted)' }),
  redirect: Type.String({ description: 'Path of the manage page; carries the secret owner token' }),
  owner_token: OwnerTokenSchema,
  size_bytes: Type.Integer({ minimum: 0 }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  max_downloads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  e2e: Type.Literal(true),
});
export type UploadResponse = Static<typeof UploadResponseSchema>;

export const FileInfoResponseSchema = Type.Object({
  id: FileIdSchema,
  download_url: Type.String(),
  size_bytes: Type.Integer({ minimum: 0 }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  downloads: Type.Integer({ minimum: 0 }),
  max_downloads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  e2e: Type.Literal(true),
});
export type FileInfoResponse = Static<typeof FileInfoResponseSchema>;

export const UpdateFileRequestSchema = Type.Object(
  {
    expires_in: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRES_IN_SECONDS, description: 'Seconds from now' })),
    max_downloads: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateFileRequest = Static<typeof UpdateFileRequestSchema>;

export const ErrorResponseSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  requestId: Type.Optional(Type.String()),
});
