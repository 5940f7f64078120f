import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/server-process.js';
import { deployDocBlock, directive, findBinary, parseByteSize, parseSeconds, substitute } from './deploy-doc.js';
import { SERVER, serverKeepAliveSeconds, startProxiedServer, startProxy } from './proxy-fixture.js';
import { checkThroughProxy, selfSignedCertificate } from './through-proxy.js';

// docs/deploy.md's Caddyfile, run by Debian's caddy in front of a real server process.
const CADDY = findBinary('caddy', ['/usr/bin/caddy']);
const skip = CADDY ? false : 'caddy is not installed (apt-get install caddy; .ci/run installs it)';
if (skip) console.log(`# skipped docs/deploy.md's Caddy tests: ${skip}`);

test("docs/deploy.md's Caddyfile allows what the server allows and waits as long as it does", async () => {
  const site = await deployDocBlock('caddyfile');
  assert.ok(parseByteSize(directive(site, 'max_size')) >= SERVER.maxRequestBodyBytes, 'the largest upload with its framing');
  for (const name of ['read_timeout', 'write_timeout']) {
    assert.ok(parseSeconds(directive(site, name)) >= SERVER.idleSeconds, `${name} is not shorter than the server's idle timeout`);
  }
  // Caddy buffers no request body unless told to (request_buffers); the doc must not tell it to.
  assert.doesNotMatch(site, /request_buffers|buffer_requests/);
});

test("docs/deploy.md's Caddyfile in front of the server, through TLS", { skip, timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-caddy-'));
  const backend = await startProxiedServer();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  try {
    const tls = await selfSignedCertificate(dir);
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    const backendPort = new URL(backend.server.url).port;
    let site = await deployDocBlock('caddyfile');
    // Only ports, paths and certificate files change: the test's certificate instead of Caddy's
    // own ACME one, and unprivileged ports on the loopback.
    site = substitute(site, 'files.example.org {', `localhost:${httpsPort} {\n\ttls ${tls.cert} ${tls.key}`);
    site = substitute(site, 'reverse_proxy 127.0.0.1:8080 {', `reverse_proxy 127.0.0.1:${backendPort} {`);
    const global = ['{', '\tadmin off', `\thttp_port ${httpPort}`, '\tdefault_bind 127.0.0.1', `\tstorage file_system ${dir}/data`, '}', ''].join('\n');
    const caddyfile = path.join(dir, 'Caddyfile');
    await writeFile(caddyfile, global + site);
    const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') };
    const adapted = await promisify(execFile)(CADDY as string, ['adapt', '--config', caddyfile, '--adapter', 'caddyfile'], { env }).catch(
      (error: { stderr?: string }) => {
        throw new Error(`caddy adapt refused the Caddyfile: ${error.stderr ?? String(error)}`);
      },
    );
    assert.doesNotMatch(adapted.stderr, /"level":"warn"|WARN/i, adapted.stderr);
    proxy = await startProxy(CADDY as string, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], httpsPort, env);

    const keepalive = /^\s*keepalive\s+(\w+)/m.exec(site)?.[1];
    assert.ok(keepalive, 'the Caddyfile sets the upstream keep-alive (Caddy keeps idle sockets 2 minutes otherwise)');
    assert.ok(parseSeconds(keepalive) < (await serverKeepAliveSeconds(backend)));

    await checkThroughProxy(t, { httpsPort, httpPort, ca: tls.ca }, backend);
  } finally {
    await proxy?.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
});
