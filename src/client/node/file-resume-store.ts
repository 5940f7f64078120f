// Resume records as files in one private folder ($XDG_STATE_HOME/blindvault/uploads for the CLI):
// the folder 0700, each record 0600, written under a temporary name and renamed, removed when the
// upload ends. A record holds secrets (see resume-store.ts): nothing else may read it.
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ResumeStore, UploadResumeRecord } from '../resume-store.js';

const MAX_RECORD_BYTES = 64 * 1024;

function isRecord(value: unknown): value is UploadResumeRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const strings = ['match', 'identity', 'serverUrl', 'id', 'uploadUrl', 'uploadToken', 'ownerToken', 'header', 'createdAt'];
  return strings.every((k) => typeof r[k] === 'string') && typeof r.sizeBytes === 'number' && (r.fileKey === undefined || typeof r.fileKey === 'string');
}

export function createFileResumeStore(dir: string): ResumeStore {
  let sequence = 0;
  async function entries(): Promise<{ file: string; record: UploadResumeRecord }[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: { file: string; record: UploadResumeRecord }[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const file = path.join(dir, name);
      try {
        const text = await readFile(file, 'utf8');
        if (text.length > MAX_RECORD_BYTES) continue;
        const value = JSON.parse(text) as unknown;
        if (isRecord(value)) out.push({ file, record: value });
      } catch {
        // a record being written or a stray file: not ours to judge
      }
    }
    return out;
  }

  return {
    async find(match) {
      return (await entries()).find((e) => e.record.match === match)?.record;
    },
    async save(record) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      const existing = (await entries()).find((e) => e.record.match === record.match);
      const file = existing?.file ?? path.join(dir, `upload-${Date.now()}-${process.pid}-${sequence++}.json`);
      const temp = `${file}.${process.pid}.tmp`;
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(record));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    },
    async remove(match) {
      for (const entry of await entries()) if (entry.record.match === match) await rm(entry.file, { force: true });
    },
  };
}
