// share / shares / accept / decline: sharing entries and folders between users, with trust on first use of keys.
import type { Command } from 'commander';
import { Option } from 'commander';
import { BlindvaultError } from '../../client/index.js';
import { acceptShare, declineShare, findUser, pendingShares, shareWith, type PendingShare, type RightsLevel } from '../../client/vault/sharing.js';
import { VaultTree } from '../../client/vault/tree.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { openVault, requirePasswordLogin, type VaultAccess } from './context.js';
import { checkTrusted, fingerprintOf } from './trusted-users.js';

async function findPending(access: VaultAccess, id: string): Promise<PendingShare> {
  const found = (await pendingShares(access.session)).find((p) => p.rightId === id.toLowerCase() || p.shareId === id.toLowerCase());
  if (!found) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `no pending share ${id}` });
  return found;
}

export function shareCommands(program: Command, io: CliIo): void {
  program
    .command('share')
    .description("share an entry or folder with another user (their key's fingerprint is checked on first use)")
    .argument('<entry>', 'a path or id')
    .requiredOption('--with <user>', 'the username to share with')
    .addOption(new Option('--rights <rights>', 'what they may do').choices(['read', 'write', 'grant']).default('read'))
    .option('--yes', "trust the user's key on first use without asking (scripts: compare the fingerprint first)")
    .option('--json', 'print {"share_id","user","fingerprint"}')
    .action(async (entry: string, options: { with: string; rights: RightsLevel; yes?: boolean; json?: boolean }) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'share');
      const tree = await VaultTree.load(access.session, false);
      const located = tree.find(entry);
      const user = await findUser(access.session, options.with);
      await checkTrusted(io, access.serverUrl, user, options.yes === true);
      const shareId = await shareWith(access.session, tree, located, user, options.rights);
      if (options.json) return printJson(io.stdout, { share_id: shareId, user: user.username, fingerprint: fingerprintOf(user.publicKey) });
      printLine(io.stderr, `shared ${located.namePath.join('/')} with ${user.username} (${options.rights}); they see it under "blindvault shares"`);
    });

  program
    .command('shares')
    .description('list the shares offered to you that you have not accepted or declined')
    .option('--json', 'print [{"id","share_id","title","type","from","fingerprint","read","write","grant"}]')
    .action(async (options: { json?: boolean }) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'shares');
      const rows = (await pendingShares(access.session)).map((p) => ({
        id: p.rightId,
        share_id: p.shareId,
        title: p.title,
        type: p.type,
        from: p.from.username,
        fingerprint: fingerprintOf(p.from.publicKey),
        ...p.rights,
      }));
      if (options.json) return printJson(io.stdout, rows);
      for (const r of rows) printLine(io.stdout, `${r.id}  ${r.title} (${r.type})  from ${r.from} [${r.fingerprint}]  ${r.grant ? 'grant' : r.write ? 'write' : 'read'}`);
    });

  program
    .command('accept')
    .description("accept a share (its sender's key is checked like share's) and put it in your vault")
    .argument('<id>', 'the id "shares" lists')
    .option('--to <folder>', 'the folder to put it in (default: the root)', '')
    .option('--yes', "trust the sender's key on first use without asking")
    .action(async (id: string, options: { to: string; yes?: boolean }) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'accept');
      const pending = await findPending(access, id);
      // The sender's key as the server names it must be the one we trust (or are about to): the share key was
      // boxed with it, so a server that swapped it could not have produced a box that opens.
      await checkTrusted(io, access.serverUrl, await findUser(access.session, pending.from.username).then((u) => {
        if (u.publicKey !== pending.from.publicKey) throw new BlindvaultError('RECIPIENT_KEY_CHANGED', { what: `${u.username}: two different keys` });
        return u;
      }), options.yes === true);
      const tree = await VaultTree.load(access.session, true);
      await acceptShare(access.session, pending, tree.folderAt(options.to));
      printLine(io.stderr, `accepted ${pending.title} from ${pending.from.username}`);
    });

  program
    .command('decline')
    .description('decline a share offered to you')
    .argument('<id>', 'the id "shares" lists')
    .action(async (id: string) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'decline');
      const pending = await findPending(access, id);
      await declineShare(access.session, pending.rightId);
      printLine(io.stderr, `declined ${pending.title} from ${pending.from.username}`);
    });
}
