// The server to upload to: --server, else BLINDVAULT_SERVER, else "server" in
// $XDG_CONFIG_HOME/blindvault/config.json. Download, info and delete take theirs from the link.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { normalizeServerUrl } from '../client/links.js';
import { configDir, type Env } from './environment.js';
import { UsageError } from './usage-error.js';

export const CONFIG_FILE = 'config.json';

export interface CliConfig {
  server?: string;
}

export async function readConfig(env: Env): Promise<{ file: string; config: CliConfig }> {
  const file = path.join(configDir(env), CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, config: {} };
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${file} must hold a JSON object`);
  const server = (value as Record<string, unknown>).server;
  if (server !== undefined && typeof server !== 'string') throw new UsageError(`"server" in ${file} must be a string`);
  return { file, config: server !== undefined ? { server } : {} };
}

export async function resolveServer(flag: string | undefined, env: Env): Promise<string> {
  const [source, value] =
    flag !== undefined
      ? ['--server', flag]
      : env.BLINDVAULT_SERVER !== undefined && env.BLINDVAULT_SERVER !== ''
        ? ['BLINDVAULT_SERVER', env.BLINDVAULT_SERVER]
        : await (async () => {
            const { file, config } = await readConfig(env);
            return [file, config.server] as const;
          })();
  if (value === undefined) {
    throw new UsageError(`no server: give --server URL, set BLINDVAULT_SERVER, or put {"server": URL} in ${path.join(configDir(env), CONFIG_FILE)}`);
  }
  const url = normalizeServerUrl(value);
  if (url === undefined) throw new UsageError(`the server URL from ${source} is not an http(s) URL without query or fragment: ${value}`);
  return url;
}
