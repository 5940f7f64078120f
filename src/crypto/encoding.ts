// Byte encodings used on the wire. Parsing is canonical: each value has exactly one accepted spelling
// per encoding, so re-encoding a parsed value gives back the same text.

const BASE64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;
const DECIMAL_BYTE_LIST = /^(?:0|[1-9][0-9]{0,2})(?:,(?:0|[1-9][0-9]{0,2}))*$/;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Map(Array.from(BASE64_ALPHABET, (c, i) => [c, i] as const));
const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Plain loops over Uint8Array: the same code runs in Node and in browsers (no Buffer, no atob).
function encodeBase64(bytes: Uint8Array, pad: boolean): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64_ALPHABET[(n >> 18) & 63];
    out += BASE64_ALPHABET[(n >> 12) & 63];
    out += b === undefined ? (pad ? '=' : '') : BASE64_ALPHABET[(n >> 6) & 63];
    out += c === undefined ? (pad ? '=' : '') : BASE64_ALPHABET[n & 63];
  }
  return out;
}

/** Decodes standard-alphabet base64 without padding characters (the caller has checked the alphabet). */
function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of text) {
    value = (value << 6) | (BASE64_VALUES.get(ch) as number);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes, true);
}

export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, false).replaceAll('+', '-').replaceAll('/', '_');
}

/** Standard base64 with padding (RFC 4648 §4), canonical: returns undefined for any other spelling. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64_STD.test(text)) return undefined;
  const bytes = decodeBase64(text.replace(/=+$/, ''));
  return toBase64(bytes) === text ? bytes : undefined;
}

/** Unpadded base64url (RFC 4648 §5), canonical: returns undefined for any other spelling. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64_URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = decodeBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
  return toBase64Url(bytes) === text ? bytes : undefined;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b];
  return out;
}

/** Lower-case hex, even length; returns undefined for anything else. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decoding: undefined for malformed bytes. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
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
