// docs/deploy.md's systemd unit, extracted as written: systemd's own parser checks every directive
// (systemd-analyze verify, and security --offline for the hardening), and the settings it gives
// the server are ones the server accepts. The unit is not started under systemd here: the CI
// machine does not run systemd as PID 1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/server/config.js';
import { deployDocBlock, findBinary } from './deploy-doc.js';

const run = promisify(execFile);
const ANALYZE = findBinary('systemd-analyze', ['/usr/bin/systemd-analyze', '/bin/systemd-analyze']);
const skip = ANALYZE ? false : 'systemd-analyze is not installed (apt-get install systemd; .ci/run installs it)';
if (skip) console.log(`# skipped the systemd-analyze checks of docs/deploy.md's unit: ${skip}`);

/** Every value of a key in the unit, in order (a key may repeat, e.g. SystemCallFilter=). */
function values(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] ?? '').trim());
}

function single(unit: string, key: string): string {
  const found = values(unit, key);
  assert.equal(found.length, 1, `the unit sets ${key}= once`);
  return found[0] ?? '';
}

/** systemd-analyze verify's complaints about a unit file (it exits 0 on a bad key; it says so on stderr). */
async function verify(dir: string, unit: string): Promise<string> {
  const file = path.join(dir, 'blindvault.service');
  await writeFile(file, unit);
  const { stdout, stderr } = await run(ANALYZE as string, ['verify', file], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } }).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: `${error.stderr ?? ''}\n(exit non-zero)` }),
  );
  return (stdout + stderr).trim();
}

test("docs/deploy.md's unit: systemd-analyze verify finds nothing to say; a broken copy is reported (control)", { skip }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-systemd-'));
  try {
    const unit = await deployDocBlock('ini');
    assert.equal(await verify(dir, unit), '', 'every key and value parses');
    const broken = unit.replace(/^ProtectHome=yes$/m, 'ProtectHome=maybe\nProtectEverything=yes');
    const complaints = await verify(dir, broken);
    assert.match(complaints, /Failed to parse protect home value/);
    assert.match(complaints, /Unknown key 'ProtectEverything'/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("docs/deploy.md's unit: systemd's offline security review rates its exposure OK (at most 2.0 of 10)", { skip }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'blindvault-systemd-'));
  try {
    const file = path.join(dir, 'blindvault.service');
    await writeFile(file, await deployDocBlock('ini'));
    const { stdout } = await run(ANALYZE as string, ['security', '--offline=yes', '--no-pager', file], { env: { ...process.env, SYSTEMD_COLORS: '0' } });
    const exposure = /Overall exposure level for blindvault\.service: (\d+\.\d)/.exec(stdout)?.[1];
    assert.ok(exposure, stdout);
    assert.ok(Number(exposure) <= 2, `exposure ${exposure}`);
    // Control: the same review of a unit without the hardening rates it far worse.
    const bare = path.join(dir, 'bare.service');
    await writeFile(bare, '[Service]\nExecStart=/usr/bin/node /opt/blindvault/dist/server/main.js\n');
    const { stdout: bareOut } = await run(ANALYZE as string, ['security', '--offline=yes', '--no-pager', bare], { env: { ...process.env, SYSTEMD_COLORS: '0' } }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const bareExposure = Number(/Overall exposure level for bare\.service: (\d+\.\d)/.exec(bareOut)?.[1]);
    assert.ok(bareExposure > 8, `an unhardened unit is rated ${bareExposure}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("docs/deploy.md's unit gives the server settings it accepts, writable data, and a stop timeout above the drain", async () => {
  const unit = await deployDocBlock('ini');
  const env: Record<string, string> = {};
  for (const line of values(unit, 'Environment')) {
    for (const pair of line.split(/\s+/)) {
      const [name, ...rest] = pair.split('=');
      if (name) env[name] = rest.join('=');
    }
  }
  const config = loadConfig(env, []);
  assert.equal(config.dataDir, '/var/lib/blindvault');
  assert.ok(values(unit, 'ReadWritePaths').join(' ').split(/\s+/).includes(config.dataDir), 'ProtectSystem=strict leaves DATA_DIR writable');
  assert.equal(single(unit, 'StateDirectory'), path.basename(config.dataDir), 'systemd makes DATA_DIR, owned by the service user');
  assert.equal(single(unit, 'ProtectSystem'), 'strict');
  assert.equal(single(unit, 'KillSignal'), 'SIGTERM', 'the signal the server drains on');
  const stopSeconds = Number(/^(\d+)s?$/.exec(single(unit, 'TimeoutStopSec'))?.[1]);
  assert.ok(stopSeconds > config.shutdownGraceSeconds, `TimeoutStopSec ${stopSeconds} s is above SHUTDOWN_GRACE_SECONDS ${config.shutdownGraceSeconds} s`);
  const [node, main] = single(unit, 'ExecStart').split(/\s+/);
  assert.match(node ?? '', /\/node$/);
  assert.equal(main, path.join(single(unit, 'WorkingDirectory'), 'dist', 'server', 'main.js'), 'the compiled server: no recompile, no TypeScript');
  // V8's JIT needs writable and executable memory: this directive would crash node at start.
  assert.deepEqual(values(unit, 'MemoryDenyWriteExecute').filter((value) => value === 'yes'), []);
});
