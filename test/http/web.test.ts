import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openTestApp, type TestApp } from '../helpers/app.js';

// GET /limits tells the page what an upload may ask for: the configured defaults and maxima. Without a
// built page the page routes answer a JSON 404 (the browser tests, test/web/, run the built one).

const apps: TestApp[] = [];
after(async () => Promise.all(apps.map((t) => t.close())));

test('GET /limits answers the configured defaults and maxima', async () => {
  const t = await openTestApp('sqlite', { MAX_UPLOAD_BYTES: '10MiB', FILE_DEFAULT_TTL_SECONDS: '3600', FILE_MAX_TTL_SECONDS: '7200', FILE_DEFAULT_MAX_DOWNLOADS: '2', FILE_MAX_DOWNLOADS: '9' });
  apps.push(t);
  const res = await t.app.inject({ method: 'GET', url: '/limits' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { max_upload_bytes: 10 * 1024 * 1024, default_expires_in: 3600, max_expires_in: 7200, default_max_downloads: 2, max_max_downloads: 9 });
  const other = await openTestApp('sqlite', {});
  apps.push(other);
  assert.deepEqual((await other.app.inject({ method: 'GET', url: '/limits' })).json(), {
    max_upload_bytes: 5 * 1024 ** 3,
    default_expires_in: 86400,
    max_expires_in: 604800,
    // Every file has a limit now: without FILE_DEFAULT_MAX_DOWNLOADS it is FILE_MAX_DOWNLOADS.
    default_max_downloads: 1000,
    max_max_downloads: 1000,
  });
});

test('without a built page, / and /f/{id} answer a JSON 404; the APIs still answer', async () => {
  const t = await openTestApp('sqlite', {});
  apps.push(t);
  for (const url of ['/', '/f/00000000-0000-4000-8000-000000000000', '/assets/upload-ABC.js', '/sw.js']) {
    const res = await t.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().error, 'NOT_FOUND');
  }
  assert.equal((await t.app.inject({ method: 'GET', url: '/f/not-an-id' })).statusCode, 400);
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'control');
});
