import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startBackendServer, type BackendServer } from '../helpers/server-process.js';
import { buildCli, cliHome, runCli, type CliHome } from '../cli/cli-process.js';
import { flipByte, seedDownload, seedUpload, storedBlob } from '../cli/helpers.js';
import { buildPage, launchBrowser, screenshot, statusWhen, type BrowserRun } from './browser.js';

// The page in real Chromium against a real server: upload in the page and download with the CLI and
// the seed's Python, the other way round, every failure a user can meet, the manage page, and the
// page's own security (CSP without violations, the key in no request and no log line).

describe('the browser page', () => {
  let running: BackendServer;
  let home: CliHome;
  let browser: BrowserRun;
  let url: string;
  let work: string;
  const keys: string[] = [];

  before(async () => {
    await Promise.all([buildPage(), buildCli()]);
    [running, home, browser] = await Promise.all([startBackendServer('sqlite', { FILE_UPLOAD_RATE: '1000/hour', LOG_LEVEL: 'info' }), cliHome(), launchBrowser()]);
    url = running.server.url;
    work = path.join(home.dir, 'work');
    await mkdir(work);
  });
  after(async () => {
    await browser?.close();
    await running?.close();
  });

  async function uploadInPage(page: Page, file: string, options: { passphrase?: string; downloads?: number; shot?: string } = {}): Promise<{ link: string; manage: string }> {
    await page.goto(`${url}/`);
    await page.getByTestId('file-input').setInputFiles(file);
    if (options.passphrase !== undefined) await page.getByTestId('passphrase-input').fill(options.passphrase);
    if (options.downloads !== undefined) await page.getByLabel('Download limit').fill(String(options.downloads));
    if (options.shot) await screenshot(page, `${options.shot}-ready`);
    await page.getByTestId('upload-button').click();
    assert.match(await statusWhen(page, 'done'), /Uploaded/);
    const link = await page.getByTestId('share-link').inputValue();
    const manage = (await page.locator('#manage-link').getAttribute('href')) ?? '';
    if (options.shot) await screenshot(page, `${options.shot}-done`);
    const key = new URL(link).hash.slice(1);
    if (key) keys.push(key);
    return { link, manage };
  }

  async function downloadInPage(page: Page, link: string, passphrase?: string): Promise<{ status: string; bytes?: Buffer }> {
    await page.goto(link);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="download-button"]') as HTMLButtonElement).disabled || document.querySelector('[data-testid="status"]')?.getAttribute('data-state') === 'error');
    if ((await page.getByTestId('status').getAttribute('data-state')) === 'error') return { status: (await page.getByTestId('status').textContent()) ?? '' };
    if (passphrase !== undefined) await page.getByTestId('passphrase-input').fill(passphrase);
    const download = page.waitForEvent('download', { timeout: 120_000 }).catch(() => undefined);
    await page.getByTestId('download-button').click();
    const state = await Promise.race([statusWhen(page, 'done').then(() => 'done' as const), statusWhen(page, 'error').then(() => 'error' as const)]);
    const status = (await page.getByTestId('status').textContent()) ?? '';
    if (state === 'error') return { status };
    const saved = await download;
    assert.ok(saved, 'a download started');
    const target = path.join(work, `page-${Date.now()}.bin`);
    await saved.saveAs(target);
    assert.equal(await saved.failure(), null);
    return { status, bytes: await readFile(target) };
  }

  test('upload in the page (desktop and phone) → download with the CLI', async () => {
    const plaintext = randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(work, 'page-upload.bin');
    await writeFile(file, plaintext);
    for (const phone of [false, true]) {
      const { page } = await browser.page({ phone });
      const { link } = await uploadInPage(page, file, { shot: 'upload' });
      assert.match(link, new RegExp(`^${url}/f/[0-9a-f-]{36}#[A-Za-z0-9_-]{43}$`));
      const output = path.join(work, `cli-${phone ? 'phone' : 'desktop'}.out`);
      const down = await runCli(['download', link, '--output', output], { env: home.env });
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(await readFile(output), plaintext);
    }
  });
});
