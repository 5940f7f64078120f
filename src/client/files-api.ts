// The file API's HTTP calls, over WHATWG fetch (Node 20 and browsers alike). Every answer is checked
// before it is believed: a JSON error with a catalogue code becomes that BlindvaultError, anything else
// that is not the expected shape becomes UNEXPECTED_RESPONSE, and a failed connection NETWORK_ERROR.
import { BlindvaultError, ERROR_CATALOGUE, type ErrorCode } from '../protocol/errors.js';

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface FileInfo {
  id: string;
  sizeBytes: number;
  createdAt: Date;
  expiresAt: Date;
  downloads: number;
  maxDownloads: number | null;
}

export interface UploadAnswer {
  id: string;
  ownerToken: string;
  expiresAt: Date;
  maxDownloads: number | null;
}

/** fetch, with a refused or broken connection turned into NETWORK_ERROR. */
export async function request(fetchImpl: Fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (error) {
    if (error instanceof BlindvaultError) throw error;
    if (init.signal?.aborted) throw error;
    throw new BlindvaultError('NETWORK_ERROR', { url: new URL(url).origin, cause: causeOf(error) });
  }
}

function causeOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return String(cause);
}

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);

/** The error an unsuccessful answer stands for; reads (at most 64 KiB of) its body. */
export async function errorFrom(response: Response): Promise<BlindvaultError> {
  const text = await boundedText(response, 64 * 1024);
  const retryAfter = response.headers.get('retry-after') ?? undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; requestId?: unknown };
    if (isErrorCode(body.error) && !('client' in ERROR_CATALOGUE[body.error])) {
      return new BlindvaultError(body.error, {
        status: response.status,
        ...(typeof body.requestId === 'string' ? { requestId: body.requestId } : {}),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      });
    }
  } catch {
    // not JSON: falls through
  }
  return new BlindvaultError('UNEXPECTED_RESPONSE', { status: response.status });
}

async function boundedText(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return new TextDecoder().decode(concat(chunks));
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await boundedText(response, 64 * 1024);
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new BlindvaultError('UNEXPECTED_RESPONSE', { status: response.status });
}

function field<T>(body: Record<string, unknown>, name: string, check: (value: unknown) => value is T): T {
  const value = body[name];
  if (!check(value)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: name });
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isLimit = (value: unknown): value is number | null => value === null || (isCount(value) && value >= 1);
const isDate = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

export function readFileInfo(body: Record<string, unknown>): FileInfo {
  return {
    id: field(body, 'id', isString),
    sizeBytes: field(body, 'size_bytes', isCount),
    createdAt: new Date(field(body, 'created_at', isDate)),
    expiresAt: new Date(field(body, 'expires_at', isDate)),
    downloads: field(body, 'downloads', isCount),
    maxDownloads: field(body, 'max_downloads', isLimit),
  };
}

export function readUploadAnswer(body: Record<string, unknown>): UploadAnswer {
  return {
    id: field(body, 'id', isString),
    ownerToken: field(body, 'owner_token', isString),
    expiresAt: new Date(field(body, 'expires_at', isDate)),
    maxDownloads: field(body, 'max_downloads', isLimit),
  };
}

/** Reads an answer that must be JSON with `expected` status; anything else throws its error. */
export async function expectJson(response: Response, expected: number): Promise<Record<string, unknown>> {
  if (response.status !== expected) throw await errorFrom(response);
  return json(response);
}

const ownerHeaders = (ownerToken: string) => ({ authorization: `Bearer ${ownerToken}`, accept: 'application/json' });

export async function getFileInfo(fetchImpl: Fetch, serverUrl: string, id: string, ownerToken: string): Promise<FileInfo> {
  const response = await request(fetchImpl, `${serverUrl}/f/${id}/manage`, { method: 'GET', headers: ownerHeaders(ownerToken) });
  const info = readFileInfo(await expectJson(response, 200));
  if (info.id !== id) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'id' });
  return info;
}

export async function deleteFile(fetchImpl: Fetch, serverUrl: string, id: string, ownerToken: string): Promise<void> {
  const response = await request(fetchImpl, `${serverUrl}/f/${id}/manage`, { method: 'DELETE', headers: ownerHeaders(ownerToken) });
  if (response.status !== 204) throw await errorFrom(response);
  await response.body?.cancel();
}
