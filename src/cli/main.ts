#!/usr/bin/env node
// The `blindvault` executable: wires the process into runCli and exits with its code.
import { runCli } from './program.js';

const controller = new AbortController();
let trapped: ((signal: NodeJS.Signals) => void) | undefined;
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const interrupt = (signal: NodeJS.Signals) => {
  if (trapped) return trapped(signal);
  // A second Ctrl-C ends at once; the first lets the transfer save its resume state.
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
};
process.on('SIGINT', interrupt);
// `blindvault … | head`: once the reader is gone, end quietly as a Unix tool killed by SIGPIPE would (128 + 13),
// instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(141);
  throw error;
});
process.stderr.on('error', () => {});
process.on('SIGTERM', interrupt);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  showProgress: Boolean(process.stdout.isTTY && process.stderr.isTTY),
  signal: controller.signal,
  trapSignals: (handler) => {
    trapped = handler;
    const extra = FORWARDED.filter((s) => s !== 'SIGINT' && s !== 'SIGTERM');
    for (const s of extra) process.on(s, interrupt);
    return () => {
      trapped = undefined;
      for (const s of extra) process.off(s, interrupt);
    };
  },
});
process.exitCode = code;
