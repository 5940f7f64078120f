import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

/** s3rver's credentials; the store reads them from the standard AWS variables, as in production. */
export const S3_TEST_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** BLOB_STORE for this server (through another endpoint, e.g. a proxy, when given). */
  blobStoreUrl(options?: { prefix?: string; endpoint?: string }): string;
  close(): Promise<void>;
}

interface KoaContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
interface S3rverInstance {
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/**
 * s3rver on a free loopback port, over a temp folder, with one bucket. s3rver implements multipart
 * uploads but not ListMultipartUploads, ListParts or AbortMultipartUpload; they are added here over
 * its own upload folders (<root>/<bucket>/._S3rver_uploads/<uploadId>/{key,1,2,…}), so the store's
 * abort and sweep run against the server as they would against S3. UploadPartCopy (a part copied
 * from a whole object, which s3rver answers NotImplemented) is added the same way, unless
 * `uploadPartCopy: false` keeps s3rver's refusal (the store's fallback is tested with it).
 */
export async function startS3Server(bucket = 'blindvault-test', options: { uploadPartCopy?: boolean } = {}): Promise<S3TestServer> {
  Object.assign(process.env, S3_TEST_CREDENTIALS);
  const directory = await mkdtemp(path.join(tmpdir(), 'blindvault-s3-'));
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: bucket }] });
  const uploadsDir = path.join(directory, bucket, '._S3rver_uploads');
  server.middleware.unshift(async (ctx, next) => {
    const [, bucketName, ...keyParts] = ctx.path.split('/');
    if (bucketName !== bucket) return next();
    const key = decodeURIComponent(keyParts.join('/'));
    if (ctx.method === 'GET' && key === '' && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const uploads = await listUploads(uploadsDir);
      const rows = uploads.filter((u) => u.key.startsWith(prefix)).map((u) =>
        `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`);
      return xml(ctx, `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${rows.join('')}</ListMultipartUploadsResult>`);
    }
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    const copySource = ctx.req.headers['x-amz-copy-source'];
    if (options.uploadPartCopy !== false && ctx.method === 'PUT' && uploadId !== undefined && typeof copySource === 'string') {
      return uploadPartCopy(ctx, { directory, bucket, uploadsDir, uploadId, key, copySource });
    }
    if (uploadId !== undefined && key !== '' && (ctx.method === 'DELETE' || ctx.method === 'GET')) {
      if (!/^[0-9a-f]{32}$/.test(uploadId)) return xmlError(ctx, 404, 'NoSuchUpload');
      const dir = path.join(uploadsDir, uploadId);
      let storedKey: string;
      try {
        storedKey = await readFile(path.join(dir, 'key'), 'utf8');
      } catch {
        return xmlError(ctx, 404, 'NoSuchUpload');
      }
      if (storedKey !== key) return xmlError(ctx, 404, 'NoSuchUpload');
      if (ctx.method === 'DELETE') {
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = null;
        return;
      }
      const parts = [];
      for (const name of await readdir(dir)) {
        if (!/^\d+$/.test(name)) continue;
        const info = await stat(path.join(dir, name));
        parts.push(`<Part><PartNumber>${name}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><Size>${info.size}</Size></Part>`);
      }
      return xml(ctx, `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`);
    }
    return next();
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    blobStoreUrl: ({ prefix = '', endpoint: through = endpoint } = {}) =>
      `s3://${bucket}?endpoint=${encodeURIComponent(through)}&region=us-east-1&forcePathStyle=true${prefix ? `&prefix=${encodeURIComponent(prefix)}` : ''}`,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * UploadPartCopy of a whole object: s3rver keeps <root>/<bucket>/<key>._S3rver_object and a part as
 * <uploads>/<uploadId>/<partNumber>; completion concatenates the parts by number.
 */
async function uploadPartCopy(
  ctx: KoaContext,
  where: { directory: string; bucket: string; uploadsDir: string; uploadId: string; key: string; copySource: string },
): Promise<void> {
  const partNumber = typeof ctx.query.partNumber === 'string' ? ctx.query.partNumber : '';
  if (!/^[0-9a-f]{32}$/.test(where.uploadId) || !/^[1-9]\d{0,4}$/.test(partNumber)) return xmlError(ctx, 400, 'InvalidArgument');
  let storedKey: string;
  try {
    storedKey = await readFile(path.join(where.uploadsDir, where.uploadId, 'key'), 'utf8');
  } catch {
    return xmlError(ctx, 404, 'NoSuchUpload');
  }
  if (storedKey !== where.key) return xmlError(ctx, 404, 'NoSuchUpload');
  const [sourceBucket, ...sourceParts] = decodeURIComponent(where.copySource.replace(/^\//, '')).split('/');
  const last = sourceParts.pop();
  if (sourceBucket !== where.bucket || !last || sourceParts.some((part) => part === '' || part === '..')) return xmlError(ctx, 404, 'NoSuchKey');
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(where.directory, sourceBucket, ...sourceParts, `${last}._S3rver_object`));
  } catch {
    return xmlError(ctx, 404, 'NoSuchKey');
  }
  await writeFile(path.join(where.uploadsDir, where.uploadId, partNumber), bytes);
  const etag = createHash('md5').update(bytes).digest('hex');
  return xml(ctx, `<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${etag}"</ETag></CopyPartResult>`);
}

/** Multipart uploads s3rver holds that are neither completed nor aborted. */
async function listUploads(uploadsDir: string): Promise<Array<{ key: string; uploadId: string; initiated: Date }>> {
  let names: string[];
  try {
    names = await readdir(uploadsDir);
  } catch {
    return [];
  }
  const uploads = [];
  for (const uploadId of names) {
    try {
      const keyFile = path.join(uploadsDir, uploadId, 'key');
      uploads.push({ key: await readFile(keyFile, 'utf8'), uploadId, initiated: (await stat(keyFile)).mtime });
    } catch {
      // completed or aborted meanwhile
    }
  }
  return uploads;
}

function xml(ctx: KoaContext, body: string): void {
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function xmlError(ctx: KoaContext, status: number, code: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
