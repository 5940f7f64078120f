// Transport encryption (spec §1.4): {"text": hex(secretbox(S, utf8 JSON)), "nonce": hex(24 bytes)}.
import { fromHex, toHex } from '../../crypto/encoding.js';
import { secretboxOpen, secretboxSeal } from '../../crypto/nacl.js';

export interface Envelope {
  text: string;
  nonce: string;
}

/** Hex in either case, as the spec asks clients' input to be read (§0.2). */
export function fromHexAnyCase(text: string): Uint8Array | undefined {
  return fromHex(text.toLowerCase());
}

export function sealJson(key: Uint8Array, value: unknown): Envelope {
  const { ciphertext, nonce } = secretboxSeal(key, new TextEncoder().encode(JSON.stringify(value)));
  return { text: toHex(ciphertext), nonce: toHex(nonce) };
}

/** Opens a bytes payload; undefined for anything but a well-formed envelope that authenticates. */
export function openBytes(key: Uint8Array, envelope: unknown): Uint8Array | undefined {
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  const { text, nonce } = envelope as Record<string, unknown>;
  if (typeof text !== 'string' || typeof nonce !== 'string') return undefined;
  const ciphertext = fromHexAnyCase(text);
  const nonceBytes = fromHexAnyCase(nonce);
  if (!ciphertext || !nonceBytes) return undefined;
  return secretboxOpen(key, ciphertext, nonceBytes);
}

/** Opens an envelope of JSON; undefined when it does not open or is not JSON. */
export function openJson(key: Uint8Array, envelope: unknown): { value: unknown } | undefined {
  const bytes = openBytes(key, envelope);
  if (!bytes) return undefined;
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch {
    return undefined;
  }
}
