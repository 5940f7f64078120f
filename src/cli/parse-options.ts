// Option values the commands share, parsed strictly: a value that is not exactly right is a usage error.
import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "90", "90s", "30m", "12h", "1d", "2w" → seconds. */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,9})([smhdw]?)$/.exec(text);
  if (!match) throw new InvalidArgumentError('expected a duration such as 3600, 30m, 12h, 1d or 2w');
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds)) throw new InvalidArgumentError('the duration is too long');
  return seconds;
}

export function parsePositiveInteger(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new InvalidArgumentError('expected a whole number from 1');
  return Number(text);
}
