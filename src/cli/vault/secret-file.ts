// Passwords come from a file (--password-file F) or a prompt on a terminal, never from an argument:
// arguments are visible to every user of the machine (ps, /proc/PID/cmdline).
import { readFile } from 'node:fs/promises';
import password from '@inquirer/password';
import { LocalFileError, UsageError } from '../usage-error.js';

const MAX_SECRET_BYTES = 64 * 1024;

/** The file's text without one trailing newline (the file's end of line, not part of the secret). */
export async function readSecretFile(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalFileError(`cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES) throw new UsageError(`the ${what} file ${file} is larger than ${MAX_SECRET_BYTES} bytes`);
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`the ${what} file ${file} is empty`);
  return value;
}

export async function promptSecret(message: string, confirm = false): Promise<string> {
  const context = { input: process.stdin, output: process.stderr, clearPromptOnDone: true };
  const first = await password({ message, mask: true, validate: (v) => v !== '' || 'It is empty.' }, context);
  if (confirm && (await password({ message: 'Again:', mask: true }, context)) !== first) throw new UsageError('the two entries differ');
  return first;
}

/** --password-file F, else a prompt on a terminal, else a usage error naming the option. */
export async function passwordFrom(file: string | undefined, interactive: boolean, confirm = false): Promise<string> {
  if (file !== undefined) return readSecretFile(file, 'password');
  if (!interactive) throw new UsageError('no password: give --password-file F (there is no terminal to ask on)');
  return promptSecret('Password:', confirm);
}
