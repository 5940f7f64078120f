// ls, get, set, edit, mkdir, mv, rm, history: the password tree from the command line.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { entryHistory, listFolder, makeFolders, moveEntry, removeEntry, writeEntry, type EntryChange } from '../../client/vault/entries.js';
import { generatePassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../client/vault/password-generator.js';
import { FIELD_NAMES, WRITABLE_TYPES, type WritableType } from '../../client/vault/secret-item.js';
import { VaultTree } from '../../client/vault/tree.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { openVault } from './context.js';
import { EntryReader, fieldValue } from './entry-source.js';
import { readSecretFile } from './secret-file.js';

function parseLength(text: string): number {
  const n = Number(text);
  if (!/^[0-9]{1,3}$/.test(text) || n < MIN_PASSWORD_LENGTH || n > MAX_PASSWORD_LENGTH) throw new InvalidArgumentError(`expected ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}`);
  return n;
}

interface WriteOptions {
  username?: string;
  passwordFile?: string;
  generate?: boolean;
  length: number;
  url?: string;
  notesFile?: string;
  type?: WritableType;
  json?: boolean;
}

function writeOptions(command: Command): Command {
  return command
    .option('--username <user>', 'the username of the entry')
    .option('--password-file <file>', 'read the password from this file (never give a secret as an argument)')
    .option('--generate', 'generate a random password')
    .option('--length <n>', `length of a generated password (${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH})`, parseLength, 20)
    .option('--url <url>', 'the URL (a new entry with a URL is a website password)')
    .option('--notes-file <file>', 'read the notes from this file')
    .addOption(new Option('--type <type>', 'type of a new entry (default: website_password with --url, else application_password)').choices(WRITABLE_TYPES))
    .option('--json', 'print {"path","secret_id","created","password"?} (password only when generated)');
}

async function changeFrom(options: WriteOptions): Promise<{ change: EntryChange; generated?: string }> {
  if (options.generate && options.passwordFile !== undefined) throw new UsageError('give --password-file or --generate, not both');
  const generated = options.generate ? generatePassword(options.length) : undefined;
  const fields: EntryChange['fields'] = {};
  if (options.username !== undefined) fields.username = options.username;
  if (options.passwordFile !== undefined) fields.password = await readSecretFile(options.passwordFile, 'password');
  if (generated !== undefined) fields.password = generated;
  if (options.url !== undefined) fields.url = options.url;
  if (options.notesFile !== undefined) fields.notes = await readSecretFile(options.notesFile, 'notes');
  return { change: { fields, ...(options.type ? { type: options.type } : {}) }, ...(generated !== undefined ? { generated } : {}) };
}

export function entryCommands(program: Command, io: CliIo): void {
  program
    .command('ls')
    .description('list a folder of the vault (the root without FOLDER)')
    .argument('[folder]', 'a folder path (Work/Team) or id', '')
    .option('--json', 'print [{"name","kind","type","id","secret_id"?,"share_id"?,"description"?}]')
    .action(async (folder: string, options: { json?: boolean }) => {
      const access = await openVault(io.env);
      const nodes = listFolder(await VaultTree.load(access.session, false), folder);
      if (options.json) return printJson(io.stdout, nodes);
      for (const n of nodes) printLine(io.stdout, `${n.kind === 'folder' ? `${n.name}/` : n.name}${n.share_id ? '  (shared)' : ''}${n.kind === 'item' ? `  ${n.type}` : ''}`);
    });

  program
    .command('get')
    .description('print an entry; with --field only that value, bare (for scripts)')
    .argument('<entry>', 'a path (Work/Bank) or an id (a restricted API key: the secret id)')
    .option('--field <field>', `one field: ${FIELD_NAMES.join('|')} or a full key (website_password_totp_code)`)
    .option('--json', 'print {"path","secret_id","type","name","secret"} (secret: the item JSON as the web client keeps it)')
    .action(async (entry: string, options: { field?: string; json?: boolean }) => {
      const value = await new EntryReader(await openVault(io.env)).read(entry);
      if (options.field !== undefined) {
        io.stdout.write(fieldValue(value, options.field));
        return;
      }
      if (options.json) return printJson(io.stdout, { path: value.path, secret_id: value.secretId, type: value.type, name: value.name, secret: value.secret });
      for (const [key, v] of Object.entries(value.secret)) printLine(io.stdout, `${key.startsWith(`${value.type}_`) ? key.slice(value.type.length + 1) : key}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    });

  const write = async (path: string, options: WriteOptions, mustExist: boolean) => {
    const { change, generated } = await changeFrom(options);
    if (Object.keys(change.fields).length === 0 && !mustExist && !options.type) throw new UsageError('nothing to write: give --username, --password-file, --generate, --url or --notes-file');
    const access = await openVault(io.env);
    const tree = await VaultTree.load(access.session, true);
    const result = await writeEntry(access.session, tree, path, change, mustExist);
    if (options.json) return printJson(io.stdout, { path, secret_id: result.secretId, created: result.created, ...(generated !== undefined ? { password: generated } : {}) });
    printLine(io.stderr, `${result.created ? 'created' : 'updated'} ${path}`);
    if (generated !== undefined && !io.interactive) printLine(io.stdout, generated);
  };

  writeOptions(program.command('set').description('create an entry (and its folders), or change the given fields of the one there').argument('<entry>', 'a path (Work/Bank) or id')).action(
    (path: string, options: WriteOptions) => write(path, options, false),
  );
  writeOptions(program.command('edit').description('change the given fields of an existing entry').argument('<entry>', 'a path or id')).action((path: string, options: WriteOptions) =>
    write(path, options, true),
  );

  program
    .command('mkdir')
    .description('make a folder (and its parents)')
    .argument('<folder>', 'a folder path (Work/Team)')
    .action(async (folder: string) => {
      const access = await openVault(io.env);
      const { made } = await makeFolders(access.session, await VaultTree.load(access.session, true), folder);
      printLine(io.stderr, made > 0 ? `made ${folder}` : `${folder} exists`);
    });

  program
    .command('mv')
    .description('move or rename an entry or folder (into DEST if it is a folder)')
    .argument('<entry>', 'a path or id')
    .argument('<dest>', 'a folder, or a new path')
    .action(async (entry: string, dest: string) => {
      const access = await openVault(io.env);
      const moved = await moveEntry(access.session, await VaultTree.load(access.session, false), entry, dest);
      printLine(io.stderr, `moved ${moved.from} to ${moved.to}`);
    });

  program
    .command('rm')
    .description("move an entry or folder to the trash (the web client's), or delete it with --permanent")
    .argument('<entry>', 'a path or id')
    .option('--permanent', 'remove it from the tree and delete its links (no trash)')
    .action(async (entry: string, options: { permanent?: boolean }) => {
      const access = await openVault(io.env);
      const removed = await removeEntry(access.session, await VaultTree.load(access.session, false), entry, options.permanent === true);
      printLine(io.stderr, `${options.permanent ? 'deleted' : 'moved to the trash:'} ${removed.namePath.join('/')}`);
    });

  program
    .command('history')
    .description('list the earlier versions of an entry (newest first), decrypted')
    .argument('<entry>', 'a path or id')
    .option('--field <field>', 'show this field of each version (default: none, only dates)')
    .option('--json', 'print [{"id","create_date","username","secret"}]')
    .action(async (entry: string, options: { field?: string; json?: boolean }) => {
      const access = await openVault(io.env);
      const { item, versions } = await entryHistory(access.session, await VaultTree.load(access.session, false), entry);
      if (options.json) return printJson(io.stdout, versions.map((v) => ({ id: v.id, create_date: v.createdAt, username: v.username, secret: v.secret })));
      for (const v of versions) {
        const shown = options.field !== undefined ? `  ${fieldValue({ path: entry, secretId: '', type: item.type, name: item.name, secret: v.secret }, options.field)}` : '';
        printLine(io.stdout, `${v.createdAt}  ${v.id}  ${v.username ?? '(deleted user)'}${shown}`);
      }
    });
}
