import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Bits that let the group or others read, write or enter. */
const GROUP_OR_WORLD = 0o077;

/**
 * A folder only the server's user may enter: created 0700 (whatever the umask) when missing; an
 * existing one that the group or others may enter is refused, not fixed. Its permissions were set
 * by someone (an operator, a volume mount) and may already have exposed the keys in it: that is
 * for the operator to see and decide, as OpenSSH refuses a readable private key.
 */
export async function ensurePrivateFolder(folder: string, name: string): Promise<void> {
  const resolved = path.resolve(folder);
  let mode: number;
  try {
    const found = await stat(resolved);
    if (!found.isDirectory()) throw new Error(`${name} ${resolved} is not a folder`);
    mode = found.mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(resolved, { recursive: true, mode: 0o700 });
    await chmod(resolved, 0o700);
    return;
  }
  if ((mode & GROUP_OR_WORLD) !== 0) {
    throw new Error(`${name} ${resolved} may be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 700 on it`);
  }
}

/** Owner-only permissions on a file the server made (a database file), whatever the umask was. */
export async function makeOwnerOnly(file: string): Promise<void> {
  try {
    await chmod(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
