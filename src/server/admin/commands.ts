// The admin command's verbs (`npm run admin -- …`, entry in main.ts): the operator's toolkit over the same stores and settings as the server
// (environment variables, or a .env file). Prints ids and names, never keys, hashes or tokens.
import { Command, CommanderError } from 'commander';
import type { Stores } from '../../store/open-stores.js';
import { openStores } from '../../store/open-stores.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createFilesService } from '../files/service.js';
import { clientConfiguration } from '../vault/client-configuration.js';

/** A failure the operator can act on: one line, exit code 1. */
class AdminError extends Error {}

interface Output {
  write(text: string): void;
}

function table(rows: Array<Record<string, string>>, out: Output): void {
  if (rows.length === 0) return out.write('(none)\n');
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`;
  out.write(line(columns));
  for (const row of rows) out.write(line(columns.map((c) => row[c] ?? '')));
}

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

export function buildProgram(env: NodeJS.ProcessEnv, out: Output): Command {
  const program = new Command('blindvault-admin')
    .description('Operator commands over the stores of a Blindvault server (settings from the environment or .env)')
    .option('--check', 'check the configuration and that the stores answer, without starting a server')
    .showHelpAfterError()
    .exitOverride();

  const config = (): Config => loadConfig(env, []);
  /** Opens the stores as the server does (applying pending migrations) and closes them after. */
  async function withStores<T>(run: (stores: Stores, config: Config) => Promise<T>): Promise<T> {
    const settings = config();
    const stores = await openStores({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl, blobStoreUrl: settings.blobStoreUrl });
    try {
      return await run(stores, settings);
    } finally {
      await stores.close();
    }
  }

  program.action(async (options: { check?: boolean }) => {
    if (!options.check) {
      program.outputHelp();
      return;
    }
    const settings = config();
    out.write(`configuration: ok (${settings.databaseUrl ? 'PostgreSQL' : 'SQLite'}, ${settings.blobStoreUrl?.startsWith('s3:') ? 'S3 bucket' : 'folder'} blob store)\n`);
    // Not migrated here: a check changes nothing.
    const stores = await openStores({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl, blobStoreUrl: settings.blobStoreUrl }, { migrate: false });
    try {
      await stores.metadata.ping();
      out.write('metadata store: answers\n');
      await stores.blobs.ping();
      out.write('blob store: answers\n');
      const pending = await stores.schema.pendingMigrations();
      out.write(pending.length === 0 ? 'migrations: all applied\n' : `migrations: ${pending.length} to apply at the next start (${pending.join(', ')})\n`);
    } finally {
      await stores.close();
    }
  });

  const users = program.command('users').description('vault accounts');
  users.command('list').option('--json', 'as JSON').action(async (options: { json?: boolean }) => {
    const list = await withStores((s) => s.admin.listUsers());
    if (options.json) return out.write(`${JSON.stringify(list)}\n`);
    table(list.map((u) => ({ username: u.username, id: u.id, active: u.isActive ? 'yes' : 'no', sessions: String(u.sessions), registered: when(u.registrationDate), 'last login': when(u.lastLogin) })), out);
  });
  users.command('disable <username>').description('refuse its logins and end its sessions').action(async (username: string) => {
    if (!(await withStores((s) => s.admin.setUserActive(username, false)))) throw new AdminError(`no user ${JSON.stringify(username)}`);
    out.write(`disabled ${username}; its sessions are ended\n`);
  });
  users.command('enable <username>').action(async (username: string) => {
    if (!(await withStores((s) => s.admin.setUserActive(username, true)))) throw new AdminError(`no user ${JSON.stringify(username)}`);
    out.write(`enabled ${username}\n`);
  });
  users
    .command('delete <username>')
    .description('delete the account with its datastores, secrets, API keys and sessions (as the user deleting it would)')
    .option('--yes', 'really delete')
    .action(async (username: string, options: { yes?: boolean }) => {
      if (!options.yes) throw new AdminError('deleting an account cannot be undone: add --yes');
      const deleted = await withStores(async (s) => {
        const user = await s.vault.findUserByUsername(username);
        return user ? s.vault.deleteUser(user.id) : false;
      });
      if (!deleted) throw new AdminError(`no user ${JSON.stringify(username)}`);
      out.write(`deleted ${username}\n`);
    });

  const sessions = program.command('sessions').description('vault sessions');
  sessions.command('list').option('--user <username>', 'only this user').option('--json', 'as JSON').action(async (options: { user?: string; json?: boolean }) => {
    const list = await withStores((s) => s.admin.listSessions(options.user));
    if (options.json) return out.write(`${JSON.stringify(list)}\n`);
    table(list.map((x) => ({ id: x.id, username: x.username, kind: x.apiKey ? 'api key' : 'login', active: x.active ? 'yes' : 'no', created: when(x.createdAt), 'valid till': when(x.validTill), device: x.deviceDescription ?? '' })), out);
  });
  sessions.command('end <id>').action(async (id: string) => {
    if (!(await withStores((s) => s.admin.endSession(id)))) throw new AdminError(`no session ${JSON.stringify(id)}`);
    out.write(`ended session ${id}\n`);
  });

  const files = program.command('files').description('shared files');
  files.command('stats').option('--json', 'as JSON').action(async (options: { json?: boolean }) => {
    const stats = await withStores((s) => s.admin.fileStats(new Date()));
    if (options.json) return out.write(`${JSON.stringify(stats)}\n`);
    out.write(`ready ${stats.byState.ready ?? 0} (${stats.readyBytes} bytes), pending ${stats.byState.pending ?? 0}, deleted ${stats.byState.deleted ?? 0}, awaiting the sweeper ${stats.awaitingSweep}\n`);
  });
  files
    .command('sweep')
    .description('sweep now: expired, used-up and deleted files, abandoned uploads, expired sessions, counters and replay marks')
    .action(async () => {
      const lines = await withStores(async (s, settings) => {
        const service = createFilesService({ metadata: s.metadata, blobs: s.blobs, config: settings });
        const now = new Date();
        return [
          `files ${await service.sweep()}`,
          `sessions ${await s.vault.deleteExpiredSessions(now)}`,
          `rate limits ${await s.rateLimits.sweep(now)}`,
          `replay marks ${await s.replays.sweep(now)}`,
        ];
      });
      out.write(`swept: ${lines.join(', ')}\n`);
    });

  program.command('storage').description('storage used per backend: the database, the blobs, and unfinished uploads').option('--json', 'as JSON').action(async (options: { json?: boolean }) => {
    const report = await withStores(async (s) => ({
      metadata: { backend: s.metadata.backend, bytes: await s.admin.databaseBytes() },
      blobs: s.blobs.usage ? await s.blobs.usage() : undefined,
      uploads: await s.uploads.usage(),
      files: await s.admin.fileStats(new Date()),
    }));
    if (options.json) return out.write(`${JSON.stringify(report)}\n`);
    out.write(`metadata (${report.metadata.backend}): ${report.metadata.bytes} bytes\n`);
    if (report.blobs) out.write(`blobs (${report.blobs.backend}): ${report.blobs.blobs} blobs, ${report.blobs.bytes} bytes, ${report.blobs.partials} partial writes\n`);
    out.write(`unfinished uploads: ${report.uploads.partials}, ${report.uploads.bytes} bytes received so far\n`);
    out.write(`ready files: ${report.files.byState.ready ?? 0}, ${report.files.readyBytes} bytes of ciphertext\n`);
  });

  program
    .command('keys')
    .description("the vault's client configuration (public values); see docs/deploy.md for rotation")
    .argument('[action]', 'show', 'show')
    .action(async (action: string) => {
      if (action !== 'show') throw new AdminError('keys: only "show"; rotation is a procedure, in docs/deploy.md');
      const keys = await withStores((s, settings) => clientConfiguration(settings, s.vault));
      out.write(`server_url         ${keys.serverUrl}\nserver_public_key  ${keys.serverPublicKey}\nserver_signature   ${keys.serverSignature}\n# keys from: ${keys.source}\n`);
    });
  return program;
}

/** Runs one admin command; answers the exit code (0 done, 1 failed, 2 bad usage or configuration). */
export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv, out: Output, err: Output): Promise<number> {
  const program = buildProgram(env, out);
  program.configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ConfigError) {
      err.write(`blindvault-admin: ${error.message}\n`);
      return 2;
    }
    err.write(`blindvault-admin: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
