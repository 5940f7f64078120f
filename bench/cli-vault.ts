// npm run bench:cli (second part): `blindvault get` with an API key (log in, read one secret: the two requests
// login + secret) beside the same two requests made by the seed's Python API-key client, in one run.
// Both are timed as whole processes (start-up included), median of --runs; the ratio is Python / CLI.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { buildServer, freePort, HOST, ROOT, spawnServer } from './support.js';

const CLI = path.join(ROOT, 'bin', 'blindvault.js');
const PYTHON = process.env.BLINDVAULT_PYTHON ?? '/usr/bin/python3';
const exec = promisify(execFile);
const progress = (text: string) => process.stderr.write(`bench:cli (vault): ${text}\n`);

async function seconds(command: string, args: string[], env: NodeJS.ProcessEnv, expect: string): Promise<number> {
  const started = process.hrtime.bigint();
  const { stdout } = await exec(command, args, { env });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  if (!stdout.includes(expect)) throw new Error(`${command} printed ${stdout.slice(0, 200)}`);
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
  const runs = Number(values.runs);
  await buildServer();
  const work = await mkdtemp(path.join(tmpdir(), 'blindvault-bench-vault-'));
  const port = await freePort();
  const server = spawnServer('blindvault', [path.join(ROOT, 'dist', 'server', 'main.js')], { ...process.env, HOST, PORT: String(port), DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'warn' });
  const url = `http://${HOST}:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        // not yet
      }
      if (i > 300) throw new Error('the server did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
    const env = { ...process.env, HOME: work, XDG_CONFIG_HOME: path.join(work, 'config'), BLINDVAULT_SERVER: url };
    const pw = path.join(work, 'pw');
    await writeFile(pw, 'bench password\n');
    const cli = (args: string[], e: NodeJS.ProcessEnv = env) => exec(process.execPath, [CLI, ...args], { env: e });
    await cli(['register', '--username', 'bench@example.com', '--email', 'bench@example.com', '--password-file', pw]);
    const session = (JSON.parse((await cli(['login', '--username', 'bench@example.com', '--password-file', pw, '--json'])).stdout) as { session: string }).session;
    const senv = { ...env, BLINDVAULT_SESSION: session };
    await writeFile(path.join(work, 'secret'), 'the benchmarked secret\n');
    await cli(['set', 'Bench/DB', '--username', 'db', '--password-file', path.join(work, 'secret')], senv);
    const key = JSON.parse((await cli(['api-key', 'create', 'bench', '--read-only', '--restrict-to', 'Bench/DB', '--json'], senv)).stdout) as Record<string, string> & { secrets: Array<{ secret_id: string }> };
    const secretId = key.secrets[0]?.secret_id as string;
    const keyEnv = {
      ...process.env,
      HOME: work,
      XDG_CONFIG_HOME: path.join(work, 'machine'),
      BLINDVAULT_API_KEY_ID: key.api_key_id,
      BLINDVAULT_API_KEY_PRIVATE_KEY: key.api_key_private_key,
      BLINDVAULT_API_KEY_SECRET_KEY: key.api_key_secret_key,
      BLINDVAULT_SERVER: key.server_url,
      BLINDVAULT_SERVER_SIGNATURE: key.server_signature,
    };
    // The seed client, configured, reading the same secret: its login, then GET /secret/{id}/ with the secret's key.
    const seed = await readFile(path.join(ROOT, 'test', 'interop', 'seed', 'api_key_sessions.py'), 'utf8');
    const configured = Object.entries({ api_key_id: key.api_key_id, api_key_private_key: key.api_key_private_key, api_key_secret_key: key.api_key_secret_key, server_url: key.server_url, server_public_key: key.server_public_key, server_signature: key.server_signature })
      .reduce((text, [name, value]) => text.replace(new RegExp(`^${name} = .*$`, 'm'), `${name} = '${value}'`), seed)
      .replace(/^SSL_VERIFY = .*$/m, 'SSL_VERIFY = False');
    await writeFile(path.join(work, 'seed_configured.py'), configured);
    const itemKey = await secretKeyOf(senv);
    const driver = path.join(work, 'seed_get.py');
    await writeFile(
      driver,
      [
        'import sys, json',
        `sys.path.insert(0, ${JSON.stringify(work)})`,
        'import seed_configured as s',
        'pk, info = s.generate_client_login_info()',
        'r = s.api_login(info)',
        "s.verify_signature(r['login_info'], r['login_info_signature'])",
        "l = s.decrypt_server_login_info(r['login_info'], r['login_info_nonce'], r['server_session_public_key'], pk)",
        "sec = s.api_request('GET', '/secret/' + sys.argv[1] + '/', token=l['token'], session_secret_key=l['session_secret_key'])",
        "print(json.loads(s.decrypt_symmetric(sec['data'], sec['data_nonce'], sys.argv[2]))['application_password_password'])",
      ].join('\n'),
    );
    const cliTimes: number[] = [];
    const pyTimes: number[] = [];
    progress(`${runs} runs each`);
    for (let i = 0; i < runs; i++) {
      cliTimes.push(await seconds(process.execPath, [CLI, 'get', secretId, '--field', 'password'], keyEnv, 'the benchmarked secret'));
      pyTimes.push(await seconds(PYTHON, [driver, secretId, itemKey], process.env, 'the benchmarked secret'));
    }
    const c = median(cliTimes) * 1000;
    const p = median(pyTimes) * 1000;
    process.stdout.write(
      [
        '',
        'blindvault get with an API key (login + one secret, two requests, whole process) beside the seed\'s Python client doing the same two requests',
        ['metric', 'seed Python ms', 'CLI ms', 'ratio (Python/CLI)'].join('\t'),
        ['get latency (median)', p.toFixed(0), c.toFixed(0), (p / c).toFixed(2)].join('\t'),
        '',
      ].join('\n'),
    );
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(work, { recursive: true, force: true });
  }
}

/** The item's secret key, which the seed client needs as its command line gives it (read here by the owner). */
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

await main();
