import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RouteOptions } from 'fastify';
import { ERROR_CATALOGUE } from '../../src/protocol/errors.js';
import { openTestApp, type TestApp } from '../helpers/app.js';

// Every route, whatever it is sent, answers a JSON error or success: never a 5xx.
describe('the route table', () => {
  const routes: RouteOptions[] = [];
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite', { MAX_UPLOAD_BYTES: '4096' }, { onRoute: (route) => void routes.push(route) });
  });
  after(async () => t.close());

  test('every route declares its params and its error responses', () => {
    assert.ok(routes.length >= 6, `found ${routes.length} routes`);
    for (const route of routes) {
      if (route.method === 'OPTIONS') continue; // CORS preflight, answered by @fastify/cors
      const name = `${String(route.method)} ${route.url}`;
      const schema = route.schema as { params?: unknown; response?: Record<string, unknown> } | undefined;
      assert.ok(schema?.response, `${name} has response schemas`);
      assert.ok(schema.response['4xx'] || schema.response['5xx'], `${name} declares its error shape`);
      if (route.url.includes(':')) assert.ok(schema.params, `${name} validates its path params`);
      const config = route.config as { rateLimit?: string; vault?: { auth: string; scope?: string } } | undefined;
      // Vault routes: anonymous ones count per address (anon + scope), token ones per user (user + scope).
      assert.ok(config?.rateLimit !== undefined || config?.vault !== undefined, `${name} states its rate-limit class`);
    }
  });

  const contentTypes = ['application/json', 'multipart/form-data', 'multipart/form-data; boundary=x', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', ''];
  test('garbage sent to any route gets a 2xx/3xx/4xx, never a 5xx', async () => {
    const id = randomUUID();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes.filter((r) => r.method !== 'OPTIONS')),
        fc.constantFrom(...contentTypes),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => new TextEncoder().encode(j))),
        fc.constantFrom(id, 'x', '..%2f', '%00', '%ZZ', '%E0%A4%A', '00000000-0000-4000-8000-000000000000'),
        fc.option(fc.string({ maxLength: 60 })),
        async (route, contentType, body, param, token) => {
          const method = Array.isArray(route.method) ? route.method[0] : route.method;
          const url = route.url.replace(':id', param) + (token === null ? '' : `?token=${encodeURIComponent(token)}`);
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
          const res = await t.app.inject({ method: method as 'GET', url, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { payload: Buffer.from(body) }) });
          assert.ok(res.statusCode < 500, `${method} ${url} [${contentType}] → ${res.statusCode} ${res.body.slice(0, 200)}`);
          if (res.statusCode >= 400 && method !== 'HEAD' && url.startsWith('/server/')) {
            // The vault answers in Psono's shapes (spec §0.3): a JSON object, plain before authentication.
            const error = res.json();
            assert.equal(typeof error, 'object', `${method} ${url}: ${res.body.slice(0, 200)}`);
            assert.ok(res.statusCode === 405 || Object.keys(error).length > 0, `${method} ${url}: ${res.body}`);
          } else if (res.statusCode >= 400 && method !== 'HEAD') {
            const error = res.json();
            assert.ok(error.error in ERROR_CATALOGUE, `${method} ${url}: ${res.body.slice(0, 200)}`);
            assert.equal(error.requestId, res.headers['x-request-id']);
            if (token) assert.ok(!res.body.includes(token) || token.length < 4, 'the token is not echoed');
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

test('GET /openapi.json describes the file API from the route schemas', async () => {
  const t = await openTestApp('sqlite');
  try {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/upload', '/f/{id}/encrypted', '/f/{id}/manage', '/healthz', '/uploads', '/uploads/{id}']) assert.ok(doc.paths[path], `${path} is documented`);
    assert.ok(doc.paths['/upload'].post.responses['200'].content['application/json'].schema.properties.download_url);
    assert.ok(doc.paths['/uploads'].post.responses['201'].content['application/json'].schema.properties.owner_token);
    // @fastify/swagger leaves HEAD routes out (as for HEAD /f/{id}/encrypted).
    for (const method of ['patch', 'delete']) assert.ok(doc.paths['/uploads/{id}'][method], `${method} /uploads/{id} is documented`);
    const patchHeaders = doc.paths['/uploads/{id}'].patch.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name);
    for (const name of ['tus-resumable', 'upload-offset', 'content-type']) assert.ok(patchHeaders.includes(name), `PATCH documents ${name}`);
  } finally {
    await t.close();
  }
});
