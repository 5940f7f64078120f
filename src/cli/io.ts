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
  /**
   * While trapped, the process's signals (INT, TERM, HUP, QUIT, USR1, USR2) go to `handler` instead of aborting
   * (`run` forwards them to its child). Answers the function that ends the trap.
   */
  trapSignals?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

/** Thrown by a command that ends with a code of its own (`run` returns its child's). */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CommandExit';
  }
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
