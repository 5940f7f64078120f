// Wire schemas and codecs of the file API (seed e2e-file-api): one source of truth for field names,
// shared by the server and its clients.
import { Type, type Static } from 'typebox';
import { fromBase64, fromDecimalByteList, toDecimalByteList } from '../crypto/encoding.js';
import { TOKEN_PATTERN } from '../crypto/token.js';

export const E2E_SALT_BYTES = 16;
export const E2E_IV_BYTES = 12;

/** Multipart field names of POST /upload. */
export const UPLOAD_FIELDS = {
  file: 'file',
  e2e: 'e2e',
  salt: 'e2e_salt',
  iv: 'e2e_iv',
  expiresIn: 'expires_in',
  maxDownloads: 'max_downloads',
} as const;

export const E2E_HEADERS = { salt: 'x-e2e-salt', iv: 'x-e2e-iv' } as const;

/**
 * Sent with every counted download; a later ranged request of the same transfer presents it to be
 * served without counting again (README, "Resuming a download").
 */
export const RESUME_TOKEN_HEADER = 'x-resume-token';

/** The largest `expires_in` any configuration allows (ten years): the schema's own bound. */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 86400;

/**
 * e2e_salt / e2e_iv: comma-separated decimal byte values ("142,55,…") or standard base64.
 * A value with a comma is a list; anything else must be base64. Wrong length → undefined.
 */
export function parseE2eBytes(text: string, expectedLength: number): Uint8Array | undefined {
  const bytes = text.includes(',') ? fromDecimalByteList(text) : fromBase64(text);
  return bytes?.length === expectedLength ? bytes : undefined;
}

/** The download headers carry decimal byte lists: the seed's client parses them that way. */
export function formatE2eBytes(bytes: Uint8Array): string {
  return toDecimalByteList(bytes);
}

/** A whole number written in plain decimal (no sign, no leading zeros); undefined otherwise. */
export function parseWholeNumber(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,14})$/.test(text)) return undefined;
  return Number(text);
}

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
