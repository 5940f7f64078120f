// Shared by the vault CLI tests: a user with a home of their own, logged in through the built CLI.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliHome, runCli, type CliHome, type CliResult } from './cli-process.js';

export interface VaultUser {
  username: string;
  home: CliHome;
  passwordFile: string;
  /** The home's env plus BLINDVAULT_SERVER and, once logged in, BLINDVAULT_SESSION. */
  env: Record<string, string>;
  cli(args: string[], extra?: Record<string, string>): Promise<CliResult>;
}

let counter = 0;

export async function vaultUser(serverUrl: string, name: string): Promise<VaultUser> {
  const home = await cliHome();
  const username = `${name}-${process.pid}-${++counter}@example.com`;
  const passwordFile = path.join(home.dir, 'password');
  await writeFile(passwordFile, `correct horse ${name} ${counter}\n`, { mode: 0o600 });
  const user: VaultUser = {
    username,
    home,
    passwordFile,
    env: { ...home.env, BLINDVAULT_SERVER: serverUrl },
    cli: (args, extra = {}) => runCli(args, { env: { ...user.env, ...extra } }),
  };
  return user;
}

export async function registerAndLogin(user: VaultUser): Promise<void> {
  const registered = await user.cli(['register', '--username', user.username, '--email', user.username, '--password-file', user.passwordFile]);
  assert.equal(registered.code, 0, registered.stderr);
  const login = await user.cli(['login', '--username', user.username, '--password-file', user.passwordFile, '--json']);
  assert.equal(login.code, 0, login.stderr);
  const session = (JSON.parse(login.stdout) as { session: string }).session;
  assert.match(session, /^[A-Za-z0-9_-]{43}$/);
  user.env.BLINDVAULT_SESSION = session;
}

export interface ApiKeyValues {
  api_key_id: string;
  api_key_private_key: string;
  api_key_secret_key: string;
  server_url: string;
  server_public_key: string;
  server_signature: string;
  secrets: Array<{ path: string; secret_id: string }>;
}

/** The variables a machine gets (no session). */
export function apiKeyEnv(home: CliHome, key: Pick<ApiKeyValues, 'api_key_id' | 'api_key_private_key' | 'api_key_secret_key' | 'server_url' | 'server_signature'>): Record<string, string> {
  return {
    ...home.env,
    BLINDVAULT_API_KEY_ID: key.api_key_id,
    BLINDVAULT_API_KEY_PRIVATE_KEY: key.api_key_private_key,
    BLINDVAULT_API_KEY_SECRET_KEY: key.api_key_secret_key,
    BLINDVAULT_SERVER: key.server_url,
    BLINDVAULT_SERVER_SIGNATURE: key.server_signature,
  };
}
