import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../src/server/edge/security-headers.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { e2eUpload, multipartBody } from '../helpers/multipart.js';

// What every answer carries whatever its route (issue 8 items 9 and 11).

describe('security headers', () => {
  const apps: TestApp[] = [];
  const open = async (env: Record<string, string>) => {
    const t = await openTestApp('sqlite', env);
    apps.push(t);
    return t;
  };
  after(async () => Promise.all(apps.map((t) => t.close())));

  test('the Content-Security-Policy is exactly the configured one, on successes and errors alike', async () => {
    const t = await open({});
    for (const url of ['/healthz', '/f/00000000-0000-4000-8000-000000000000/encrypted', '/server/info/', '/server/datastore/', '/nowhere', '/f/%zz/manage', '/server/secret/%zz/']) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, url);
    }
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /https:|'unsafe-inline'|'unsafe-eval'|\*/);
  });

  test('no HSTS over plain HTTP, nor when an untrusted client claims https', async () => {
    const t = await open({});
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security'], undefined);
    const claimed = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(claimed.headers['strict-transport-security'], undefined, 'X-Forwarded-Proto from a client that is no proxy');
  });

  test('HSTS when a trusted proxy says the request came over TLS (control: the same proxy saying http)', async () => {
    const t = await open({ TRUST_PROXY: '1' });
    const tls = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(tls.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    const plain = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'http' } });
    assert.equal(plain.headers['strict-transport-security'], undefined);
  });

  test('HSTS on every answer when PUBLIC_URL is https, never when it is http', async () => {
    const https = await open({ PUBLIC_URL: 'https://files.example.org' });
    assert.equal((await https.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal((await https.app.inject({ method: 'GET', url: '/nowhere' })).headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    const http = await open({ PUBLIC_URL: 'http://files.example.org' });
    assert.equal((await http.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security'], undefined);
  });
});

describe('request logs', () => {
  let t: TestApp;
  before(async () => {
    t = await openTestApp('sqlite');
  });
  after(async () => t.close());

  test('name the route pattern, never a path, id or token', async () => {
    const apiKeyId = randomUUID();
    const secretId = randomUUID();
    const unknownId = randomUUID();
    const { body, contentType } = multipartBody(e2eUpload(randomBytes(100)));
    const uploaded = await t.app.inject({ method: 'POST', url: '/upload', payload: body, headers: { 'content-type': contentType } });
    assert.equal(uploaded.statusCode, 200, uploaded.body);
    const file = uploaded.json<{ id: string; owner_token: string }>();
    const calls: { method: 'GET' | 'PATCH' | 'POST'; url: string; route: string; payload?: object }[] = [
      { method: 'GET', url: `/f/${file.id}/encrypted`, route: '/f/:id/encrypted' },
      { method: 'GET', url: `/f/${file.id}/manage?token=${file.owner_token}`, route: '/f/:id/manage' },
      { method: 'GET', url: `/server/api-key/${apiKeyId}/`, route: '/server/api-key/:id/' },
      { method: 'GET', url: `/server/api-key/secret/${apiKeyId}/`, route: '/server/api-key/secret/:id/' },
      { method: 'GET', url: `/server/secret/${secretId}/`, route: '/server/secret/:id/' },
      { method: 'PATCH', url: `/server/secret/${secretId}/`, route: '/server/secret/:id/' },
      { method: 'POST', url: '/server/api-key-access/secret/', route: '/server/api-key-access/secret/', payload: { api_key_id: apiKeyId, secret_id: secretId } },
      { method: 'GET', url: `/nowhere/${unknownId}`, route: '[no route]' },
    ];
    for (const call of calls) {
      const before = t.logs.length;
      await t.app.inject({ method: call.method, url: call.url, ...(call.payload ? { payload: call.payload } : {}) });
      const lines = t.logs.slice(before).map((line) => JSON.parse(line) as { msg: string; route?: string; method?: string });
      const requestLine = lines.find((line) => line.msg === 'request');
      assert.equal(requestLine?.route, call.route, `${call.method} ${call.url}`);
      assert.equal(requestLine?.method, call.method);
    }
    const log = t.logs.join('\n');
    for (const secret of [file.id, file.owner_token, apiKeyId, secretId, unknownId]) {
      assert.ok(!log.includes(secret), `the log does not carry ${secret}`);
    }
  });
});
