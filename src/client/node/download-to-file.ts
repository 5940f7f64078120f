// Downloads to a file the safe way: the plaintext goes to a private temporary file beside the output
// and is renamed over it only when the whole file has been verified. On any failure (a tag that does
// not verify, a cut connection, Ctrl-C) the temporary file is removed and the output name is untouched.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, type DownloadOptions, type DownloadResult } from '../download.js';

export interface SavedDownload {
  id: string;
  format: DownloadResult['format'];
  plaintextBytes: number;
  resumed: boolean;
}

function counted(stream: ReadableStream<Uint8Array>, onBytes: (n: number) => void): Readable {
  return Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>).on('data', (chunk: Uint8Array) => onBytes(chunk.byteLength));
}

export async function downloadToFile(link: string, output: string, options: DownloadOptions & { stateDir?: string }): Promise<SavedDownload> {
  const result = await downloadFile(link, options);
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${result.id}.blindvault-part`);
  let written = 0;
  try {
    await pipeline(
      counted(result.plaintext, (n) => (written += n)),
      createWriteStream(temp, { flags: 'w', mode: 0o600 }),
      ...(options.signal ? [{ signal: options.signal }] : []),
    );
    await rename(temp, output);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { id: result.id, format: result.format, plaintextBytes: written, resumed: false };
}

/** To stdout or a pipe: only verified records are written, but a failure may come after some of them. */
export async function downloadToStream(link: string, destination: NodeJS.WritableStream, options: DownloadOptions): Promise<SavedDownload> {
  const result = await downloadFile(link, options);
  let written = 0;
  await pipeline(counted(result.plaintext, (n) => (written += n)), destination as Writable, { end: false, ...(options.signal ? { signal: options.signal } : {}) });
  return { id: result.id, format: result.format, plaintextBytes: written, resumed: false };
}
