import type { Command } from 'commander';
import { register, vaultTransport } from '../../client/vault/connection.js';
import { resolveServer } from '../config.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { trustServer } from './login.js';
import { passwordFrom } from './secret-file.js';

export function registerCommand(program: Command, io: CliIo): void {
  program
    .command('register')
    .description('create a vault account: the keys are made here, the server gets them encrypted with your password')
    .requiredOption('--username <user>', 'the username, in e-mail form (alice@example.com)')
    .requiredOption('--email <email>', 'the e-mail address of the account')
    .option('--password-file <file>', 'read the password from this file (else asked on the terminal)')
    .option('--server <url>', 'the server (else BLINDVAULT_SERVER, else "server" in config.json)')
    .option('--server-signature <hex>', "the server's verify key, to pin instead of trusting it on first use")
    .option('--json', 'print {"username"}')
    .action(async (options: { username: string; email: string; passwordFile?: string; server?: string; serverSignature?: string; json?: boolean }) => {
      const serverUrl = await resolveServer(options.server, io.env);
      const password = await passwordFrom(options.passwordFile, io.interactive, true);
      const transport = vaultTransport(serverUrl);
      const pin = await trustServer(io, transport, serverUrl, options.serverSignature);
      await register(transport, pin, options.username, options.email, password);
      if (options.json) printJson(io.stdout, { username: options.username });
      else printLine(io.stdout, `registered ${options.username}: now run "blindvault login --username ${options.username}"`);
    });
}
