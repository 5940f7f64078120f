/**
 * BLOB_STORE=s3://BUCKET?endpoint=https://…&region=…&prefix=…&forcePathStyle=true, parsed and checked.
 * Credentials never go in this URL: they come from the standard AWS environment variables or files.
 * Messages never repeat the value (an operator may have pasted a secret into it by mistake).
 */
export interface S3Location {
  bucket: string;
  /** Unset: the AWS endpoint of the region. */
  endpoint: string | undefined;
  region: string;
  /** Empty, or ends in "/": every object key starts with it. */
  prefix: string;
  forcePathStyle: boolean;
}

/** Parts of a multipart upload; S3 allows 10,000 of them, so this bounds a blob's size. */
export const S3_PART_BYTES = 8 * 1024 * 1024;
export const S3_MAX_BLOB_BYTES = S3_PART_BYTES * 10_000;

export class S3LocationError extends Error {
  override name = 'S3LocationError';
}

const PARAMETERS = new Set(['endpoint', 'region', 'prefix', 'forcePathStyle']);
// S3's bucket naming rules (the strictest of the S3-compatible stores).
const BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const PREFIX = /^(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]*$/;

export function parseS3Location(text: string, env: Record<string, string | undefined> = {}): S3Location {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new S3LocationError('not a valid URL');
  }
  if (url.protocol !== 's3:') throw new S3LocationError('expected s3://BUCKET?…');
  if (url.username || url.password) throw new S3LocationError('must not carry credentials: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS files)');
  if (url.port || (url.pathname !== '' && url.pathname !== '/') || url.hash) throw new S3LocationError('expected s3://BUCKET with options in the query only');
  const bucket = url.hostname;
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw new S3LocationError('the bucket name must be 3-63 lowercase letters, digits, dots or hyphens');
  for (const name of url.searchParams.keys()) {
    if (!PARAMETERS.has(name)) throw new S3LocationError(`an unknown option (known: ${[...PARAMETERS].join(', ')}; credentials go in the AWS variables or files)`);
    if (url.searchParams.getAll(name).length > 1) throw new S3LocationError(`option ${name} given twice`);
  }
  const endpointText = url.searchParams.get('endpoint') ?? undefined;
  let endpoint: string | undefined;
  if (endpointText !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(endpointText);
    } catch {
      throw new S3LocationError('endpoint is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new S3LocationError('endpoint must start with https:// or http://');
    if (parsed.username || parsed.password || parsed.search || parsed.hash) throw new S3LocationError('endpoint must not carry credentials, a query or a fragment');
    endpoint = parsed.toString().replace(/\/+$/, '');
  }
  const region = url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!REGION.test(region)) throw new S3LocationError('region must be lowercase letters, digits and hyphens');
  let prefix = url.searchParams.get('prefix') ?? '';
  if (prefix.length > 256 || !PREFIX.test(prefix) || prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new S3LocationError('prefix must be up to 256 letters, digits, "_", ".", "-" in "/"-separated parts, without "." or ".." parts or a leading "/"');
  }
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const style = url.searchParams.get('forcePathStyle') ?? 'false';
  if (style !== 'true' && style !== 'false') throw new S3LocationError('forcePathStyle must be true or false');
  return { bucket, endpoint, region, prefix, forcePathStyle: style === 'true' };
}
