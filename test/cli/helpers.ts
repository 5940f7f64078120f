// Shared by the CLI tests: the seed's Python snippets configured for a server, the stored blob of a file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const SEED_DIR = path.resolve('test/interop/seed');
export const run = promisify(execFile);

/** Replaces the snippet's `NAME = …` configuration lines, each of which must be there exactly once. */
export function configure(source: string, values: Record<string, string>): string {
  let out = source;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name} = .*$`, 'gm');
    assert.equal(source.match(line)?.length, 1, `the snippet has one ${name} line`);
    out = out.replace(line, `${name} = ${JSON.stringify(value)}`);
  }
  return out;
}

/** Runs the seed's e2e_upload.py; answers its download and manage links. */
export async function seedUpload(work: string, domain: string, file: string, passphrase: string): Promise<{ download: string; manage: string; id: string }> {
  const script = path.join(work, `seed-upload-${path.basename(file)}.py`);
  await writeFile(script, configure(await readFile(path.join(SEED_DIR, 'e2e_upload.py'), 'utf8'), { FILE_PATH: file, DOMAIN: domain, PASSPHRASE: passphrase }));
  const { stdout } = await run(PYTHON, [script], { cwd: work });
  const download = /^Download: (\S+)$/m.exec(stdout)?.[1];
  const manage = /^Manage: (\S+)$/m.exec(stdout)?.[1];
  assert.ok(download && manage, stdout);
  return { download, manage, id: new URL(download).pathname.split('/')[2] ?? '' };
}

/** Runs the seed's e2e_download.py for a file id; rejects when Python fails (wrong passphrase, tampering). */
export async function seedDownload(work: string, domain: string, id: string, passphrase: string, output: string): Promise<string> {
  const script = path.join(work, `seed-download-${id}.py`);
  await writeFile(script, configure(await readFile(path.join(SEED_DIR, 'e2e_download.py'), 'utf8'), { FILE_ID: id, DOMAIN: domain, OUTPUT_FILE: output, PASSPHRASE: passphrase }));
  return (await run(PYTHON, [script], { cwd: work })).stdout;
}

/** The stored ciphertext of file `id` under a server's data folder (the folder blob store names blobs by id). */
export async function storedBlob(dataDir: string, id: string): Promise<string> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.includes(id)) found.push(full);
    }
  }
  await walk(dataDir);
  assert.equal(found.length, 1, `one blob for ${id}: ${found.join(', ')}`);
  return found[0] as string;
}

/** Flips one bit of a file at `offset` (negative: from the end). */
export async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  await writeFile(file, bytes);
}

/** The names in a folder, to prove a failed download left nothing behind. */
export async function namesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
