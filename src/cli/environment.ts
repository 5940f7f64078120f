// Where the CLI keeps its files, per the XDG base directory spec: config in $XDG_CONFIG_HOME/blindvault
// (default ~/.config/blindvault), resume state in $XDG_STATE_HOME/blindvault (default ~/.local/state/blindvault).
import { homedir } from 'node:os';
import path from 'node:path';

export type Env = Record<string, string | undefined>;

function baseDir(env: Env, variable: string, fallback: string[]): string {
  const value = env[variable];
  // The spec says a relative value is invalid and must be ignored.
  if (value !== undefined && path.isAbsolute(value)) return value;
  return path.join(env.HOME ?? homedir(), ...fallback);
}

export function configDir(env: Env): string {
  return path.join(baseDir(env, 'XDG_CONFIG_HOME', ['.config']), 'blindvault');
}

export function stateDir(env: Env): string {
  return path.join(baseDir(env, 'XDG_STATE_HOME', ['.local', 'state']), 'blindvault');
}
