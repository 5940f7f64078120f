// Drives Debian's Chromium through playwright-core against a real started server, and records what a
// security review of the page needs: every request the browser made (with its headers and body sizes),
// every console line (Chromium prints CSP refusals there, from the page and its workers), and every
// `securitypolicyviolation` event of the page.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../web/build.js';

export const CHROMIUM = process.env.BLINDVAULT_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-artifacts', 'screenshots');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let built: Promise<unknown> | undefined;
/** Builds the page into dist/web once per test process (the server under test reads it at start). */
export function buildPage(): Promise<unknown> {
  built ??= buildWeb();
  return built;
}

export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  postDataBytes: number;
}

export interface BrowserRun {
  browser: Browser;
  requests: SeenRequest[];
  console: string[];
  violations: string[];
  /** A fresh context (desktop or phone width); without the File System Access API unless asked, since no one can answer its picker. */
  page(options?: { phone?: boolean; keepFileSystemAccess?: boolean }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserRun> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  const requests: SeenRequest[] = [];
  const consoleLines: string[] = [];
  const violations: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    requests,
    console: consoleLines,
    violations,
    async page(options = {}) {
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: options.phone ? { width: 375, height: 740 } : { width: 1280, height: 900 },
        ...(options.phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
      });
      contexts.push(context);
      context.on('request', (request) => {
        requests.push({ url: request.url(), method: request.method(), headers: request.headers(), postDataBytes: request.postDataBuffer()?.byteLength ?? 0 });
      });
      await context.exposeBinding('__bvViolation', (_source, text: string) => void violations.push(text));
      await context.addInitScript(`
        document.addEventListener('securitypolicyviolation', (e) => window.__bvViolation(e.violatedDirective + ' ' + e.blockedURI));
        ${options.keepFileSystemAccess ? '' : 'delete window.showSaveFilePicker;'}
      `);
      const page = await context.newPage();
      page.on('console', (message) => void consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on('worker', (worker) => worker.on('console', (message) => void consoleLines.push(`worker ${message.type()}: ${message.text()}`)));
      page.on('pageerror', (error) => void consoleLines.push(`pageerror: ${error.message}`));
      return { context, page };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Writes test-artifacts/screenshots/{name}-{desktop|phone}.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width < 600 ? 'phone' : 'desktop'}.png`), fullPage: true });
}

/** Waits until the status line is in `state` (done, error) and answers its text. */
export async function statusWhen(page: Page, state: 'done' | 'error' | 'idle', timeoutMs = 120_000): Promise<string> {
  const status = page.getByTestId('status');
  await page.waitForFunction((wanted) => document.querySelector('[data-testid="status"]')?.getAttribute('data-state') === wanted, state, { timeout: timeoutMs });
  return (await status.textContent()) ?? '';
}

/**
 * JS heap in use (bytes, ArrayBuffer backing stores included) of the pages and of each worker (dedicated and service),
 * from the DevTools protocol: Runtime.getHeapUsage on every page and worker target, through a browser session.
 */
export async function heapUsage(browser: Browser, options: { collectGarbage?: boolean } = {}): Promise<{ page: number; workers: number[] }> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await session.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string; url: string }> };
    let page = 0;
    const workers: number[] = [];
    for (const target of targetInfos.filter((t) => t.type === 'page' || t.type === 'worker' || t.type === 'service_worker')) {
      const { sessionId } = (await session.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
      const answer = new Promise<number>((resolve) => {
        const listener = (event: { sessionId: string; message: string }) => {
          const message = JSON.parse(event.message) as { id?: number; result?: { usedSize?: number; backingStorageSize?: number } };
          if (event.sessionId !== sessionId || message.id !== 1) return;
          session.off('Target.receivedMessageFromTarget', listener);
          // ArrayBuffers live outside the V8 heap proper: their backing stores count too.
          resolve((message.result?.usedSize ?? 0) + (message.result?.backingStorageSize ?? 0));
        };
        session.on('Target.receivedMessageFromTarget', listener);
      });
      if (options.collectGarbage) await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 0, method: 'HeapProfiler.collectGarbage' }) });
      await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) });
      const used = await Promise.race([answer, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000))]);
      await session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      if (target.type === 'page') page = Math.max(page, used);
      else workers.push(used);
    }
    return { page, workers };
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/**
 * What the pages and workers (dedicated and service) retain, in bytes: the sum of the node sizes of a heap
 * snapshot of each (ArrayBuffer backing stores included), from the DevTools protocol. A snapshot first
 * collects garbage and counts only what is reachable, where Runtime.getHeapUsage after a collection may still
 * count the backing stores of dead ArrayBuffers that V8's background sweeper has not freed yet.
 */
export async function retainedHeap(browser: Browser): Promise<{ page: number; workers: number[] }> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await session.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string }> };
    let page = 0;
    const workers: number[] = [];
    for (const target of targetInfos.filter((t) => t.type === 'page' || t.type === 'worker' || t.type === 'service_worker')) {
      // A target may go away between the listing and the attach (a frame, a stopped service worker).
      const attached = (await session.send('Target.attachToTarget', { targetId: target.targetId, flatten: false }).catch(() => undefined)) as { sessionId: string } | undefined;
      if (!attached) continue;
      const { sessionId } = attached;
      const parts: string[] = [];
      const done = new Promise<void>((resolve) => {
        const listener = (event: { sessionId: string; message: string }) => {
          if (event.sessionId !== sessionId) return;
          const message = JSON.parse(event.message) as { id?: number; method?: string; params?: { chunk?: string } };
          if (message.method === 'HeapProfiler.addHeapSnapshotChunk') parts.push(message.params?.chunk ?? '');
          if (message.id !== 2) return;
          session.off('Target.receivedMessageFromTarget', listener);
          resolve();
        };
        session.on('Target.receivedMessageFromTarget', listener);
      });
      for (const [id, method] of [[1, 'HeapProfiler.enable'], [2, 'HeapProfiler.takeHeapSnapshot']] as const) {
        await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
      }
      const finished = await Promise.race([done.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000))]);
      await session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      let bytes = -1;
      try {
        if (finished) bytes = snapshotBytes(parts.join(''));
      } catch {
        // a snapshot cut short: not counted
      }
      if (target.type === 'page') page = Math.max(page, bytes);
      else workers.push(bytes);
    }
    return { page, workers };
  } finally {
    await session.detach().catch(() => undefined);
  }
}

function snapshotBytes(json: string): number {
  const snapshot = JSON.parse(json) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
  const fields = snapshot.snapshot.meta.node_fields;
  const selfSize = fields.indexOf('self_size');
  let total = 0;
  for (let i = selfSize; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i] ?? 0;
  return total;
}
