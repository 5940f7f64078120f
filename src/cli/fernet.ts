// blindvault fernet: the article seed's Fernet tokens (Python's cryptography.fernet), for people leaving
// its Flask example. The key stays on this machine: --key-file or BLINDVAULT_FERNET_KEY, never an argument;
// the data comes on stdin, the result goes to stdout.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { fernetDecrypt, fernetEncrypt, fernetGenerateKey } from '../client/fernet.js';
import { cryptoBackend } from './crypto-backend.js';
import type { CliIo } from './io.js';
import { parsePositiveInteger } from './parse-options.js';
import { LocalFileError, UsageError } from './usage-error.js';

export const FERNET_KEY_ENV = 'BLINDVAULT_FERNET_KEY';
const MAX_STDIN_BYTES = 64 * 1024 * 1024;

async function readStdin(io: CliIo): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    total += bytes.byteLength;
    if (total > MAX_STDIN_BYTES) throw new UsageError(`stdin holds more than ${MAX_STDIN_BYTES / 1024 / 1024} MiB: Fernet is for small data; use "blindvault upload" for files`);
    chunks.push(bytes);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

async function fernetKey(keyFile: string | undefined, io: CliIo): Promise<string> {
  if (keyFile !== undefined) {
    try {
      return (await readFile(keyFile, 'utf8')).trim();
    } catch (error) {
      throw new LocalFileError(`cannot read the key file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const value = io.env[FERNET_KEY_ENV];
  if (value === undefined || value.trim() === '') throw new UsageError(`no Fernet key: give --key-file F or set ${FERNET_KEY_ENV}`);
  return value.trim();
}

export function fernetCommand(program: Command, io: CliIo): void {
  const fernet = program
    .command('fernet')
    .description("Fernet tokens as Python's cryptography.fernet makes them (the key stays on this machine)")
    .addHelpText('after', `\nThe key comes from --key-file F or ${FERNET_KEY_ENV}, never from an argument. Data on stdin, result on stdout.`);
  fernet
    .command('encrypt')
    .description('encrypt stdin into a Fernet token (printed with a newline)')
    .option('--key-file <file>', `the Fernet key (url-safe base64 of 32 bytes), else ${FERNET_KEY_ENV}`)
    .action(async (flags: { keyFile?: string }) => {
      const key = await fernetKey(flags.keyFile, io);
      const token = await fernetEncrypt(key, await readStdin(io), { crypto: await cryptoBackend() });
      io.stdout.write(`${token}\n`);
    });
  fernet
    .command('decrypt')
    .description('decrypt the Fernet token on stdin; writes the plaintext as it is')
    .option('--key-file <file>', `the Fernet key, else ${FERNET_KEY_ENV}`)
    .option('--ttl <seconds>', 'refuse tokens older than this, as Fernet.decrypt(token, ttl=…)', parsePositiveInteger)
    .action(async (flags: { keyFile?: string; ttl?: number }) => {
      const key = await fernetKey(flags.keyFile, io);
      const token = new TextDecoder().decode(await readStdin(io)).trim();
      const plaintext = await fernetDecrypt(key, token, { crypto: await cryptoBackend(), ...(flags.ttl !== undefined ? { ttlSeconds: flags.ttl } : {}) });
      io.stdout.write(plaintext);
    });
  fernet
    .command('generate-key')
    .description('print a new random Fernet key (keep it secret; give it back with --key-file)')
    .action(async () => {
      io.stdout.write(`${fernetGenerateKey({ crypto: await cryptoBackend() })}\n`);
    });
  for (const command of fernet.commands) command.exitOverride().configureOutput(program.configureOutput()).allowExcessArguments(false);
}
