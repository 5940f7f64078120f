import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { ERROR_CATALOGUE } from '../../src/protocol/errors.js';
import { openTestApp, type TestApp } from '../helpers/app.js';

type Schema = Record<string, unknown>;
const CLOSED = ['type', 'anyOf', 'oneOf', 'allOf', 'const', 'enum', '$ref', 'not'];

/**
 * Where a schema lets anything through: a node that constrains nothing (Type.Unknown(), Type.Any(),
 * `{}`) or an object that admits any extra field. As an answer schema that is a leak waiting to happen.
 */
function openNodes(schema: unknown, at: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [`${at} is not a schema`];
  const node = schema as Schema;
  const found: string[] = [];
  if (!CLOSED.some((key) => key in node)) found.push(`${at} accepts anything`);
  if (node.additionalProperties === true) found.push(`${at} admits any extra field`);
  for (const [name, child] of Object.entries((node.properties ?? {}) as Schema)) found.push(...openNodes(child, `${at}.${name}`));
  for (const [name, child] of Object.entries((node.patternProperties ?? {}) as Schema)) found.push(...openNodes(child, `${at}[${name}]`));
  if (typeof node.additionalProperties === 'object') found.push(...openNodes(node.additionalProperties, `${at}[*]`));
  const items = node.items ?? node.prefixItems;
  if (Array.isArray(items)) items.forEach((child, i) => found.push(...openNodes(child, `${at}[${i}]`)));
  else if (items !== undefined) found.push(...openNodes(items, `${at}[]`));
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((child, i) => found.push(...openNodes(child, `${at}|${i}`)));
  }
  return found;
}

/**
 * What is wrong with a route's answer schemas. Every route declares its error shape; a vault route
 * declares its answers per status (200, 201, …; no "2xx" catch-all) and the 4xx error shape; no answer
 * schema anywhere lets an unnamed field through.
 */
function answerFindings(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): string[] {
  const name = `${String(route.method)} ${route.url}`;
  const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response;
  if (!response || Object.keys(response).length === 0) return [`${name} declares no answer schema`];
  const found: string[] = [];
  if (!response['4xx'] && !response['5xx']) found.push(`${name} declares no error shape`);
  if ((route.config as { vault?: unknown } | undefined)?.vault !== undefined) {
    if (!response['4xx']) found.push(`${name} declares no 4xx shape`);
    for (const status of Object.keys(response)) if (!/^[1-5]\d\d$|^[45]xx$/.test(status)) found.push(`${name} answers "${status}", not a status`);
  }
  for (const [status, schema] of Object.entries(response)) found.push(...openNodes(schema, `${name} ${status}`));
  return found;
}

test('the answer-schema rule flags open and missing schemas (control)', () => {
  const vault = { vault: { auth: 'token', flag: 'read' } };
  const error = Type.Object({ detail: Type.Optional(Type.String()) });
  const route = (response: Record<string, unknown> | undefined, config: unknown = vault) =>
    answerFindings({ method: 'GET', url: '/x/', schema: response ? { response } : {}, config: config as RouteOptions['config'] });
  assert.deepEqual(route({ 200: Type.Object({ id: Type.String(), n: Type.Array(Type.Integer()) }), '4xx': error }), []);
  assert.deepEqual(route(undefined), ['GET /x/ declares no answer schema']);
  assert.deepEqual(route({ 200: Type.Unknown(), '4xx': error }), ['GET /x/ 200 accepts anything']);
  assert.deepEqual(route({ 200: Type.Any(), '4xx': error }), ['GET /x/ 200 accepts anything']);
  assert.deepEqual(route({ 200: Type.Object({ data: Type.Unknown() }), '4xx': error }), ['GET /x/ 200.data accepts anything']);
  assert.deepEqual(route({ 200: Type.Array(Type.Any()), '4xx': error }), ['GET /x/ 200[] accepts anything']);
  assert.deepEqual(route({ 200: Type.Object({}, { additionalProperties: true }), '4xx': error }), ['GET /x/ 200 admits any extra field']);
  assert.deepEqual(route({ 200: Type.Union([Type.String(), Type.Unknown()]), '4xx': error }), ['GET /x/ 200|1 accepts anything']);
  assert.deepEqual(route({ 200: Type.Object({}), '4xx': Type.Unknown() }), ['GET /x/ 4xx accepts anything']);
  assert.deepEqual(route({ '2xx': Type.Object({}), '4xx': error }), ['GET /x/ answers "2xx", not a status']);
  assert.deepEqual(route({ 200: Type.Object({}), '5xx': error }), ['GET /x/ declares no 4xx shape']);
  assert.deepEqual(route({ 200: Type.Object({}) }, {}), ['GET /x/ declares no error shape']);
});

// Every route, whatever it is sent, answers a JSON error or success: never a 5xx.
describe('the route table', () => {
  const routes: RouteOptions[] = [];
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite', { MAX_UPLOAD_BYTES: '4096' }, { onRoute: (route) => void routes.push(route) });
  });
  after(async () => t.close());

  test('every route declares its params and closed answer schemas', () => {
    assert.ok(routes.length >= 6, `found ${routes.length} routes`);
    const vaultRoutes = routes.filter((r) => (r.config as { vault?: unknown } | undefined)?.vault !== undefined);
    assert.ok(vaultRoutes.length >= 53, `found ${vaultRoutes.length} vault routes`);
    const success = vaultRoutes.filter((r) => Object.keys((r.schema as { response: object }).response).some((s) => /^2\d\d$/.test(s)));
    assert.ok(success.length >= 53, `${success.length} vault routes declare a 2xx answer`);
    // The OpenAPI document is built from the route schemas themselves, never from stored data.
    const freeForm = new Set(['GET /openapi.json']);
    assert.deepEqual(routes.filter((r) => r.method !== 'OPTIONS' && !freeForm.has(`${String(r.method)} ${r.url}`)).flatMap(answerFindings), []);
    for (const route of routes) {
      if (route.method === 'OPTIONS') continue; // CORS preflight, answered by @fastify/cors
      const name = `${String(route.method)} ${route.url}`;
      const schema = route.schema as { params?: unknown; response?: Record<string, unknown> } | undefined;
      if (route.url.includes(':')) assert.ok(schema?.params, `${name} validates its path params`);
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
