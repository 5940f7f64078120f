// What a command may touch of its process, passed in so that main.ts is the only place that reads
// process.* (and the SDK never does).
import type { Env } from './environment.js';

export interface CliIo {
  env: Env;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** stdin and stderr are terminals: prompts may be shown. */
  interactive: boolean;
  /** stdout and stderr are terminals: progress bars may be drawn. */
  showProgress: boolean;
  /** Aborted on SIGINT/SIGTERM: transfers stop, keep their resume state, and the CLI exits 130. */
  signal: AbortSignal;
}

export function printLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}

export function printJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

export function warn(io: CliIo, text: string): void {
  printLine(io.stderr, `blindvault: warning: ${text}`);
}
