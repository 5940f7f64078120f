// Where a passphrase comes from: --passphrase-file F, else BLINDVAULT_PASSPHRASE, else a prompt on a
// terminal. Never from an argument: arguments are visible to every user of the machine (ps, /proc).
import { readFile } from 'node:fs/promises';
import type { Env } from './environment.js';
import { LocalFileError, UsageError } from './usage-error.js';

export const PASSPHRASE_ENV = 'BLINDVAULT_PASSPHRASE';
const MAX_PASSPHRASE_BYTES = 4096;

export interface PassphraseSources {
  file: string | undefined;
  env: Env;
  /** A prompt may be shown: stdin and stderr are terminals. */
  interactive: boolean;
}

/** One trailing newline is the file's end of line, not part of the passphrase. */
function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function fromFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalFileError(`cannot read the passphrase file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const passphrase = stripNewline(text);
  if (passphrase === '') throw new UsageError(`the passphrase file ${file} is empty`);
  if (new TextEncoder().encode(passphrase).byteLength > MAX_PASSPHRASE_BYTES) throw new UsageError(`the passphrase in ${file} is longer than ${MAX_PASSPHRASE_BYTES} bytes`);
  return passphrase;
}

/** A passphrase given without asking (file or environment), or undefined. */
export async function givenPassphrase(sources: PassphraseSources): Promise<string | undefined> {
  if (sources.file !== undefined) return fromFile(sources.file);
  const value = sources.env[PASSPHRASE_ENV];
  if (value !== undefined && value !== '') return value;
  return undefined;
}

export async function promptPassphrase(confirm: boolean): Promise<string> {
  // Loaded only to ask: a passphrase from a file, the environment or a link's key never needs the prompt library.
  const { default: password } = await import('@inquirer/password');
  const context = { input: process.stdin, output: process.stderr, clearPromptOnDone: true };
  const first = await password({ message: 'Passphrase:', mask: true, validate: (v) => v !== '' || 'The passphrase is empty.' }, context);
  if (confirm) {
    const second = await password({ message: 'Passphrase again:', mask: true }, context);
    if (second !== first) throw new UsageError('the two passphrases differ');
  }
  return first;
}

/** For decrypting: given, else asked on a terminal, else undefined (the caller says what is missing). */
export async function passphraseForDownload(sources: PassphraseSources): Promise<string | undefined> {
  const given = await givenPassphrase(sources);
  if (given !== undefined) return given;
  return sources.interactive ? promptPassphrase(false) : undefined;
}
