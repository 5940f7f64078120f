import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY, WEB_CLIENT_CONTENT_SECURITY_POLICY } from '../../src/server/edge/security-headers.js';
import { openTestApp, type TestApp } from '../helpers/app.js';

// VAULT_WEB_CLIENT_DIR: a Psono web-client build served at /vault/ with a generated config.json. The
// build here is a tiny fake made by the test (the real one is never part of the project).
const INDEX = '<!DOCTYPE html><html><body><div id="app"></div><script src="js/bundle.min.js"></script></body></html>';
const BUNDLE = 'console.log("fake web client");';
const OUTSIDE = 'outside the build: never served';
const CHUNK = 'console.log("a lazy chunk");';

describe('the served web client', () => {
  let scratch: string;
  let build: string;
  let t: TestApp;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'bv-webclient-'));
    build = path.join(scratch, 'build');
    await mkdir(path.join(build, 'js'), { recursive: true });
    await writeFile(path.join(build, 'index.html'), INDEX);
    await writeFile(path.join(build, 'js', 'bundle.min.js'), BUNDLE);
    await writeFile(path.join(build, 'js', '974.js'), CHUNK);
    await writeFile(path.join(build, 'js', '.hidden.js'), OUTSIDE);
    await writeFile(path.join(build, 'js', 'bundle.min.js.map'), OUTSIDE);
    await writeFile(path.join(scratch, 'outside.js'), OUTSIDE);
    await symlink(path.join(scratch, 'outside.js'), path.join(build, 'js', 'link-out.js'));
    await writeFile(path.join(build, 'config.json'), '{"backend_servers":[{"url":"https://evil.example/server"}]}');
    await writeFile(path.join(build, '.env'), OUTSIDE);
    await writeFile(path.join(scratch, 'secret.txt'), OUTSIDE);
    await symlink(path.join(scratch, 'secret.txt'), path.join(build, 'link-out.txt'));
    await symlink(path.join(build, 'js', 'bundle.min.js'), path.join(build, 'link-in.js'));
    t = await openTestApp('sqlite', { PUBLIC_URL: 'https://vault.example.com', VAULT_WEB_CLIENT_DIR: build, VAULT_CORS_ORIGINS: 'http://127.0.0.1:9000' });
  });
  after(async () => {
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  test('/vault/ serves the build with the web client\'s policy, revalidated on every use', async () => {
    const index = await get('/vault/');
    assert.equal(index.statusCode, 200);
    assert.equal(index.body, INDEX);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['content-security-policy'], WEB_CLIENT_CONTENT_SECURITY_POLICY);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    const etag = String(index.headers.etag);
    assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await get('/vault/', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal((await get('/vault/', { 'if-none-match': 'W/"0-0"' })).statusCode, 200, 'control: another tag gets the file');

    const bundle = await get('/vault/js/bundle.min.js');
    assert.equal(bundle.statusCode, 200);
    assert.equal(bundle.body, BUNDLE);
    assert.equal(bundle.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(bundle.headers['content-length'], String(Buffer.byteLength(BUNDLE)));
    assert.equal((await get('/vault/link-in.js')).body, BUNDLE, 'a link that stays inside the build is followed');

    const bare = await get('/vault');
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/vault/', 'relative asset paths need the slash');
  });

  test('config.json is generated: this server, its pinned verify key, nothing from the build', async () => {
    const res = await get('/vault/config.json');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['content-security-policy'], WEB_CLIENT_CONTENT_SECURITY_POLICY);
    const info = (await get('/server/info/')).json() as { verify_key: string; info: string };
    assert.deepEqual(res.json(), {
      backend_servers: [{ title: 'Blindvault', url: 'https://vault.example.com/server', verify_key: info.verify_key }],
      base_url: 'https://vault.example.com/vault/',
      allow_custom_server: false,
      allow_registration: true,
      allow_lost_password: true,
      allow_delete_account: false,
      authentication_methods: ['AUTHKEY'],
    });
    assert.equal(JSON.parse(info.info).web_client, 'https://vault.example.com/vault', '/info/ names the served client');
  });

  test('nothing outside the build, no hidden file and no folder is served', async () => {
    for (const url of [
      '/vault/../secret.txt',
      '/vault/%2e%2e/secret.txt',
      '/vault/js/..%2f..%2f..%2fsecret.txt',
      '/vault/js/%2e%2e/%2e%2e/secret.txt',
      '/vault/js%5c..%5c..%5csecret.txt',
      '/vault/link-out.txt',
      '/vault/.env',
      '/vault/%2eenv',
      '/vault/js/',
      '/vault/js',
      '/vault//index.html',
      '/vault/index.html%00.js',
      '/vault/missing.js',
      `/vault/${'a/'.repeat(20)}x.js`,
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, `${url} → ${res.statusCode}`);
      assert.ok(!res.body.includes(OUTSIDE), url);
      assert.equal(res.json().error, 'NOT_FOUND', url);
      assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, `${url}: an error keeps the strict policy`);
    }
    assert.equal((await get('/vault/index.html')).body, INDEX, 'control: the same file by its own name');
  });

  test('the lazy chunks the build loads from /js/ at the site root are served from its js/ folder, nothing else', async () => {
    const chunk = await get('/js/974.js');
    assert.equal(chunk.statusCode, 200);
    assert.equal(chunk.body, CHUNK);
    assert.equal(chunk.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(chunk.headers['content-security-policy'], WEB_CLIENT_CONTENT_SECURITY_POLICY);
    assert.equal(chunk.headers['cache-control'], 'no-cache');
    assert.equal((await get('/js/974.js', { 'if-none-match': String(chunk.headers.etag) })).statusCode, 304);
    assert.equal((await get('/js/bundle.min.js')).body, BUNDLE, 'any script of the build\'s js/ folder');
    for (const url of [
      '/js/..%2f..%2fsecret.txt',
      '/js/..%2findex.html',
      '/js/%2e%2e%2f%2e%2e%2foutside.js',
      '/js/..%5c..%5coutside.js',
      '/js/.hidden.js',
      '/js/bundle.min.js.map',
      '/js/link-out.js',
      '/js/missing.js',
      '/js/974.js%00',
      '/js/..js',
      '/js/a..js',
      '/js/',
      '/js/sub/974.js',
      '/index.html',
      '/config.json',
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, `${url} → ${res.statusCode}`);
      assert.ok(!res.body.includes(OUTSIDE), url);
    }
    const long = await get(`/js/${'a'.repeat(200)}.js`);
    assert.ok(long.statusCode >= 400 && long.statusCode < 500, `a long name → ${long.statusCode}`);
  });

  test('the rest of the server keeps its own policy', async () => {
    assert.equal((await get('/healthz')).headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal((await get('/server/info/')).headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  });

  test('CORS: the listed origins and PUBLIC_URL\'s may call the vault from a browser, no other', async () => {
    const preflight = (origin: string) =>
      t.app.inject({ method: 'OPTIONS', url: '/server/datastore/', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    assert.equal((await preflight('http://127.0.0.1:9000')).headers['access-control-allow-origin'], 'http://127.0.0.1:9000');
    assert.equal((await preflight('https://vault.example.com')).headers['access-control-allow-origin'], 'https://vault.example.com');
    for (const origin of ['https://evil.example', 'http://127.0.0.1:9001', 'null']) {
      assert.equal((await preflight(origin)).headers['access-control-allow-origin'], undefined, origin);
    }
  });
});

describe('the web client is opt-in, and a bad build folder stops the start', () => {
  test('without VAULT_WEB_CLIENT_DIR there is no /vault/', async () => {
    const t = await openTestApp('sqlite', { PUBLIC_URL: 'https://vault.example.com' });
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: '/vault/' })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: '/vault/config.json' })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: '/js/974.js' })).statusCode, 404, 'nor /js/');
      const info = (await t.app.inject({ method: 'GET', url: '/server/info/' })).json() as { info: string };
      assert.equal(JSON.parse(info.info).web_client, 'https://vault.example.com');
    } finally {
      await t.close();
    }
  });

  test('a folder without index.html is refused at start, naming the setting', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'bv-webclient-empty-'));
    try {
      await assert.rejects(openTestApp('sqlite', { PUBLIC_URL: 'https://vault.example.com', VAULT_WEB_CLIENT_DIR: empty }), /VAULT_WEB_CLIENT_DIR .* is not a web-client build/);
      await assert.rejects(openTestApp('sqlite', { PUBLIC_URL: 'https://vault.example.com', VAULT_WEB_CLIENT_DIR: path.join(empty, 'nope') }), /VAULT_WEB_CLIENT_DIR/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
