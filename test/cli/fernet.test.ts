import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { buildCli, cliHome, runCli, type CliHome } from './cli-process.js';
import { PYTHON, run } from './helpers.js';

// blindvault fernet against Python's cryptography.fernet, both ways; the key never on the command line.

const python = (code: string, env: Record<string, string>) => run(PYTHON, ['-c', code], { env: { ...process.env, ...env } });
const PY_ENCRYPT = 'import os,sys; from cryptography.fernet import Fernet; sys.stdout.write(Fernet(os.environ["K"].encode()).encrypt(os.environ["D"].encode()).decode())';
const PY_DECRYPT = 'import os,sys; from cryptography.fernet import Fernet; sys.stdout.write(Fernet(os.environ["K"].encode()).decrypt(os.environ["T"].encode()).decode())';

describe('blindvault fernet', () => {
  let home: CliHome;
  let keyFile: string;
  let key: string;
  before(async () => {
    [home] = await Promise.all([cliHome(), buildCli()]);
    const generated = await runCli(['fernet', 'generate-key'], { env: home.env });
    assert.equal(generated.code, 0, generated.stderr);
    key = generated.stdout.trim();
    assert.match(key, /^[A-Za-z0-9_-]{43}=$/);
    await mkdir(path.join(home.dir, 'keys'));
    keyFile = path.join(home.dir, 'keys', 'fernet.key');
    await writeFile(keyFile, `${key}\n`);
  });

  test('a token made by the CLI opens in Python, and one made in Python opens in the CLI', async () => {
    const data = 'the article seed: {"data": "secret ✓"}';
    const made = await runCli(['fernet', 'encrypt', '--key-file', keyFile], { env: home.env, stdin: data });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^gAAAAA[A-Za-z0-9_-]+=*\n$/);
    assert.equal((await python(PY_DECRYPT, { K: key, T: made.stdout.trim() })).stdout, data);

    const token = (await python(PY_ENCRYPT, { K: key, D: data })).stdout;
    const opened = await runCli(['fernet', 'decrypt'], { env: { ...home.env, BLINDVAULT_FERNET_KEY: key }, stdin: `${token}\n` });
    assert.equal(opened.code, 0, opened.stderr);
    assert.equal(opened.stdout, data);
  });

  test('rows: wrong key, tampering, no key, a key where none belongs', async () => {
    const token = (await python(PY_ENCRYPT, { K: key, D: 'x' })).stdout;
    const otherKey = (await runCli(['fernet', 'generate-key'], { env: home.env })).stdout.trim();
    const tampered = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    const rows: { args: string[]; env?: Record<string, string>; stdin: string; code: number; stdout?: string; stderr: RegExp }[] = [
      { args: ['fernet', 'decrypt', '--key-file', keyFile], stdin: token, code: 0, stdout: 'x', stderr: /^$/ },
      { args: ['fernet', 'decrypt'], env: { BLINDVAULT_FERNET_KEY: otherKey }, stdin: token, code: 4, stderr: /^blindvault: error: The Fernet token is malformed, expired, or does not verify with this key\. \(FERNET_INVALID_TOKEN\)\n$/ },
      { args: ['fernet', 'decrypt', '--key-file', keyFile], stdin: tampered, code: 4, stderr: /FERNET_INVALID_TOKEN/ },
      { args: ['fernet', 'decrypt', '--key-file', keyFile, '--ttl', '1'], stdin: (await python(`import os,sys,time; from cryptography.fernet import Fernet; sys.stdout.write(Fernet(os.environ["K"].encode()).encrypt_at_time(b"x", int(time.time()) - 100).decode())`, { K: key })).stdout, code: 4, stderr: /FERNET_INVALID_TOKEN/ },
      { args: ['fernet', 'encrypt'], stdin: 'x', code: 2, stderr: /^blindvault: error: no Fernet key: give --key-file F or set BLINDVAULT_FERNET_KEY\n$/ },
      { args: ['fernet', 'encrypt'], env: { BLINDVAULT_FERNET_KEY: 'not a key' }, stdin: 'x', code: 2, stderr: /FERNET_INVALID_KEY/ },
      { args: ['fernet', 'encrypt', '--key-file', '/nonexistent/k'], stdin: 'x', code: 6, stderr: /cannot read the key file \/nonexistent\/k: ENOENT/ },
      // There is no option that takes a key as an argument: a secret on the command line is visible to every user.
      { args: ['fernet', 'encrypt', '--key', key], stdin: 'x', code: 2, stderr: /^blindvault: error: unknown option '--key'/ },
    ];
    for (const row of rows) {
      const result = await runCli(row.args, { env: { ...home.env, ...row.env }, stdin: row.stdin });
      assert.equal(result.code, row.code, `${row.args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, row.stderr, row.args.join(' '));
      assert.equal(result.stdout, row.stdout ?? '', row.args.join(' '));
    }
  });

  test('help names the key sources and no key option', async () => {
    const help = await runCli(['fernet', 'encrypt', '--help'], { env: home.env });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--key-file <file>/);
    assert.doesNotMatch(help.stdout, /--key </);
  });
});
