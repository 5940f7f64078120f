// npm run bench:cli (second part), or on its own: tsx bench/cli-vault.ts [--runs 9] [--size-mib 1024]
// 1. `blindvault get` with an API key (log in, read one secret: two requests) beside the seed's Python API-key
//    client making the same two requests, in one run; both timed as whole processes (start-up included), the
//    median of --runs, alternating. The ratio is Python / CLI (above 1: the CLI is faster).
// 2. `blindvault send` / `receive` of one file between two vault users beside the CLI's own `upload` / `download`
//    of the same file to the same server (target ratio ≥ 0.9), with each command's peak RSS.
// The size is --size-mib, else BENCH_CLI_VAULT_MIB, else the 1 GiB (`BENCH_CLI_VAULT_MIB=64` for a quick
// run: arguments after `npm run bench:cli --` reach only this script).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { makeInput, MIB, mibPerSecond, sameBytes, timed, waitHealthy } from './cli-support.js';
import { buildServer, freePort, HOST, ROOT, spawnServer } from './support.js';

const CLI = path.join(ROOT, 'bin', 'blindvault.js');
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const exec = promisify(execFile);
const progress = (text: string) => process.stderr.write(`bench:cli (vault): ${text}\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function options(): { runs: number; sizeMiB: number } {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, 'size-mib': { type: 'string', default: process.env.BENCH_CLI_VAULT_MIB ?? '1024' } } });
  const runs = Number(values.runs);
  const sizeMiB = Number(values['size-mib']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error('--size-mib (or BENCH_CLI_VAULT_MIB) must be a whole number ≥ 1');
  return { runs, sizeMiB };
}

interface VaultUserEnv {
  username: string;
  env: NodeJS.ProcessEnv;
}

async function main(): Promise<void> {
  const { runs, sizeMiB } = options();
  await buildServer();
  const work = await mkdtemp(path.join(tmpdir(), 'blindvault-bench-vault-'));
  const port = await freePort();
  const server = spawnServer('blindvault', [path.join(ROOT, 'dist', 'server', 'main.js')], {
    ...process.env,
    HOST,
    PORT: String(port),
    DATA_DIR: path.join(work, 'data'),
    MAX_UPLOAD_BYTES: '5GiB',
    FILE_UPLOAD_RATE: '1000/hour',
    LOG_LEVEL: 'warn',
  });
  const url = `http://${HOST}:${port}`;
  const lines: string[] = [];
  let ok = true;
  try {
    await waitHealthy(url, server);
    const passwordFile = path.join(work, 'password');
    await writeFile(passwordFile, 'a bench password that is long enough\n');
    const cli = (args: string[], env: NodeJS.ProcessEnv) => exec(process.execPath, [CLI, ...args], { env, maxBuffer: 16 * MIB });
    const user = async (name: string): Promise<VaultUserEnv> => {
      const env = { ...process.env, HOME: work, XDG_CONFIG_HOME: path.join(work, `${name}-config`), XDG_STATE_HOME: path.join(work, `${name}-state`), BLINDVAULT_SERVER: url };
      const username = `${name}@example.com`;
      await cli(['register', '--username', username, '--email', `${name}@mail.example.com`, '--password-file', passwordFile], env);
      const login = await cli(['login', '--username', username, '--password-file', passwordFile, '--json'], env);
      return { username, env: { ...env, BLINDVAULT_SESSION: (JSON.parse(login.stdout) as { session: string }).session } };
    };
    const [alice, bob] = [await user('alice'), await user('bob')];

    lines.push(...(await getLatency(work, alice, runs, cli)));
    const sending = await sendBesideUpload(work, alice, bob, sizeMiB);
    lines.push('', ...sending.lines);
    ok &&= sending.ok;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!ok) process.exitCode = 1;
}

type Cli = (args: string[], env: NodeJS.ProcessEnv) => Promise<{ stdout: string }>;

/** Part 1: `blindvault get SECRET_ID --field password` with a restricted API key beside the seed's client. */
async function getLatency(work: string, owner: VaultUserEnv, runs: number, cli: Cli): Promise<string[]> {
  const secretText = 'the benchmarked secret';
  await writeFile(path.join(work, 'secret'), `${secretText}\n`);
  await cli(['set', 'Bench/DB', '--username', 'db', '--password-file', path.join(work, 'secret')], owner.env);
  const key = JSON.parse((await cli(['api-key', 'create', 'bench', '--read-only', '--restrict-to', 'Bench/DB', '--json'], owner.env)).stdout) as Record<string, string> & { secrets: Array<{ secret_id: string }> };
  const secretId = key.secrets[0]?.secret_id;
  if (secretId === undefined) throw new Error('api-key create --restrict-to listed no secret');
  const keyEnv = {
    ...process.env,
    HOME: work,
    XDG_CONFIG_HOME: path.join(work, 'machine-config'),
    BLINDVAULT_API_KEY_ID: key.api_key_id,
    BLINDVAULT_API_KEY_PRIVATE_KEY: key.api_key_private_key,
    BLINDVAULT_API_KEY_SECRET_KEY: key.api_key_secret_key,
    BLINDVAULT_SERVER: key.server_url,
    BLINDVAULT_SERVER_SIGNATURE: key.server_signature,
  };
  // The seed's client configured with the key's six values, as its text says to; the driver runs its steps:
  // login (POST /api-login/, the signature checked, the answer opened), then read_secret (GET /secret/{id}/).
  const seed = await readFile(path.join(ROOT, 'test', 'interop', 'seed', 'api_key_sessions.py'), 'utf8');
  const names = ['api_key_id', 'api_key_private_key', 'api_key_secret_key', 'server_url', 'server_public_key', 'server_signature'] as const;
  let configured = seed.replace(/^SSL_VERIFY = .*$/m, 'SSL_VERIFY = False');
  for (const name of names) {
    const line = new RegExp(`^${name} = .*$`, 'm');
    if (!line.test(configured)) throw new Error(`the seed has no ${name} line`);
    configured = configured.replace(line, `${name} = ${JSON.stringify(key[name])}`);
  }
  await writeFile(path.join(work, 'seed_configured.py'), configured);
  // The seed's read_secret needs the item's secret key, which the owner's client holds (a machine is given it).
  const itemKey = await secretKeyOf(owner.env);
  const driver = path.join(work, 'seed_get.py');
  await writeFile(
    driver,
    [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(work)})`,
      'import seed_configured as s',
      'pk, info = s.generate_client_login_info()',
      'r = s.api_login(info)',
      "s.verify_signature(r['login_info'], r['login_info_signature'])",
      "l = s.decrypt_server_login_info(r['login_info'], r['login_info_nonce'], r['server_session_public_key'], pk)",
      "secret = s.read_secret(l['token'], l['session_secret_key'], sys.argv[1], sys.argv[2], 'application_password')",
      "print(secret['application_password_password'])",
    ].join('\n'),
  );
  const cliTimes: number[] = [];
  const pyTimes: number[] = [];
  progress(`get latency: ${runs} runs each, alternating`);
  for (let i = 0; i < runs; i++) {
    const c = await timed(process.execPath, [CLI, 'get', secretId, '--field', 'password'], keyEnv);
    if (c.stdout !== secretText) throw new Error(`blindvault get printed ${JSON.stringify(c.stdout.slice(0, 100))}`);
    const p = await timed(PYTHON, [driver, secretId, itemKey], process.env);
    if (p.stdout.trim().split('\n').at(-1) !== secretText) throw new Error(`the seed client printed ${JSON.stringify(p.stdout.slice(0, 100))}`);
    cliTimes.push(c.seconds);
    pyTimes.push(p.seconds);
  }
  const c = median(cliTimes) * 1000;
  const p = median(pyTimes) * 1000;
  return [
    "blindvault get with a restricted API key (login + one secret: two requests; whole process, start-up included) beside the seed's Python client doing the same two requests",
    ['metric', 'seed Python ms', 'CLI ms', 'ratio (Python/CLI)', 'runs'].join('\t'),
    ['get latency (median)', p.toFixed(0), c.toFixed(0), (p / c).toFixed(2), String(runs)].join('\t'),
    ['get latency (min)', (Math.min(...pyTimes) * 1000).toFixed(0), (Math.min(...cliTimes) * 1000).toFixed(0), (Math.min(...pyTimes) / Math.min(...cliTimes)).toFixed(2), String(runs)].join('\t'),
  ];
}

/** The item's secret key (in the datastore node), read by the owner through the SDK; `get` does not print it. */
async function secretKeyOf(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    const { openVault } = await import(${JSON.stringify(path.join(ROOT, 'src', 'cli', 'vault', 'context.ts'))});
    const { VaultTree } = await import(${JSON.stringify(path.join(ROOT, 'src', 'client', 'vault', 'tree.ts'))});
    const access = await openVault(process.env);
    const tree = await VaultTree.load(access.session, false);
    process.stdout.write(tree.itemOf(tree.find('Bench/DB')).secret_key);
  `], { env, cwd: ROOT });
  return stdout.trim();
}

/** Part 2: send/receive of one file beside upload/download of the same file, same server, same CLI. */
async function sendBesideUpload(work: string, alice: VaultUserEnv, bob: VaultUserEnv, sizeMiB: number): Promise<{ lines: string[]; ok: boolean }> {
  const sizeBytes = sizeMiB * MIB;
  const input = path.join(work, 'input.bin');
  progress(`writing a ${sizeMiB} MiB input`);
  await makeInput(input, sizeBytes);
  const output = path.join(work, 'output.bin');

  progress('blindvault upload / download (format v2, random key)');
  const up = await timed(process.execPath, [CLI, 'upload', input, '--server', String(alice.env.BLINDVAULT_SERVER), '--json'], alice.env);
  const link = (JSON.parse(up.stdout) as { download_url: string }).download_url;
  const down = await timed(process.execPath, [CLI, 'download', link, '--output', output], bob.env);
  if (!(await sameBytes(input, output))) throw new Error('the download differs from the input');
  await rm(output);

  progress('blindvault send / receive (alice to bob)');
  const sent = await timed(process.execPath, [CLI, 'send', '--to', bob.username, input, '--yes', '--json'], alice.env);
  const id = (JSON.parse(sent.stdout) as { id: string }).id;
  const received = await timed(process.execPath, [CLI, 'receive', id, '--output', output, '--yes'], bob.env);
  if (!(await sameBytes(input, output))) throw new Error('the received file differs from the input');
  await rm(output);

  const rows = [
    ['send', mibPerSecond(sizeBytes, up.seconds), mibPerSecond(sizeBytes, sent.seconds), up.peakRssKiB, sent.peakRssKiB],
    ['receive', mibPerSecond(sizeBytes, down.seconds), mibPerSecond(sizeBytes, received.seconds), down.peakRssKiB, received.peakRssKiB],
  ] as const;
  const lines = [
    `send/receive of ${sizeMiB} MiB between two vault users beside upload/download of the same file (same server, same CLI; send also looks the user up and boxes the key, receive opens the box)`,
    ['metric', 'upload|download MiB/s', 'send|receive MiB/s', 'ratio', 'target', 'peak RSS (baseline / ours)', 'result'].join('\t'),
  ];
  let ok = true;
  for (const [metric, base, ours, baseRss, ourRss] of rows) {
    const ratio = ours / base;
    const pass = ratio >= 0.9;
    ok &&= pass;
    lines.push([metric, base.toFixed(1), ours.toFixed(1), ratio.toFixed(2), '≥ 0.90', `${(baseRss / 1024).toFixed(0)} / ${(ourRss / 1024).toFixed(0)} MiB`, pass ? 'PASS' : 'FAIL'].join('\t'));
  }
  return { lines, ok };
}

await main();
