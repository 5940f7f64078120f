// Downloads to a file the safe way. The plaintext goes to a private temporary file beside the output and is
// renamed over it only once the whole file has verified: a wrong key, a tampered or cut file leaves nothing
// under the output name. The ciphertext received so far is kept beside it too (ciphertext only, 0600), so
// that a broken download (lost connection, Ctrl-C) goes on with a Range request when run again; it is
// decrypted from that local copy then. Both are removed when the download ends, well or with a verdict.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { fromBase64Url, toBase64Url } from '../../crypto/encoding.js';
import { BlindvaultError } from '../../protocol/errors.js';
import { decryptCiphertext, fetchCiphertext, type CiphertextInfo, type DownloadOptions, type DownloadResult } from '../download.js';
import { parseDownloadLink } from '../links.js';
import { readFileFrom } from './file-source.js';

export interface SavedDownload {
  id: string;
  format: DownloadResult['format'];
  plaintextBytes: number;
  resumed: boolean;
}

/**
 * What a broken download leaves beside its output to go on (0600): salt and IV are public; the resume
 * token lets only this download be finished without counting again.
 */
interface PartialState {
  id: string;
  format: 'v1' | 'v2';
  sizeBytes: number;
  etag: string;
  resumeToken?: string;
  salt?: string;
  iv?: string;
}

const toNode = (stream: ReadableStream<Uint8Array>) => Readable.fromWeb(stream as NodeReadableStream<Uint8Array>);

/** The copy is written in gathered writes of about this much: the body comes in 64 KiB pieces, one write each would cost more. */
const COPY_WRITE_BYTES = 1024 * 1024;

/** Passes the stream on unchanged and appends each chunk to `file` (waiting only when the disk falls behind). */
function keepCopy(file: WriteStream): TransformStream<Uint8Array, Uint8Array> {
  let failure: Error | undefined;
  let corked = 0;
  const check = () => {
    if (failure) throw failure;
  };
  const settled = (event: 'drain' | 'finish') =>
    new Promise<void>((resolve) => {
      const done = () => {
        file.off(event, done).off('error', done).off('close', done);
        resolve();
      };
      file.once(event, done).once('error', done).once('close', done);
    });
  return new TransformStream({
    async transform(chunk, controller) {
      check();
      // Corked, the pieces gather in the stream's buffer; uncorking writes them with one writev.
      if (corked === 0) file.cork();
      corked += chunk.byteLength;
      const room = file.write(chunk, (error) => (failure ??= error ?? undefined));
      if (corked >= COPY_WRITE_BYTES) {
        corked = 0;
        file.uncork();
        if (!room) await settled('drain');
      }
      check();
      controller.enqueue(chunk);
    },
    async flush() {
      if (corked > 0) file.uncork();
      const finished = settled('finish');
      file.end();
      await finished;
      check();
    },
  });
}

async function readState(file: string, id: string): Promise<PartialState | undefined> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as PartialState;
    return state.id === id && typeof state.etag === 'string' && Number.isSafeInteger(state.sizeBytes) ? state : undefined;
  } catch {
    return undefined;
  }
}

function infoOf(state: PartialState): CiphertextInfo {
  const salt = state.salt !== undefined ? fromBase64Url(state.salt) : undefined;
  const iv = state.iv !== undefined ? fromBase64Url(state.iv) : undefined;
  return { id: state.id, format: state.format, sizeBytes: state.sizeBytes, etag: state.etag, ...(salt ? { salt } : {}), ...(iv ? { iv } : {}) };
}

/** A verdict on the file itself: keeping its bytes to resume would only repeat it. */
const isVerdict = (error: unknown) =>
  error instanceof BlindvaultError && ['DECRYPTION_FAILED', 'WRONG_KEY', 'TRUNCATED', 'BAD_HEADER', 'KEY_MODE_MISMATCH', 'INVALID_FILE_KEY', 'PASSPHRASE_REQUIRED', 'NOT_FOUND', 'UNSUPPORTED_FORMAT', 'V1_TOO_LARGE'].includes(error.code);

export async function downloadToFile(link: string, output: string, options: DownloadOptions): Promise<SavedDownload> {
  const { id } = parseDownloadLink(link);
  const base = path.join(path.dirname(output), `.${path.basename(output)}.${id}`);
  const files = { plaintext: `${base}.blindvault-part`, ciphertext: `${base}.blindvault-ciphertext`, state: `${base}.blindvault-state` };
  const removeAll = () => Promise.all(Object.values(files).map((file) => rm(file, { force: true })));
  const signal = options.signal ? { signal: options.signal } : {};

  const state = await readState(files.state, id);
  const have = state ? await stat(files.ciphertext).then((s) => s.size, () => 0) : 0;
  let written = 0;
  const count = (stream: ReadableStream<Uint8Array>) => toNode(stream).on('data', (chunk: Uint8Array) => (written += chunk.byteLength));
  try {
    if (state && have === state.sizeBytes) {
      // Every byte arrived before the last run stopped: decrypt the local copy.
      const plaintext = await decryptCiphertext(link, infoOf(state), readFileFrom(files.ciphertext, 0), options);
      await pipeline(count(plaintext), createWriteStream(files.plaintext, { mode: 0o600 }), signal);
      await rename(files.plaintext, output);
      await removeAll();
      return { id, format: state.format, plaintextBytes: written, resumed: true };
    }
    const fetched = await fetchCiphertext(link, { ...options, ...(state && have > 0 ? { resume: { offset: have, etag: state.etag, ...(state.resumeToken ? { token: state.resumeToken } : {}) } } : {}) });
    const resumed = fetched.offset > 0;
    const copy = createWriteStream(files.ciphertext, { flags: resumed ? 'a' : 'w', mode: 0o600 });
    // Errors of the copy surface through its writes and end; after a failure it is destroyed, and that is no news.
    copy.on('error', () => undefined);
    let plaintext: ReadableStream<Uint8Array>;
    try {
      if (!resumed && fetched.info.etag !== undefined) {
        const { salt, iv, ...rest } = fetched.info;
        await writeFile(files.state, JSON.stringify({ ...rest, ...(salt ? { salt: toBase64Url(salt) } : {}), ...(iv ? { iv: toBase64Url(iv) } : {}) }), { mode: 0o600 });
      }
      const body = fetched.body.pipeThrough(keepCopy(copy));
      if (!resumed) {
        // The usual case: decrypt while receiving, keeping a copy of the ciphertext in case the connection breaks.
        plaintext = await decryptCiphertext(link, fetched.info, body, options);
        await pipeline(count(plaintext), createWriteStream(files.plaintext, { mode: 0o600 }), signal);
      } else {
        // Finishing a broken download: fetch the rest, then decrypt the whole local copy.
        await pipeline(toNode(body), new Writable({ write: (_chunk, _encoding, done) => done() }), signal);
        const info = infoOf(state as PartialState);
        const local = readFileFrom(files.ciphertext, 0);
        plaintext = await decryptCiphertext(link, info, local, options);
        await pipeline(count(plaintext), createWriteStream(files.plaintext, { mode: 0o600 }), signal);
      }
    } finally {
      if (!copy.closed) await new Promise<void>((resolve) => copy.destroy().once('close', () => resolve()));
    }
    await rename(files.plaintext, output);
    await removeAll();
    return { id, format: fetched.info.format, plaintextBytes: written, resumed };
  } catch (error) {
    await rm(files.plaintext, { force: true });
    if (isVerdict(error) || !(await stat(files.state).then(() => true, () => false))) await removeAll();
    throw error;
  }
}

/** To stdout or a pipe: only verified records are written, but a failure may come after some of them. */
export async function downloadToStream(link: string, destination: NodeJS.WritableStream, options: DownloadOptions): Promise<SavedDownload> {
  const { info, body } = await fetchCiphertext(link, options);
  const plaintext = await decryptCiphertext(link, info, body, options);
  let written = 0;
  await pipeline(toNode(plaintext).on('data', (chunk: Uint8Array) => (written += chunk.byteLength)), destination as Writable, { end: false, ...(options.signal ? { signal: options.signal } : {}) });
  return { id: info.id, format: info.format, plaintextBytes: written, resumed: false };
}
