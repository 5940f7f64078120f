// npm run bench:cli: `blindvault upload` (v2, random key) and `blindvault download` of one file beside
// curl uploading and downloading the same number of raw bytes to a bare node:http server, in one run.
// Prints MiB/s, the ratios (targets ≥ 0.8) and the CLI's peak RSS (target < 150 MiB). `send`/`receive` beside
// `upload`/`download` is measured once, by bench/cli-vault.ts (the second half of `npm run bench:cli`).
// Quick run: npm run bench:cli -- --size-mib 64
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeInput, MIB, mibPerSecond, sameBytes, timed, waitHealthy } from './cli-support.js';
import { buildServer, freePort, HOST, ROOT, spawnServer } from './support.js';

const CLI = path.join(ROOT, 'bin', 'blindvault.js');
const progress = (text: string) => process.stderr.write(`bench:cli: ${text}\n`);

async function startServers(work: string): Promise<{ baseline: string; ours: string; stop: () => Promise<void> }> {
  const [basePort, ourPort] = [await freePort(), await freePort()];
  await mkdir(path.join(work, 'baseline'), { recursive: true });
  const baseline = spawnServer('baseline', ['--import', 'tsx', path.join(ROOT, 'bench', 'baseline-server.ts')], { ...process.env, PORT: String(basePort), DATA_DIR: path.join(work, 'baseline') });
  const ours = spawnServer('blindvault', [path.join(ROOT, 'dist', 'server', 'main.js')], {
    ...process.env,
    HOST,
    PORT: String(ourPort),
    DATA_DIR: path.join(work, 'server'),
    MAX_UPLOAD_BYTES: '5GiB',
    FILE_UPLOAD_RATE: '1000/hour',
    LOG_LEVEL: 'warn',
  });
  const urls = { baseline: `http://${HOST}:${basePort}`, ours: `http://${HOST}:${ourPort}` };
  await Promise.all([waitHealthy(urls.baseline, baseline), waitHealthy(urls.ours, ours)]);
  return {
    ...urls,
    async stop() {
      for (const server of [baseline, ours]) server.child.kill('SIGTERM');
      await Promise.all([baseline.exited, ours.exited]);
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '1024' } } });
  const sizeMiB = Number(values['size-mib']);
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error('--size-mib must be a whole number ≥ 1');
  const sizeBytes = sizeMiB * MIB;
  await buildServer();
  const work = await mkdtemp(path.join(tmpdir(), 'blindvault-bench-cli-'));
  const servers = await startServers(work);
  try {
    const input = path.join(work, 'input.bin');
    progress(`writing a ${sizeMiB} MiB input`);
    await makeInput(input, sizeBytes);

    progress('curl → bare node:http server');
    const curlUp = await timed('curl', ['-sS', '--fail', '-X', 'POST', '-H', 'content-type: application/octet-stream', '-T', input, `${servers.baseline}/upload`]);
    const baseId = (JSON.parse(curlUp.stdout) as { id: string }).id;
    const curlDown = await timed('curl', ['-sS', '--fail', '-o', path.join(work, 'curl-out.bin'), `${servers.baseline}/f/${baseId}`]);

    progress('blindvault upload / download (format v2, random key)');
    const cliEnv = { ...process.env, XDG_STATE_HOME: path.join(work, 'state'), XDG_CONFIG_HOME: path.join(work, 'config') };
    const up = await timed(process.execPath, [CLI, 'upload', input, '--server', servers.ours, '--json'], cliEnv);
    const link = (JSON.parse(up.stdout) as { download_url: string }).download_url;
    const output = path.join(work, 'cli-out.bin');
    const down = await timed(process.execPath, [CLI, 'download', link, '--output', output], cliEnv);
    if (!(await sameBytes(input, output))) throw new Error('the CLI download differs from the input');

    const rows = [
      ['upload', mibPerSecond(sizeBytes, curlUp.seconds), mibPerSecond(sizeBytes, up.seconds), up.peakRssKiB],
      ['download', mibPerSecond(sizeBytes, curlDown.seconds), mibPerSecond(sizeBytes, down.seconds), down.peakRssKiB],
    ] as const;
    const lines = [`size ${sizeMiB} MiB; baseline: curl to a bare node:http server; ours: blindvault CLI (v2) to the Blindvault server`, ''];
    lines.push(['metric', 'curl MiB/s', 'CLI MiB/s', 'ratio', 'target', 'CLI peak RSS', 'target', 'result'].join('\t'));
    let ok = true;
    for (const [metric, base, ours, rssKiB] of rows) {
      const ratio = ours / base;
      const rssMiB = rssKiB / 1024;
      const pass = ratio >= 0.8 && rssMiB < 150;
      ok &&= pass;
      lines.push([metric, base.toFixed(1), ours.toFixed(1), ratio.toFixed(2), '≥ 0.80', `${rssMiB.toFixed(1)} MiB`, '< 150 MiB', pass ? 'PASS' : 'FAIL'].join('\t'));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    await servers.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
