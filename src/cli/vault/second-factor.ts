// The login's second factor (spec §3.15) for the CLI: a TOTP code from --totp-file, BLINDVAULT_TOTP or a prompt,
// never from an argument value (arguments are visible to every user of the machine). A security key is not
// supported here: the CLI has no WebAuthn authenticator to talk to.
import password from '@inquirer/password';
import { refusal } from '../../client/vault/connection.js';
import type { VaultSession } from '../../client/vault-session.js';
import { CommandExit, printLine, type CliIo } from '../io.js';
import { EXIT } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { readSecretFile } from './secret-file.js';

export const TOTP_ENV = 'BLINDVAULT_TOTP';
const TOTP = 'google_authenticator_2fa';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024) throw new UsageError('the TOTP code on stdin is longer than 1024 bytes');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** --totp-file F (`-`: stdin), else BLINDVAULT_TOTP, else a prompt on a terminal, else a usage error. */
async function totpCode(io: CliIo, file: string | undefined): Promise<string> {
  if (file === '-') {
    const code = (await readStdin()).trim();
    if (code === '') throw new UsageError('--totp-file -: stdin is empty');
    return code;
  }
  if (file !== undefined) return (await readSecretFile(file, 'TOTP code')).trim();
  const fromEnv = io.env[TOTP_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.trim();
  if (!io.interactive) throw new UsageError(`this account needs a TOTP code: give --totp-file F (- for stdin) or set ${TOTP_ENV} (there is no terminal to ask on)`);
  const context = { input: process.stdin, output: process.stderr, clearPromptOnDone: true };
  // The password prompt (masked) is the one prompt package installed; a code is short-lived but still a secret.
  return (await password({ message: 'TOTP code (6 digits):', mask: true, validate: (v) => /^\s*\d{6}\s*$/.test(v) || 'Six digits.' }, context)).trim();
}

/** The `secondFactor` hook of the SDK's login: solves TOTP, refuses a login that only a security key can finish. */
export function secondFactorHook(io: CliIo, totpFile: string | undefined): (pending: VaultSession, required: string[]) => Promise<void> {
  return async (pending, required) => {
    if (!required.includes(TOTP)) {
      printLine(io.stderr, 'blindvault: error: this account logs in with a security key (WebAuthn), which the CLI does not support; use an API key (blindvault api-key) or the web client');
      throw new CommandExit(EXIT.refused);
    }
    const code = await totpCode(io, totpFile);
    const verified = await pending.request('POST', '/authentication/ga-verify/', { ga_token: code });
    if (verified.status !== 200) throw refusal(verified.status, verified.body, 'TOTP code');
  };
}
