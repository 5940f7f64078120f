import { randomBytes } from 'node:crypto';

export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; data: Uint8Array; contentType?: string };

/** A multipart/form-data body built by hand, so tests control order, duplicates and framing. */
export function multipartBody(parts: FormPart[], options: { close?: boolean } = {}): { body: Buffer; contentType: string } {
  const boundary = `----bvtest${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('value' in part) {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
            `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
      );
      chunks.push(Buffer.from(part.data));
      chunks.push(Buffer.from('\r\n'));
    }
  }
  if (options.close !== false) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const SALT = randomBytes(16);
export const IV = randomBytes(12);

/** The fields of a valid e2e upload (salt and IV as base64, as the seed sends them), then the file. */
export function e2eUpload(data: Uint8Array, extra: FormPart[] = []): FormPart[] {
  return [
    { name: 'e2e', value: 'true' },
    { name: 'e2e_salt', value: SALT.toString('base64') },
    { name: 'e2e_iv', value: IV.toString('base64') },
    ...extra,
    { name: 'file', filename: 'secret-document.pdf', data },
  ];
}
