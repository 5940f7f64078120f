import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** A file of a static folder, opened for one answer: the caller sends the stream (or destroys it). */
export interface StaticFile {
  stream: Readable;
  sizeBytes: number;
  modifiedAt: Date;
}

/** A read-only folder of files served as they are (a web-client build), addressed by path segments. */
export interface StaticFolder {
  /** The regular file at these segments inside the folder; undefined for anything else. */
  open(segments: readonly string[]): Promise<StaticFile | undefined>;
}

/**
 * The segments a request may name: no empty, `.`/`..` or hidden (dot) segment, no separator or NUL
 * inside one, bounded in number and length. Checked before the file system is asked anything.
 */
export function safeSegments(segments: readonly string[]): boolean {
  if (segments.length === 0 || segments.length > 16) return false;
  return segments.every((s) => s.length > 0 && s.length <= 255 && !s.startsWith('.') && !/[/\\\0]/.test(s));
}

/**
 * The folder on disk. Besides the segment rule, the real path of what is opened (symbolic links
 * resolved) must lie inside the folder's real path, and it must be a regular file: a link that
 * leads out of the build, a folder or a device is not served.
 */
export class FsStaticFolder implements StaticFolder {
  private constructor(private readonly root: string) {}

  /** Refuses (with one line) a folder that is missing, not a folder, or holds no index.html. */
  static async openFolder(folder: string, name: string): Promise<FsStaticFolder> {
    let root: string;
    try {
      root = await realpath(folder);
      if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
      if (!(await stat(path.join(root, 'index.html'))).isFile()) throw new Error('no index.html');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing, or without index.html' : (error as Error).message;
      throw new Error(`${name} ${folder} is not a web-client build (${reason})`);
    }
    return new FsStaticFolder(root);
  }

  async open(segments: readonly string[]): Promise<StaticFile | undefined> {
    if (!safeSegments(segments)) return undefined;
    let real: string;
    try {
      real = await realpath(path.join(this.root, ...segments));
    } catch {
      return undefined;
    }
    if (!real.startsWith(this.root + path.sep)) return undefined;
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return { stream: handle.createReadStream(), sizeBytes: info.size, modifiedAt: info.mtime };
  }
}
