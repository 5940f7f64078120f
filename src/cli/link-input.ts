// Where a secret link comes from: the argument, "-" for the first line of stdin, or BLINDVAULT_LINK
// when no argument is given. An argument is seen by anyone who lists processes, and kept in the
// shell's history; stdin and the environment are not.
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

export const LINK_ENV = 'BLINDVAULT_LINK';
// A link is a URL of a few hundred bytes: more on stdin is not one.
const MAX_LINK_BYTES = 16 * 1024;

export const LINK_HELP = `"-" reads it from the first line of stdin; without it, ${LINK_ENV} is used (both keep it out of ps and the shell history)`;

export async function linkFrom(argument: string | undefined, io: CliIo): Promise<string> {
  if (argument === '-') return firstLine(io.stdin);
  if (argument !== undefined) return argument;
  const fromEnv = io.env[LINK_ENV]?.trim();
  if (fromEnv) return fromEnv;
  throw new UsageError(`no link: give it as an argument, "-" to read it from stdin, or set ${LINK_ENV}`);
}

async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    const end = text.indexOf('\n');
    if (end >= 0) {
      text = text.slice(0, end);
      break;
    }
    if (text.length > MAX_LINK_BYTES) throw new UsageError('stdin does not start with a link (no line end within 16 KiB)');
  }
  const link = text.trim();
  if (link === '') throw new UsageError('no link on stdin');
  return link;
}
