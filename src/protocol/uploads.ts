// Wire schemas and codecs of resumable uploads (docs/uploads.md): tus 1.0 headers, the metadata
// keys of the creation call, and its answer. Shared by the server and its clients.
import { Type, type Static } from 'typebox';
import { fromBase64, toBase64 } from '../crypto/encoding.js';
import { TOKEN_PATTERN } from '../crypto/token-format.js';
import { FileIdSchema, OwnerTokenSchema } from './files.js';

export const TUS_VERSION = '1.0.0';
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream';
export const UPLOADS_PATH = '/uploads';
export const FORMAT_HEADER = 'x-blindvault-format';
/** Upload-Metadata longer than this is refused before it is parsed. */
export const MAX_UPLOAD_METADATA_CHARS = 1024;

/** Metadata keys of POST /uploads; others are dropped and never stored. */
export const UPLOAD_METADATA_KEYS = { expiresIn: 'expires_in', maxDownloads: 'max_downloads', format: 'format' } as const;

const DECIMAL = '^(?:0|[1-9][0-9]{0,15})$';

export const TusResumableSchema = Type.Literal(TUS_VERSION);

export const CreateUploadHeadersSchema = Type.Object({
  'tus-resumable': TusResumableSchema,
  'upload-length': Type.String({ pattern: DECIMAL, description: 'The ciphertext size in bytes' }),
  'upload-metadata': Type.Optional(Type.String({ maxLength: MAX_UPLOAD_METADATA_CHARS })),
  'upload-defer-length': Type.Optional(Type.String({ maxLength: 8 })),
  'upload-concat': Type.Optional(Type.String({ maxLength: 8 })),
  'content-length': Type.Optional(Type.String({ maxLength: 20 })),
});

// A malformed token answers like a wrong one (404): any short string passes the schema.
const AuthorizationSchema = Type.Optional(Type.String({ maxLength: 256 }));

export const UploadHeadersSchema = Type.Object({
  'tus-resumable': TusResumableSchema,
  authorization: AuthorizationSchema,
});

export const PatchUploadHeadersSchema = Type.Object({
  'tus-resumable': TusResumableSchema,
  authorization: AuthorizationSchema,
  'upload-offset': Type.String({ pattern: DECIMAL }),
  // Checked by the route (415 unless application/offset+octet-stream).
  'content-type': Type.Optional(Type.String({ maxLength: 256 })),
  'content-length': Type.Optional(Type.String({ pattern: DECIMAL })),
});

export const UploadParamsSchema = Type.Object({ id: FileIdSchema });

export const UploadTokenSchema = Type.String({ pattern: TOKEN_PATTERN, description: 'Upload token (secret): Authorization: Bearer for HEAD/PATCH/DELETE' });

export const CreateUploadResponseSchema = Type.Object({
  id: FileIdSchema,
  upload_url: Type.String({ description: 'Absolute tus upload URL (= Location)' }),
  upload_token: UploadTokenSchema,
  owner_token: OwnerTokenSchema,
  redirect: Type.String({ description: 'Path of the manage page; carries the secret owner token' }),
  download_url: Type.String({ description: 'Absolute URL of the ciphertext once complete' }),
  size_bytes: Type.Integer({ minimum: 1 }),
  created_at: Type.String({ format: 'date-time' }),
  expires_in: Type.Integer({ minimum: 1, description: 'The file expires this many seconds after the upload completes' }),
  max_downloads: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  format: Type.Literal('v2'),
  e2e: Type.Literal(true),
});
export type CreateUploadResponse = Static<typeof CreateUploadResponseSchema>;

/**
 * tus Upload-Metadata: "key base64,key base64,key" with unique keys of printable ASCII without
 * spaces or commas, values canonical standard base64 of UTF-8 text. undefined when malformed.
 */
export function parseUploadMetadata(text: string): Map<string, string | null> | undefined {
  if (text.length > MAX_UPLOAD_METADATA_CHARS) return undefined;
  const entries = new Map<string, string | null>();
  for (const pair of text.split(',')) {
    const parts = pair.split(' ');
    const key = parts[0] ?? '';
    if (parts.length > 2 || !/^[\x21-\x2b\x2d-\x7e]{1,64}$/.test(key) || entries.has(key)) return undefined;
    const encoded = parts[1];
    if (encoded === undefined) {
      entries.set(key, null);
      continue;
    }
    const bytes = fromBase64(encoded);
    if (!bytes) return undefined;
    let value: string;
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
    entries.set(key, value);
  }
  return entries;
}

/** The Upload-Metadata header for these entries (the inverse of parseUploadMetadata). */
export function formatUploadMetadata(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([key, value]) => `${key} ${toBase64(new TextEncoder().encode(value))}`)
    .join(',');
}
