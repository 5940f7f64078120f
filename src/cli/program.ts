// The `blindvault` command line: one commander program, one file per command, over the SDK only.
import { Command, CommanderError } from 'commander';
import { isBlindvaultError, type BlindvaultError } from '../protocol/errors.js';
import { deleteCommand } from './delete.js';
import { downloadCommand } from './download.js';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.js';
import { fernetCommand } from './fernet.js';
import { infoCommand } from './info.js';
import { CommandExit, printLine, type CliIo } from './io.js';
import { uploadCommand } from './upload.js';
import { LocalFileError, UsageError } from './usage-error.js';

export const VERSION = '0.1.0';

const EXIT_CODES_HELP = `
Exit codes:
  0    done
  1    internal error (a bug: please report it)
  2    usage: bad arguments, a malformed link, no server configured, no passphrase available
  3    network or server: cannot connect, or the server refused or answered outside the protocol
  4    decryption failed: wrong key or passphrase, or the file was altered (no output file is left)
  5    not found: the file does not exist, expired, was used up or deleted, or the token is wrong
  6    a local file cannot be read or written
  7    vault: not logged in, session expired, wrong username or password, or a wrong or already used TOTP code
  8    vault: refused: no right (a read-only API key writing), a server or recipient key that is not the trusted one,
       or a login that needs a security key (WebAuthn), which the CLI does not support
  130  interrupted: run the same command again to resume

Environment:
  BLINDVAULT_SERVER       server URL for upload (else --server, else "server" in $XDG_CONFIG_HOME/blindvault/config.json)
  BLINDVAULT_PASSPHRASE   passphrase (instead of --passphrase-file or a prompt)
  BLINDVAULT_FERNET_KEY   key for "blindvault fernet" (instead of --key-file)
  BLINDVAULT_LINK         the link for download, info and delete when none is given ("-" reads it from stdin)
  BLINDVAULT_SESSION      the key "blindvault login" prints: opens the session file
  BLINDVAULT_TOTP         the 6-digit TOTP code for "blindvault login" (instead of --totp-file or a prompt)
  BLINDVAULT_API_KEY_ID, BLINDVAULT_API_KEY_PRIVATE_KEY, BLINDVAULT_API_KEY_SECRET_KEY, BLINDVAULT_SERVER,
  BLINDVAULT_SERVER_SIGNATURE   log in with an API key instead (machines); the answer is checked against the signature key
`;

/** The commands that need none of the vault's and send's modules (libsodium, the vault protocol's schemas). */
const FILE_COMMANDS = new Set(['upload', 'download', 'info', 'delete', 'fernet']);

/**
 * The program for these arguments. The vault and send commands are imported only when they may run or be listed:
 * `blindvault upload …` starts without them (a faster start, less memory); `--help`, `help`, a vault or send
 * command and anything unknown (for its suggestion) get every command.
 */
export async function createProgram(io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('blindvault')
    .description('End-to-end encrypted file sharing with a Blindvault server: files are encrypted here, the server keeps ciphertext only.')
    .version(VERSION, '-V, --version')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // commander's messages start with "error: "; one line, and where to look.
      outputError: (text, write) => write(`blindvault: ${text.trim().replace(/\n+/g, ' ')} (see --help)\n`),
    });
  uploadCommand(program, io);
  downloadCommand(program, io);
  infoCommand(program, io);
  deleteCommand(program, io);
  fernetCommand(program, io);
  const command = argv.find((argument) => !argument.startsWith('-'));
  if (command === undefined || !FILE_COMMANDS.has(command)) {
    const [{ vaultCommands }, { sendCommands }] = await Promise.all([import('./vault/index.js'), import('./send/index.js')]);
    vaultCommands(program, io);
    sendCommands(program, io);
  }
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true).allowExcessArguments(false);
  }
  return program;
}

function describe(error: BlindvaultError): string {
  const details = error.details ?? {};
  switch (error.code) {
    case 'NETWORK_ERROR':
      return `${error.message} (${String(details.url ?? '')}: ${String(details.cause ?? 'no answer')})`;
    case 'UNEXPECTED_RESPONSE':
      return `${error.message} (${[
        ...(details.what !== undefined ? [String(details.what)] : []),
        ...(details.status !== undefined ? [`HTTP ${String(details.status)}`] : []),
        ...(details.code !== undefined ? [String(details.code)] : []),
        ...(details.field !== undefined ? [`field ${String(details.field)}`] : []),
      ].join(', ')})`;
    case 'RATE_LIMITED':
      return `${error.message.replace(/after Retry-After seconds/, `in ${String(details.retryAfter ?? 'a few')} seconds`)}`;
    default: {
      // A Fernet token says no more than Python's InvalidToken does (wrong key, tampered, expired: one answer).
      const reason = error.code === 'FERNET_INVALID_TOKEN' ? undefined : details.what;
      const parts = [error.code, ...(reason !== undefined ? [String(reason)] : []), ...(details.status !== undefined ? [`HTTP ${String(details.status)}`] : []), ...(details.requestId !== undefined ? [`request ${String(details.requestId)}`] : [])];
      return `${error.message} (${parts.join(', ')})`;
    }
  }
}

/** Runs the CLI; answers the exit code. Every failure is one line on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode | number> {
  const program = await createProgram(io, argv);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (io.signal.aborted) {
      printLine(io.stderr, 'blindvault: interrupted; run the same command again to resume');
      return EXIT.interrupted;
    }
    if (isBlindvaultError(error)) {
      printLine(io.stderr, `blindvault: error: ${describe(error)}`);
      return exitCodeFor(error.code);
    }
    if (error instanceof UsageError) {
      printLine(io.stderr, `blindvault: error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof LocalFileError) {
      printLine(io.stderr, `blindvault: error: ${error.message}`);
      return EXIT.localFile;
    }
    printLine(io.stderr, `blindvault: internal error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.internal;
  }
}
