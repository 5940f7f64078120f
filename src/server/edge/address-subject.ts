import { isIPv6 } from 'node:net';

/**
 * Whom a per-address count (a throttle, a quota, failed authentications) is kept for: an IPv4 address as it is, an
 * IPv6 address by its /64 (one subscriber gets a whole /64, and would otherwise have 2^64 counts to spread guesses
 * over).
 */
export function addressSubject(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  const hextets = (part: string) => (part === '' ? [] : part.split(':')).flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const [left = '', right] = bare.split('::');
  const head = hextets(left);
  const tail = right === undefined ? [] : hextets(right);
  const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
