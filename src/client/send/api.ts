// The /server/send/ routes (docs/send.md) as typed calls over a logged-in vault session.
import { BlindvaultError } from '../../protocol/errors.js';
import type { Fetch } from '../files-api.js';
import { refusal, vaultCall } from '../vault/connection.js';
import type { VaultSession } from '../vault-session.js';

export interface ReceivedSend {
  id: string;
  senderId: string;
  senderUsername: string;
  senderPublicKey: string;
  sizeBytes: number;
  createdAt: string;
  expiresAt: string;
}

export interface SentSend {
  id: string;
  recipientId: string;
  recipientUsername: string;
  recipientPublicKey: string;
  sizeBytes: number;
  createdAt: string;
  expiresAt: string;
}

export interface SendDetail extends ReceivedSend {
  recipientId: string;
  boxedKey: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function record(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field });
  return value as Record<string, unknown>;
}

function text(r: Record<string, unknown>, name: string, pattern?: RegExp): string {
  const value = r[name];
  if (typeof value !== 'string' || (pattern && !pattern.test(value))) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: name });
  return value;
}

function size(r: Record<string, unknown>): number {
  const value = r.size_bytes;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'size_bytes' });
  return value;
}

const times = (r: Record<string, unknown>) => ({ createdAt: text(r, 'created_at'), expiresAt: text(r, 'expires_at') });

function received(value: unknown): ReceivedSend {
  const r = record(value, 'sends');
  return { id: text(r, 'id', UUID), senderId: text(r, 'sender_id', UUID), senderUsername: text(r, 'sender_username'), senderPublicKey: text(r, 'sender_public_key', HEX64), sizeBytes: size(r), ...times(r) };
}

function sent(value: unknown): SentSend {
  const r = record(value, 'sends');
  return { id: text(r, 'id', UUID), recipientId: text(r, 'recipient_id', UUID), recipientUsername: text(r, 'recipient_username'), recipientPublicKey: text(r, 'recipient_public_key', HEX64), sizeBytes: size(r), ...times(r) };
}

function list(value: unknown): unknown[] {
  const sends = record(value, 'sends').sends;
  if (!Array.isArray(sends)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'sends' });
  return sends;
}

export async function createSend(session: VaultSession, body: { fileId: string; ownerToken: string; recipientId: string; boxedKey: string }): Promise<string> {
  const answer = await vaultCall(session, 'POST', '/send/', { file_id: body.fileId, owner_token: body.ownerToken, recipient_id: body.recipientId, boxed_key: body.boxedKey }, [201]);
  return text(record(answer, 'send'), 'id', UUID);
}

export async function listInbox(session: VaultSession): Promise<ReceivedSend[]> {
  return list(await vaultCall(session, 'GET', '/send/inbox/', undefined, [200])).map(received);
}

export async function listSent(session: VaultSession): Promise<SentSend[]> {
  return list(await vaultCall(session, 'GET', '/send/sent/', undefined, [200])).map(sent);
}

/** Not the caller's, or gone: NO_PERMISSION_OR_NOT_EXIST. */
export async function readSend(session: VaultSession, id: string): Promise<SendDetail> {
  const answer = await vaultCall(session, 'GET', `/send/${encodeURIComponent(id)}/`, undefined, [200]);
  const r = record(answer, 'send');
  const detail = { ...received(r), recipientId: text(r, 'recipient_id', UUID), boxedKey: text(r, 'boxed_key') };
  if (detail.id !== id) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'id' });
  return detail;
}

export async function revokeSend(session: VaultSession, id: string): Promise<void> {
  await vaultCall(session, 'DELETE', '/send/', { id }, [200]);
}

/** GET /server/send/{id}/content/: the ciphertext as a stream, with its length. */
export async function fetchSendContent(session: VaultSession, serverUrl: string, id: string, options: { fetch?: Fetch; signal?: AbortSignal } = {}): Promise<{ sizeBytes: number; body: ReadableStream<Uint8Array> }> {
  const headers: Record<string, string> = { authorization: `Token ${session.token.reveal()}`, ...(session.validatorRequired ? { 'authorization-validator': session.validatorHeader() } : {}) };
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${serverUrl}/server/send/${encodeURIComponent(id)}/content/`, { headers, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw new BlindvaultError('NETWORK_ERROR', { url: serverUrl, cause: (error as Error).message });
  }
  if (response.status !== 200) {
    // A refusal to an authenticated caller is sealed: its status says enough.
    await response.body?.cancel();
    throw refusal(response.status, { message: response.status === 403 ? 'NO_PERMISSION_OR_NOT_EXIST' : undefined }, 'GET /send/{id}/content/');
  }
  const length = Number(response.headers.get('content-length'));
  if (!response.body || !Number.isSafeInteger(length) || length < 0) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'Content-Length' });
  return { sizeBytes: length, body: brokenIsNetworkError(response.body, serverUrl) };
}

/** The body as it comes, except that a connection breaking mid-body is NETWORK_ERROR (fetch's is a bare TypeError). */
function brokenIsNetworkError(body: ReadableStream<Uint8Array>, url: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (error) {
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
          throw new BlindvaultError('NETWORK_ERROR', { url, cause: cause instanceof Error ? cause.message : String(cause) });
        }
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
