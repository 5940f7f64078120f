import type { Command } from 'commander';
import { vaultCall } from '../../client/vault/connection.js';
import { keyFingerprint } from '../../crypto/digests.js';
import { fromHex } from '../../crypto/encoding.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { openVault } from './context.js';

export function whoamiCommand(program: Command, io: CliIo): void {
  program
    .command('whoami')
    .description('show who is logged in, and check that the session is alive')
    .option('--json', 'print {"username","user_id","email","server","public_key","fingerprint","api_key_id"}')
    .action(async (options: { json?: boolean }) => {
      const access = await openVault(io.env);
      if (!access.apiKey) await vaultCall(access.session, 'GET', '/user/status/');
      const publicKey = access.session.userPublicKey;
      const fingerprint = keyFingerprint(fromHex(publicKey) ?? new Uint8Array());
      const out = {
        username: access.session.username,
        user_id: access.state?.user_id ?? null,
        email: access.state?.email ?? null,
        server: access.serverUrl,
        public_key: publicKey,
        fingerprint,
        api_key_id: access.apiKey?.id ?? null,
      };
      if (options.json) return printJson(io.stdout, out);
      printLine(io.stdout, `${out.username}${out.api_key_id ? ` (API key ${out.api_key_id})` : ''} on ${out.server}`);
      printLine(io.stdout, `public key fingerprint: ${fingerprint}`);
    });
}
