// The vault commands, registered on the one program.
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { apiKeyCommands } from './api-key.js';
import { entryCommands } from './entries.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { registerCommand } from './register.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { shareCommands } from './share.js';
import { sessionsCommand } from './sessions.js';
import { whoamiCommand } from './whoami.js';

export function vaultCommands(program: Command, io: CliIo): void {
  registerCommand(program, io);
  loginCommand(program, io);
  logoutCommand(program, io);
  whoamiCommand(program, io);
  sessionsCommand(program, io);
  entryCommands(program, io);
  apiKeyCommands(program, io);
  runCommand(program, io);
  shareCommands(program, io);
  serveCommand(program, io);
}
