// Random (version 4) UUIDs from the CSPRNG: the ids a vault client gives its folders, items and links (spec §2.6).
import { toHex } from './encoding.js';
import { randomBytes } from './nacl.js';

export function randomUuid(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
