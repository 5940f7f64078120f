// api-key create / ls / rm: keys for machines, printed once under the names the seed's Python client uses.
import type { Command } from 'commander';
import { BlindvaultError } from '../../client/index.js';
import { createApiKey, deleteApiKey, listApiKeys, type ApiKeyGrant } from '../../client/vault/api-keys.js';
import { VaultTree } from '../../client/vault/tree.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { API_KEY_ENV, openVault, requirePasswordLogin } from './context.js';

export function apiKeyCommands(program: Command, io: CliIo): void {
  const apiKey = program.command('api-key').description('API keys for machines (get and run read them from BLINDVAULT_API_KEY_* variables)');

  apiKey
    .command('create')
    .description('make an API key and print its values once (keep them like a password)')
    .argument('<name>', 'a name for the key')
    .option('--read-only', 'the key may read, never write')
    .option('--restrict-to <entry...>', 'only these entries (paths or ids); such a key reads them by secret id')
    .option('--json', 'print {"api_key_id","api_key_private_key","api_key_secret_key","server_url","server_public_key","server_signature","secrets"}')
    .action(async (name: string, options: { readOnly?: boolean; restrictTo?: string[]; json?: boolean }) => {
      const access = await openVault(io.env);
      const state = requirePasswordLogin(access, 'api-key create');
      const grants: Array<ApiKeyGrant & { path: string }> = [];
      if (options.restrictTo && options.restrictTo.length > 0) {
        const tree = await VaultTree.load(access.session, false);
        for (const entry of options.restrictTo) {
          const located = tree.find(entry);
          const item = tree.itemOf(located);
          if (!item.secret_id || !item.secret_key) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `${entry} holds no secret` });
          grants.push({ secretId: item.secret_id, secretKeyHex: item.secret_key, title: item.name, path: located.namePath.join('/') });
        }
      }
      const key = await createApiKey(access.session, { title: name, write: options.readOnly !== true, restrictTo: grants });
      const out = {
        api_key_id: key.apiKeyId,
        api_key_private_key: key.privateKeyHex,
        api_key_secret_key: key.secretKeyHex,
        server_url: `${access.serverUrl}/server`,
        server_public_key: state.server_public_key,
        server_signature: state.server_verify_key,
        read_only: options.readOnly === true,
        secrets: grants.map((g) => ({ path: g.path, secret_id: g.secretId })),
      };
      if (options.json) return printJson(io.stdout, out);
      printLine(io.stderr, `API key "${name}" made; these values are shown once. For blindvault get/run on a machine:`);
      printLine(io.stdout, `${API_KEY_ENV.id}=${out.api_key_id}`);
      printLine(io.stdout, `${API_KEY_ENV.privateKey}=${out.api_key_private_key}`);
      printLine(io.stdout, `${API_KEY_ENV.secretKey}=${out.api_key_secret_key}`);
      printLine(io.stdout, `${API_KEY_ENV.server}=${access.serverUrl}`);
      printLine(io.stdout, `${API_KEY_ENV.serverPublicKey}=${out.server_public_key}`);
      printLine(io.stdout, `${API_KEY_ENV.serverSignature}=${out.server_signature}`);
      for (const g of out.secrets) printLine(io.stderr, `restricted to ${g.path}: read it with "blindvault get ${g.secret_id}"`);
    });

  apiKey
    .command('ls')
    .description('list the API keys of the account')
    .option('--json', 'print [{"id","title","read","write","restrict_to_secrets","active"}]')
    .action(async (options: { json?: boolean }) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'api-key ls');
      const keys = await listApiKeys(access.session);
      if (options.json) return printJson(io.stdout, keys);
      for (const k of keys) printLine(io.stdout, `${k.id}  ${k.title}  ${k.write ? 'read-write' : 'read-only'}${k.restrict_to_secrets ? '  restricted' : ''}`);
    });

  apiKey
    .command('rm')
    .description('delete an API key (its sessions end with it)')
    .argument('<key>', 'the key id or its name')
    .action(async (key: string) => {
      const access = await openVault(io.env);
      requirePasswordLogin(access, 'api-key rm');
      const keys = await listApiKeys(access.session);
      const matches = keys.filter((k) => k.id === key.toLowerCase() || k.title === key);
      if (matches.length > 1) throw new BlindvaultError('ENTRY_AMBIGUOUS', { what: `${matches.length} keys are named ${key}: give the id` });
      const found = matches[0];
      if (!found) throw new BlindvaultError('ENTRY_NOT_FOUND', { what: `API key ${key}` });
      await deleteApiKey(access.session, found.id);
      printLine(io.stderr, `deleted API key ${found.title} (${found.id})`);
    });
}
