import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** The server's vault keys as a key file gives them (docs/formats/key-file-v1.md). */
export interface KeyFileKeys {
  boxPrivateKeyHex: string;
  signingSeedHex: string;
}

const MAX_KEY_FILE_BYTES = 4096;
const HEX32 = /^[0-9a-f]{64}$/;
const FIELDS = ['format', 'version', 'box_private_key', 'signing_seed'];

/**
 * Reads VAULT_KEY_FILE. Refused unless it is a regular file (no symlink) that only its owner may
 * read or write. The message names the problem, never a byte of the file.
 */
export async function readKeyFile(file: string): Promise<KeyFileKeys> {
  const refuse = (problem: string) => new Error(`VAULT_KEY_FILE ${file}: ${problem}`);
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? 'error'})`);
  }
  let text: string;
  try {
    const found = await handle.stat();
    if (!found.isFile()) throw refuse('is not a regular file');
    if ((found.mode & 0o077) !== 0) throw refuse(`may be read by other users (mode ${(found.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it`);
    if (found.size > MAX_KEY_FILE_BYTES) throw refuse('is too large to be a key file');
    text = (await handle.readFile({ encoding: 'utf8' })).slice(0, MAX_KEY_FILE_BYTES);
  } finally {
    await handle.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse('is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse('is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  if (fields.format !== 'blindvault-keys') throw refuse('"format" is not "blindvault-keys"');
  if (fields.version !== 1) throw refuse('unknown "version" (this server reads version 1)');
  const unknown = Object.keys(fields).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw refuse(`unknown field ${JSON.stringify(unknown[0])}`);
  const key = (name: string): string => {
    const value = fields[name];
    if (typeof value !== 'string' || !HEX32.test(value)) throw refuse(`"${name}" must be 64 lower-case hexadecimal characters`);
    return value;
  };
  return { boxPrivateKeyHex: key('box_private_key'), signingSeedHex: key('signing_seed') };
}
