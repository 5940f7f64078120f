import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createMetrics, type Metrics } from '../../src/server/metrics/metrics.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';
import { freePort, startBackendServer } from '../helpers/server-process.js';
import { BACKENDS } from '../helpers/stores.js';

for (const backend of BACKENDS) {
  describe(`/livez and /readyz (${backend})`, () => {
    let t: TestApp;
    let blobsDown = false;
    before(async () => {
      t = await openTestApp(backend, {}, {
        wrapBlobs: (blobs) => ({
          put: (...args) => blobs.put(...args),
          get: (...args) => blobs.get(...args),
          delete: (key) => blobs.delete(key),
          sweepPartials: (age) => blobs.sweepPartials(age),
          freeBytes: () => blobs.freeBytes(),
          ping: () => (blobsDown ? Promise.reject(new Error('down')) : blobs.ping()),
        }),
      });
    });
    after(async () => t.close());

    test('ready when the stores answer and every migration is applied; live regardless', async () => {
      assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 200);
      assert.deepEqual((await t.app.inject({ url: '/livez' })).json(), { status: 'ok' });
      blobsDown = true;
      try {
        const res = await t.app.inject({ url: '/readyz' });
        assert.equal(res.statusCode, 503);
        assert.equal(res.json().error, 'UNAVAILABLE');
        assert.equal((await t.app.inject({ url: '/livez' })).statusCode, 200);
      } finally {
        blobsDown = false;
      }
      assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 200, 'control: ready again');
    });
  });
}

test('/readyz is 503 while the database lacks a migration this code has', async () => {
  const t = await openTestApp('sqlite');
  try {
    assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 200, 'control');
    const db = new Database(path.join(t.stores.dataDir, 'blindvault.sqlite'));
    const [last] = db.prepare('select name from kysely_migration order by name desc limit 1').all() as Array<{ name: string }>;
    assert.ok(last);
    db.prepare('delete from kysely_migration where name = ?').run(last.name);
    db.close();
    assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 503);
    assert.equal((await t.app.inject({ url: '/healthz' })).statusCode, 200, 'the stores themselves answer');
  } finally {
    await t.close();
  }
});

describe('metrics', () => {
  let t: TestApp;
  let metrics: Metrics;
  before(async () => {
    metrics = createMetrics({ defaultMetrics: false });
    t = await openTestApp('sqlite', { FILE_UPLOAD_RATE: '2/hour' }, { metrics });
  });
  after(async () => t.close());

  const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
      if (wanted.every((w) => labelText.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  };

  test('requests by route pattern and status, bytes, throttles; no id, token or query in any label', async () => {
    const data = randomBytes(50_000);
    const { body, contentType } = multipartBody(e2eUpload(data));
    const uploaded = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
    assert.equal(uploaded.statusCode, 200);
    const { id, owner_token: ownerToken, redirect } = uploaded.json() as { id: string; owner_token: string; redirect: string };
    assert.equal((await t.app.inject({ url: `/f/${id}/encrypted` })).statusCode, 200);
    assert.equal((await t.app.inject({ url: redirect, headers: { accept: 'application/json' } })).statusCode, 200);
    assert.equal((await t.app.inject({ url: `/f/${id}/manage?token=${'x'.repeat(40)}`, headers: { accept: 'application/json' } })).statusCode, 404);
    assert.equal((await t.app.inject({ url: `/no/such/${id}?token=${ownerToken}` })).statusCode, 404);
    // The upload rate is 2 per hour: the third upload is refused.
    assert.equal((await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } })).statusCode, 429);
    assert.equal((await t.app.inject({ url: '/server/info/' })).statusCode, 200);

    const { contentType: type, body: text } = await metrics.render();
    assert.match(type, /^text\/plain/);
    assert.equal(sample(text, 'blindvault_http_requests_total', { method: 'POST', route: '/upload', status: '200' }), 2);
    assert.equal(sample(text, 'blindvault_http_requests_total', { method: 'POST', route: '/upload', status: '429' }), 1);
    assert.equal(sample(text, 'blindvault_http_requests_total', { method: 'GET', route: '/f/:id/encrypted', status: '200' }), 1);
    assert.equal(sample(text, 'blindvault_http_requests_total', { method: 'GET', route: '/f/:id/manage', status: '404' }), 1);
    assert.equal(sample(text, 'blindvault_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }), 1);
    assert.equal(sample(text, 'blindvault_throttle_refusals_total', { route: '/upload' }), 1);
    assert.equal(sample(text, 'blindvault_http_request_duration_seconds_count', { method: 'GET', route: '/f/:id/encrypted', status: '200' }), 1);
    assert.equal(sample(text, 'blindvault_uploads_in_progress', {}) ?? Number(/^blindvault_uploads_in_progress (\d+)$/m.exec(text)?.[1]), 0);
    for (const secret of [id, ownerToken, 'token=', 'x'.repeat(40)]) assert.ok(!text.includes(secret), `metrics hold ${secret}`);
  });

  test('sweeper runs and store errors are counted under fixed names', async () => {
    metrics.sweep('files', 'ok', 3);
    metrics.sweep('files', 'skipped', 0);
    metrics.storeError('blob', 'upload part');
    const { body: text } = await metrics.render();
    assert.equal(sample(text, 'blindvault_sweeps_total', { task: 'files', outcome: 'ok' }), 1);
    assert.equal(sample(text, 'blindvault_sweeps_total', { task: 'files', outcome: 'skipped' }), 1);
    assert.equal(sample(text, 'blindvault_swept_items_total', { task: 'files' }), 3);
    assert.equal(sample(text, 'blindvault_store_errors_total', { store: 'blob', operation: 'upload part' }), 1);
  });
});

test('bytes in and out are counted over a real connection, bodies included', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const t = await openTestApp('sqlite', {}, { metrics });
  try {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    assert.ok(address && typeof address === 'object');
    const base = `http://127.0.0.1:${address.port}`;
    const data = randomBytes(300_000);
    const { body, contentType } = multipartBody(e2eUpload(data));
    const res = await fetch(`${base}/upload`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
    assert.equal(res.status, 200);
    const { id } = (await res.json()) as { id: string };
    const download = await fetch(`${base}/f/${id}/encrypted`);
    assert.equal((await download.arrayBuffer()).byteLength, data.length);
    // The server counts an answer once it has finished sending it, a moment after the client has it all.
    let text = '';
    for (let i = 0; i < 100 && !text.includes('blindvault_http_sent_bytes_total{route="/f/:id/encrypted"}'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      text = (await metrics.render()).body;
    }
    const received = Number(/^blindvault_http_received_bytes_total\{route="\/upload"\} (\d+)$/m.exec(text)?.[1]);
    const sent = Number(/^blindvault_http_sent_bytes_total\{route="\/f\/:id\/encrypted"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(received >= body.length && received < body.length + 4096, `received ${received} for a body of ${body.length}`);
    assert.ok(sent >= data.length && sent < data.length + 4096, `sent ${sent} for a blob of ${data.length}`);
  } finally {
    await t.close();
  }
});

test('a server process serves /metrics on METRICS_PORT only, never on its public port', async () => {
  const metricsPort = await freePort();
  const running = await startBackendServer('sqlite', { METRICS_PORT: String(metricsPort) });
  try {
    assert.equal((await fetch(`${running.server.url}/readyz`)).status, 200);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    assert.match(text, /blindvault_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/);
    assert.match(text, /blindvault_process_resident_memory_bytes/);
    assert.equal((await fetch(`${running.server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  } finally {
    await running.close();
  }
  const plain = await startBackendServer('sqlite');
  try {
    assert.equal((await fetch(`${plain.server.url}/metrics`)).status, 404, 'off by default');
  } finally {
    await plain.close();
  }
});
