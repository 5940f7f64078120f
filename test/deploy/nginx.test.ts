import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/server-process.js';
import { deployDocBlock, directive, findBinary, parseByteSize, parseSeconds, substitute } from './deploy-doc.js';
import { SERVER, serverKeepAliveSeconds, startProxiedServer, startProxy } from './proxy-fixture.js';
import { checkThroughProxy, selfSignedCertificate } from './through-proxy.js';

// docs/deploy.md's nginx site, run by Debian's nginx in front of a real server process.
const NGINX = findBinary('nginx', ['/usr/sbin/nginx']);
const skip = NGINX ? false : 'nginx is not installed (apt-get install nginx; .ci/run installs it)';
if (skip) console.log(`# skipped docs/deploy.md's nginx tests: ${skip}`);

test("docs/deploy.md's nginx site allows what the server allows and waits as long as it does", async () => {
  const site = await deployDocBlock('nginx');
  assert.ok(parseByteSize(directive(site, 'client_max_body_size')) >= SERVER.maxRequestBodyBytes, 'the largest upload with its framing');
  assert.ok(parseSeconds(directive(site, 'client_body_timeout')) >= SERVER.uploadPauseSeconds, 'an upload may pause as long as the server lets it');
  for (const name of ['proxy_read_timeout', 'proxy_send_timeout', 'send_timeout']) {
    assert.ok(parseSeconds(directive(site, name)) >= SERVER.idleSeconds, `${name} is not shorter than the server's idle timeout`);
  }
  assert.equal(directive(site, 'proxy_request_buffering'), 'off');
  assert.equal(directive(site, 'proxy_buffering'), 'off');
  assert.match(site, /proxy_set_header X-Forwarded-For \$(remote_addr|proxy_add_x_forwarded_for);/);
});

test("docs/deploy.md's nginx site in front of the server, through TLS", { skip, timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-nginx-'));
  const backend = await startProxiedServer();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  try {
    const tls = await selfSignedCertificate(dir);
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    const backendPort = new URL(backend.server.url).port;
    let site = await deployDocBlock('nginx');
    // Only ports, paths and certificate files change.
    site = substitute(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${backendPort};`);
    site = substitute(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
    site = substitute(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
    site = substitute(site, '/etc/letsencrypt/live/files.example.org/fullchain.pem', tls.cert);
    site = substitute(site, '/etc/letsencrypt/live/files.example.org/privkey.pem', tls.key);
    await writeFile(path.join(dir, 'blindvault.conf'), site);
    // The rest of Debian's nginx.conf that matters, with every path in the temp folder.
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(dir, sub));
    const main = [
      process.getuid?.() === 0 ? 'user root;' : '',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log info;`,
      'worker_processes 1;',
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((sub) => `  ${sub === 'body' ? 'client_body' : sub}_temp_path ${dir}/${sub};`),
      `  include ${dir}/blindvault.conf;`,
      '}',
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'nginx.conf'), main);
    const args = ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')];
    const checked = await promisify(execFile)(NGINX as string, [...args, '-t']).catch((error: { stderr?: string }) => {
      throw new Error(`nginx -t refused the site: ${error.stderr ?? String(error)}`);
    });
    assert.doesNotMatch(checked.stderr, /\[warn\]|\[emerg\]/, checked.stderr);
    proxy = await startProxy(NGINX as string, [...args, '-g', 'daemon off;'], httpsPort);

    // nginx's upstream keepalive_timeout (60 s unless set) must end idle sockets before the server does.
    const upstreamIdle = /keepalive_timeout\s+(\w+);/.exec(site)?.[1];
    assert.ok((upstreamIdle ? parseSeconds(upstreamIdle) : 60) < (await serverKeepAliveSeconds(backend)));

    await checkThroughProxy(t, { httpsPort, httpPort, ca: tls.ca }, backend);
  } finally {
    await proxy?.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
});
