import type { Command } from 'commander';
import { isBlindvaultError } from '../../client/index.js';
import { vaultCall } from '../../client/vault/connection.js';
import { printLine, type CliIo } from '../io.js';
import { openVault } from './context.js';
import { forgetSession } from './session-store.js';

export function logoutCommand(program: Command, io: CliIo): void {
  program
    .command('logout')
    .description('end the session on the server and delete the session file')
    .action(async () => {
      try {
        const access = await openVault({ ...io.env, BLINDVAULT_API_KEY_ID: '' });
        await vaultCall(access.session, 'POST', '/authentication/logout/', {});
      } catch (error) {
        // Without the key or with an ended session there is nothing to end on the server; the file goes anyway.
        if (!isBlindvaultError(error) || (error.code !== 'NOT_LOGGED_IN' && error.code !== 'SESSION_EXPIRED')) throw error;
      }
      const removed = await forgetSession(io.env);
      printLine(io.stderr, removed ? 'logged out' : 'not logged in');
    });
}
