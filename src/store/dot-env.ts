import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads KEY=value lines from `.env` in the working directory, if there is one, into `env`. A
 * variable already set in the environment wins over the file, so a unit's Environment= or a
 * shell's export can override it. Answers the file read, or undefined.
 */
export function loadDotEnv(env: NodeJS.ProcessEnv, file = path.resolve('.env')): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] === undefined) env[name] = value;
  }
  return file;
}
