// Files only the user may read: the folder 0700, the file written 0600 under a temporary name and renamed.
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../crypto/encoding.js';
import { randomBytes } from '../../crypto/nacl.js';
import { LocalFileError } from '../usage-error.js';

export async function writePrivateFile(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `.${path.basename(file)}.${toHex(randomBytes(6))}.tmp`);
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    throw new LocalFileError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readPrivateFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function removePrivateFile(file: string): Promise<boolean> {
  const existed = (await readPrivateFile(file)) !== undefined;
  await rm(file, { force: true });
  return existed;
}

/** A JSON object file (pins, trusted keys): {} when absent. */
export async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  const text = await readPrivateFile(file);
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new LocalFileError(`${file} is not a JSON object: fix or remove it`);
}
