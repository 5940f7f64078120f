// npm run bench:web: the page in headless Chromium, in one run on one file (512 MiB by default):
// encrypt+upload through the page beside the same browser uploading the same bytes unencrypted to a
// bare node:http endpoint, and download+decrypt through the page beside a plain download from it.
// Prints MiB/s, the ratios (targets ≥ 0.7) and the peak retained JS heap of the page and its workers.
// Quick run: npm run bench:web -- --size-mib 64
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBackendServer } from '../test/helpers/server-process.js';
import { buildPage, launchBrowser, retainedHeap } from '../test/web/browser.js';
import { freePort, HOST } from './support.js';

const MIB = 1024 * 1024;

async function writeRandomFile(file: string, sizeBytes: number): Promise<void> {
  const block = randomBytes(4 * MIB);
  const out = createWriteStream(file);
  for (let written = 0; written < sizeBytes; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, sizeBytes - written)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** A bare endpoint: GET / a page with a file input, POST /sink discards a body, GET /bytes sends `sizeBytes` as a download. */
async function bareServer(sizeBytes: number): Promise<{ url: string; server: Server }> {
  const block = randomBytes(MIB);
  const server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/sink') {
      let received = 0;
      request.on('data', (chunk: Buffer) => void (received += chunk.length));
      request.on('end', () => response.end(String(received)));
      return;
    }
    if (request.url === '/bytes') {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': sizeBytes, 'content-disposition': 'attachment; filename="plain.bin"' });
      let sent = 0;
      const pump = () => {
        while (sent < sizeBytes) {
          const piece = block.subarray(0, Math.min(block.length, sizeBytes - sent));
          sent += piece.length;
          if (!response.write(piece)) return void response.once('drain', pump);
        }
        response.end();
      };
      return pump();
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><input type="file" id="f"><a id="d" href="/bytes" download>d</a>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return { url: `http://${HOST}:${port}`, server };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '512' } } });
  const sizeMiB = Number(values['size-mib']);
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error('--size-mib must be a whole number ≥ 1');
  const sizeBytes = sizeMiB * MIB;
  const work = await mkdtemp(path.join(tmpdir(), 'bv-bench-web-'));
  const file = path.join(work, 'input.bin');
  await Promise.all([writeRandomFile(file, sizeBytes), buildPage()]);
  const [running, bare, browser] = await Promise.all([startBackendServer('sqlite', { FILE_UPLOAD_RATE: '1000/hour', MAX_UPLOAD_BYTES: `${sizeMiB + 64}MiB` }), bareServer(sizeBytes), launchBrowser()]);
  let peak = { page: 0, worker: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const heap = await retainedHeap(browser.browser).catch(() => ({ page: 0, workers: [] as number[] }));
      peak = { page: Math.max(peak.page, heap.page), worker: Math.max(peak.worker, ...heap.workers) };
      // A snapshot pauses the thread it measures: seldom, so that the timings stay the page's own.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  })();
  const seconds = (start: number) => (performance.now() - start) / 1000;
  try {
    const { page } = await browser.page();
    // Bare upload: the same browser POSTs the file as it is.
    await page.goto(`${bare.url}/`);
    await page.locator('#f').setInputFiles(file);
    let start = performance.now();
    await page.evaluate(async () => {
      const input = document.getElementById('f') as HTMLInputElement;
      await (await fetch('/sink', { method: 'POST', body: input.files?.[0] ?? null })).text();
    });
    const bareUpload = seconds(start);

    await page.goto(`${running.server.url}/`);
    await page.getByTestId('file-input').setInputFiles(file);
    start = performance.now();
    await page.getByTestId('upload-button').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.getAttribute('data-state') === 'done', undefined, { timeout: 0, polling: 200 });
    const pageUpload = seconds(start);
    const link = await page.getByTestId('share-link').inputValue();

    await page.goto(`${bare.url}/`);
    start = performance.now();
    const plain = page.waitForEvent('download', { timeout: 0 });
    await page.locator('#d').click();
    await rm(path.join(work, 'plain.out'), { force: true });
    await (await plain).saveAs(path.join(work, 'plain.out'));
    const bareDownload = seconds(start);

    await page.goto(link);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="download-button"]') as HTMLButtonElement).disabled);
    start = performance.now();
    const decrypted = page.waitForEvent('download', { timeout: 0 });
    await page.getByTestId('download-button').click();
    await (await decrypted).saveAs(path.join(work, 'page.out'));
    const pageDownload = seconds(start);
    if ((await stat(path.join(work, 'page.out'))).size !== sizeBytes) throw new Error('the page saved a file of the wrong size');

    const rate = (s: number) => sizeMiB / s;
    const line = (name: string, ours: number, base: number) =>
      `${name.padEnd(28)} page ${rate(ours).toFixed(1).padStart(7)} MiB/s   bare ${rate(base).toFixed(1).padStart(7)} MiB/s   ratio ${(base / ours).toFixed(2)} (target ≥ 0.70)`;
    sampling = false;
    await sampler;
    process.stdout.write(`bench:web, ${sizeMiB} MiB, headless Chromium, loopback\n`);
    process.stdout.write(`${line('encrypt + upload (tus)', pageUpload, bareUpload)}\n`);
    process.stdout.write(`${line('download + decrypt (sw)', pageDownload, bareDownload)}\n`);
    process.stdout.write(`peak retained JS heap (heap snapshots, ArrayBuffers included): page ${(peak.page / MIB).toFixed(1)} MiB, workers ${(peak.worker / MIB).toFixed(1)} MiB\n`);
  } finally {
    sampling = false;
    await sampler;
    await browser.close();
    await running.close();
    bare.server.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
