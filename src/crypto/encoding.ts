// Byte encodings used on the wire. Parsing is canonical: each value has exactly one accepted spelling
// per encoding, so re-encoding a parsed value gives back the same text.

const BASE64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;
const DECIMAL_BYTE_LIST = /^(?:0|[1-9][0-9]{0,2})(?:,(?:0|[1-9][0-9]{0,2}))*$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Standard base64 with padding (RFC 4648 §4), canonical: returns undefined for any other spelling. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64_STD.test(text)) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  return toBase64(bytes) === text ? bytes : undefined;
}

/** Unpadded base64url (RFC 4648 §5), canonical: returns undefined for any other spelling. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64_URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return toBase64Url(bytes) === text ? bytes : undefined;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lower-case hex, even length; returns undefined for anything else. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** "142,55,201": the decimal byte list the e2e file API puts in X-E2E-Salt / X-E2E-IV. */
export function toDecimalByteList(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => String(b)).join(',');
}

/** Parses a decimal byte list without leading zeros or spaces; undefined if malformed or a value exceeds 255. */
export function fromDecimalByteList(text: string): Uint8Array | undefined {
  if (!DECIMAL_BYTE_LIST.test(text)) return undefined;
  const values = text.split(',').map(Number);
  if (values.some((v) => v > 255)) return undefined;
  return Uint8Array.from(values);
}
