import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startBackendServer, type BackendServer, type ServerProcess } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';

// The two Python snippets of the e2e-file-api seed, run as they are but for their configuration
// lines, against a real server process: Debian's python3 with python3-cryptography and python3-requests.
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const SEED_DIR = path.resolve('test/interop/seed');
const run = promisify(execFile);

/** Replaces the snippet's `NAME = …` configuration lines, each of which must be there exactly once. */
function configure(source: string, values: Record<string, string>): string {
  let out = source;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name} = .*$`, 'gm');
    assert.equal(source.match(line)?.length, 1, `the snippet has one ${name} line`);
    out = out.replace(line, `${name} = ${JSON.stringify(value)}`);
  }
  return out;
}

for (const backend of BACKENDS) {
  describe(`the seed's Python upload and download snippets (${backend})`, () => {
    let running: BackendServer;
    let server: ServerProcess;
    let work: string;
    before(async () => {
      running = await startBackendServer(backend);
      ({ server, work } = running);
    });
    after(async () => running?.close());

    for (const size of [0, 1, 3 * 1024 * 1024 + 7]) {
      test(`a ${size}-byte file goes up encrypted and comes back byte for byte`, async () => {
        const plaintext = randomBytes(size);
        const input = path.join(work, `plain-${size}.bin`);
        const output = path.join(work, `decrypted-${size}.bin`);
        await writeFile(input, plaintext);

        const uploadScript = path.join(work, `upload-${size}.py`);
        await writeFile(uploadScript, configure(await readFile(path.join(SEED_DIR, 'e2e_upload.py'), 'utf8'), { FILE_PATH: input, DOMAIN: server.url }));
        const up = await run(PYTHON, [uploadScript], { cwd: work });
        const download = /^Download: (\S+)$/m.exec(up.stdout)?.[1];
        const manage = /^Manage: (\S+)$/m.exec(up.stdout)?.[1];
        assert.ok(download && manage, up.stdout);
        const fileId = new URL(download).pathname.split('/')[2] ?? '';
        assert.equal(download, `${server.url}/f/${fileId}/encrypted`);

        // The server holds ciphertext only: 16 bytes of GCM tag more than the plaintext, and not it.
        const info = (await (await fetch(manage, { headers: { accept: 'application/json' } })).json()) as { size_bytes: number };
        assert.equal(info.size_bytes, size + 16);

        const downloadScript = path.join(work, `download-${size}.py`);
        await writeFile(
          downloadScript,
          configure(await readFile(path.join(SEED_DIR, 'e2e_download.py'), 'utf8'), { FILE_ID: fileId, DOMAIN: server.url, OUTPUT_FILE: output }),
        );
        const down = await run(PYTHON, [downloadScript], { cwd: work });
        assert.match(down.stdout, /Decrypted file saved to/);
        assert.deepEqual(await readFile(output), plaintext);
      });
    }

    test('control: the download snippet fails on a wrong passphrase (the check is real)', async () => {
      const input = path.join(work, 'plain-control.bin');
      await writeFile(input, randomBytes(100));
      const uploadScript = path.join(work, 'upload-control.py');
      await writeFile(uploadScript, configure(await readFile(path.join(SEED_DIR, 'e2e_upload.py'), 'utf8'), { FILE_PATH: input, DOMAIN: server.url }));
      const up = await run(PYTHON, [uploadScript], { cwd: work });
      const fileId = new URL(/^Download: (\S+)$/m.exec(up.stdout)?.[1] ?? '').pathname.split('/')[2] ?? '';
      const downloadScript = path.join(work, 'download-control.py');
      await writeFile(
        downloadScript,
        configure(await readFile(path.join(SEED_DIR, 'e2e_download.py'), 'utf8'), {
          PASSPHRASE: 'not-the-passphrase',
          FILE_ID: fileId,
          DOMAIN: server.url,
          OUTPUT_FILE: path.join(work, 'never.bin'),
        }),
      );
      await assert.rejects(run(PYTHON, [downloadScript], { cwd: work }), /InvalidTag/);
    });
  });
}
