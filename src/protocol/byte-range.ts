import parseRange from 'range-parser';

export type RangeRequest =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Reads a Range header against a resource of `sizeBytes` (RFC 9110 §14). One range is served;
 * a multi-range request, a malformed header, or an If-Range that names another version gets the
 * whole resource, as the RFC allows.
 */
export function resolveRange(header: string | undefined, sizeBytes: number, ifRange: string | undefined, etag: string): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  if (ifRange !== undefined && ifRange !== etag) return { kind: 'full' };
  if (sizeBytes === 0) return { kind: 'full' };
  const ranges = parseRange(sizeBytes, header, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'full' };
  const [range] = ranges;
  if (!range) return { kind: 'full' };
  return { kind: 'partial', start: range.start, end: range.end };
}
