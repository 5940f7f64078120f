import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const run = promisify(execFile);
const UPLOAD_RATE = 40;

/** Replaces a Python snippet's `NAME = …` configuration lines, each there exactly once. */
function configure(source: string, values: Record<string, string>, quote: (v: string) => string = (v) => JSON.stringify(v)): string {
  let out = source;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name} = .*$`, 'gm');
    assert.equal(source.match(line)?.length, 1, `the snippet has one ${name} line`);
    out = out.replace(line, `${name} = ${quote(value)}`);
  }
  return out;
}

// Three server processes on one PostgreSQL and one S3 server, behind a round-robin balancer: any
// request may land on any instance, and together they behave as one server.
describe('three instances on one PostgreSQL and one bucket, behind a round-robin balancer', () => {
  let database: TestDatabase;
  let s3: S3TestServer;
  let work: string;
  let servers: ServerProcess[];
  let balancer: RoundRobinProxy;
  let base: string;
  let uploads = 0;

  before(async () => {
    database = await createTestDatabase();
    s3 = await startS3Server();
    work = await mkdtemp(path.join(tmpdir(), 'blindvault-multi-'));
    // One after the other: three compilations at once can outlast the helper's start deadline on a
    // loaded machine. (Migrations raced by instances starting together are tested in stores.test.ts.)
    servers = [];
    for (const i of [0, 1, 2]) {
      servers.push(
        await startServerProcess({
          DATA_DIR: path.join(work, `data-${i}`),
          DATABASE_URL: database.url,
          BLOB_STORE: s3.blobStoreUrl({ prefix: 'multi' }),
          FILE_UPLOAD_RATE: `${UPLOAD_RATE}/hour`,
        }),
      );
    }
    balancer = await startRoundRobinProxy(servers.map((s) => s.url));
    base = balancer.url;
  });
  after(async () => {
    await balancer?.close();
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await s3?.close();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function upload(data: Uint8Array, extra: Array<{ name: string; value: string }> = []): Promise<{ id: string; redirect: string }> {
    const { body, contentType } = multipartBody(e2eUpload(data, extra));
    const res = await fetch(`${base}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
    assert.equal(res.status, 200, await res.clone().text());
    uploads += 1;
    return (await res.json()) as { id: string; redirect: string };
  }

  test('an upload through one instance is served byte for byte by every instance, by range too, and deleted through another', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 11);
    const { id, redirect } = await upload(data);
    for (const server of servers) {
      const res = await fetch(`${server.url}/f/${id}/encrypted`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
      const part = await fetch(`${server.url}/f/${id}/encrypted`, { method: 'GET', headers: { range: 'bytes=1000-1999' } });
      assert.equal(part.status, 206);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(1000, 2000));
    }
    assert.equal((await fetch(`${base}${redirect}`, { method: 'DELETE' })).status, 204);
    for (const server of servers) assert.equal((await fetch(`${server.url}/f/${id}/encrypted`)).status, 404);
  });

  test('concurrent downloads over all instances against one max_downloads: exactly that many succeed', async () => {
    const data = randomBytes(100_000);
    const { id } = await upload(data, [{ name: 'max_downloads', value: '3' }]);
    const answers = await Promise.all(
      Array.from({ length: 15 }, async () => {
        const res = await fetch(`${base}/f/${id}/encrypted`);
        const body = Buffer.from(await res.arrayBuffer());
        return { status: res.status, whole: res.status === 200 && body.equals(data) };
      }),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, 3, JSON.stringify(answers.map((a) => a.status)));
    assert.equal(answers.filter((a) => a.whole).length, 3);
    assert.equal(answers.filter((a) => a.status === 404).length, 12);
  });

  test("the seed's Python upload and download snippets, each request on another instance", async () => {
    const plaintext = randomBytes(300_000);
    const input = path.join(work, 'plain.bin');
    const output = path.join(work, 'decrypted.bin');
    await writeFile(input, plaintext);
    const uploadScript = path.join(work, 'upload.py');
    await writeFile(uploadScript, configure(await readFile('test/interop/seed/e2e_upload.py', 'utf8'), { FILE_PATH: input, DOMAIN: base }));
    const up = await run(PYTHON, [uploadScript], { cwd: work, timeout: 60_000 });
    uploads += 1;
    const fileId = new URL(/^Download: (\S+)$/m.exec(up.stdout)?.[1] ?? '').pathname.split('/')[2] ?? '';
    const downloadScript = path.join(work, 'download.py');
    await writeFile(downloadScript, configure(await readFile('test/interop/seed/e2e_download.py', 'utf8'), { FILE_ID: fileId, DOMAIN: base, OUTPUT_FILE: output }));
    const down = await run(PYTHON, [downloadScript], { cwd: work, timeout: 60_000 });
    assert.match(down.stdout, /Decrypted file saved to/);
    assert.deepEqual(await readFile(output), plaintext);
  });

  test("the vault across instances: a web-client-style vault built through the balancer, then read by the seed's API-key client", async () => {
    const before = balancer.counts();
    const built = await run(PYTHON, ['test/interop/vault_fixture.py', `${base}/server`], { timeout: 180_000 });
    const fixture = JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}') as {
      server_url: string;
      server_public_key: string;
      server_signature: string;
      unrestricted: { api_key_id: string; api_key_private_key: string; api_key_secret_key: string };
      expected: { datastores: string[] };
    };
    const seed = await readFile('test/interop/seed/api_key_sessions.py', 'utf8');
    const script = path.join(work, 'seed-api-key.py');
    const configured = configure(
      seed,
      { ...fixture.unrestricted, server_url: fixture.server_url, server_public_key: fixture.server_public_key, server_signature: fixture.server_signature },
      (v) => `'${v}'`,
    ).replace(/^SSL_VERIFY = .*$/m, 'SSL_VERIFY = False');
    await writeFile(script, configured);
    const { stdout } = await run(PYTHON, [script], { timeout: 60_000 });
    assert.match(stdout, /^seed client: ok$/m, stdout);
    for (const id of fixture.expected.datastores) assert.ok(stdout.includes(`datastore ${id}`), stdout);
    // Every instance took part: sessions made on one were used on the others.
    const after = balancer.counts();
    assert.ok(after.every((count, i) => count - (before[i] ?? 0) >= 3), `requests per instance: ${JSON.stringify(after)}`);
  });

  test('the upload throttle counts once for all instances', async () => {
    const statuses: number[] = [];
    for (let i = uploads; i < UPLOAD_RATE + 3; i += 1) {
      const { body, contentType } = multipartBody(e2eUpload(randomBytes(10)));
      const res = await fetch(`${base}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const accepted = statuses.filter((s) => s === 200).length;
    assert.equal(accepted + uploads, UPLOAD_RATE, `accepted ${accepted} after ${uploads}: ${JSON.stringify(statuses)}`);
    assert.ok(statuses.slice(-3).every((s) => s === 429), JSON.stringify(statuses));
  });
});
