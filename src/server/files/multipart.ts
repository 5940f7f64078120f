import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { BlindvaultError, isBlindvaultError } from '../../protocol/errors.js';
import { toBlindvaultError } from '../errors.js';
import type { UploadPart } from './service.js';

/** Form fields are short (an IV, a salt, a number): anything longer is refused, not truncated. */
export const MAX_FIELD_BYTES = 1024;
export const MAX_FIELDS = 16;

export function multipartLimits(maxUploadBytes: number) {
  return {
    fieldNameSize: 64,
    fieldSize: MAX_FIELD_BYTES,
    fields: MAX_FIELDS,
    // One byte over the limit, so the service's own counter is what refuses an oversized file.
    fileSize: maxUploadBytes + 1,
    files: 1,
    parts: MAX_FIELDS + 1,
    headerPairs: 32,
  };
}

/**
 * Adapts the multipart parser to the service's parts, and its failures to catalogue errors: a
 * client that hangs up is UPLOAD_ABORTED, a broken body MALFORMED_BODY, one that trickles below
 * the upload pace (request.uploadPace, set by the edge plugin) UPLOAD_TOO_SLOW.
 */
export async function* uploadParts(request: FastifyRequest): AsyncGenerator<UploadPart> {
  const pace = request.uploadPace;
  const race = <T>(step: Promise<T>): Promise<T> => (pace ? pace.race(step) : step);
  const mapError = (error: unknown): unknown => {
    if (isBlindvaultError(error)) return error;
    if (request.raw.destroyed && !request.raw.complete) return new BlindvaultError('UPLOAD_ABORTED');
    return toBlindvaultError(error) ?? new BlindvaultError('MALFORMED_BODY');
  };
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await race(parts.next());
    } catch (error) {
      throw mapError(error);
    }
    if (next.done) return;
    const part = next.value;
    if (part.type === 'field') {
      if (part.valueTruncated || part.fieldnameTruncated) throw new BlindvaultError('TOO_MANY_PARTS');
      yield { kind: 'field', name: part.fieldname, value: String(part.value) };
    } else {
      const file = part.file;
      yield {
        kind: 'file',
        name: part.fieldname,
        stream: (async function* guarded() {
          try {
            for await (const chunk of pace ? pace.guard(file) : file) yield chunk as Uint8Array;
          } catch (error) {
            throw mapError(error);
          } finally {
            if (!file.readableEnded) file.destroy();
          }
        })(),
      };
    }
  }
}
