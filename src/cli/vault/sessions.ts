import type { Command } from 'commander';
import { BlindvaultError } from '../../client/index.js';
import { vaultCall } from '../../client/vault/connection.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { openVault, requirePasswordLogin } from './context.js';

interface SessionRow {
  id: string;
  create_date: string;
  device_description: string;
  current_session: boolean;
}

export function sessionsCommand(program: Command, io: CliIo): void {
  program
    .command('sessions')
    .description("list the account's open sessions (web client, CLI, API keys), or end one")
    .option('--end <session-id>', 'end this session (see the list for ids)')
    .option('--json', 'print [{"id","create_date","device_description","current_session"}]')
    .action(async (options: { end?: string; json?: boolean }) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'sessions');
      if (options.end !== undefined) {
        if (!/^[0-9a-f-]{36}$/i.test(options.end)) throw new UsageError('--end takes a session id (a UUID)');
        await vaultCall(access.session, 'POST', '/authentication/logout/', { session_id: options.end.toLowerCase() });
        printLine(io.stderr, `ended session ${options.end}`);
        return;
      }
      const body = (await vaultCall(access.session, 'GET', '/authentication/sessions/')) as { sessions?: SessionRow[] };
      if (!Array.isArray(body.sessions)) throw new BlindvaultError('UNEXPECTED_RESPONSE', { field: 'sessions' });
      if (options.json) return printJson(io.stdout, body.sessions);
      for (const s of body.sessions) printLine(io.stdout, `${s.id}  ${s.create_date}  ${s.device_description}${s.current_session ? '  (this one)' : ''}`);
    });
}
