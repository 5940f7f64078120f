import type { Command } from 'commander';
import { BlindvaultError } from '../../client/index.js';
import { fetchServerPin, passwordLogin, isHexKey, vaultTransport, type ServerPin } from '../../client/vault/connection.js';
import { newSessionKey, stateOf } from '../../client/vault/session-state.js';
import type { Transport } from '../../client/transport.js';
import { fromHex } from '../../crypto/encoding.js';
import { keyFingerprint } from '../../crypto/digests.js';
import { randomUuid } from '../../crypto/uuid.js';
import { resolveServer } from '../config.js';
import { printJson, printLine, warn, type CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { deviceDescription } from './context.js';
import { secondFactorHook, TOTP_ENV } from './second-factor.js';
import { passwordFrom } from './secret-file.js';
import { pinnedServer, pinServer } from './server-pins.js';
import { SESSION_ENV, saveSession, sessionFile } from './session-store.js';

/** The server's keys, checked against the pin (or --server-signature); the first time they are pinned. */
export async function trustServer(io: CliIo, transport: Transport, serverUrl: string, given: string | undefined): Promise<ServerPin> {
  const pinned = await pinnedServer(io.env, serverUrl);
  if (given !== undefined) {
    const verifyKey = given.toLowerCase();
    if (!isHexKey(verifyKey)) throw new UsageError('--server-signature must be 64 hex characters');
    if (pinned && pinned.verifyKey !== verifyKey) throw new BlindvaultError('SERVER_KEY_CHANGED', { pinned: pinned.verifyKey, received: verifyKey });
  }
  const pin = await fetchServerPin(transport, pinned);
  if (given !== undefined && pin.verifyKey !== given.toLowerCase()) throw new BlindvaultError('SERVER_KEY_CHANGED', { pinned: given.toLowerCase(), received: pin.verifyKey });
  if (!pinned) {
    await pinServer(io.env, serverUrl, pin);
    if (given === undefined) warn(io, `trusting ${serverUrl} on first use: server signature ${pin.verifyKey} (fingerprint ${keyFingerprint(fromHex(pin.verifyKey) ?? new Uint8Array())})`);
  }
  return pin;
}

export function loginCommand(program: Command, io: CliIo): void {
  program
    .command('login')
    .description(`log in to the vault; prints the key to keep in ${SESSION_ENV} (the session file is useless without it)`)
    .requiredOption('--username <user>', 'the username (alice@example.com)')
    .option('--password-file <file>', 'read the password from this file (else asked on the terminal)')
    .option('--totp-file <file>', `if the account has TOTP: read the 6-digit code from this file (- for stdin); else ${TOTP_ENV}, else asked on the terminal`)
    .option('--server <url>', 'the server (else BLINDVAULT_SERVER, else "server" in config.json)')
    .option('--server-signature <hex>', "the server's verify key, to pin instead of trusting it on first use")
    .option('--json', `print {"session"}: the value for ${SESSION_ENV}`)
    .addHelpText(
      'after',
      `\nTwo-factor login: if the account has TOTP (an authenticator app), the 6-digit code comes from --totp-file F\n` +
        `(- reads stdin), else ${TOTP_ENV}, else a prompt on a terminal; never from an argument. A wrong or already used\n` +
        `code is exit 7 and no session is kept. An account that logs in only with a security key (WebAuthn) cannot log\n` +
        `in here (exit 8): use an API key (blindvault api-key) or the web client.`,
    )
    .action(async (options: { username: string; passwordFile?: string; totpFile?: string; server?: string; serverSignature?: string; json?: boolean }) => {
      const serverUrl = await resolveServer(options.server, io.env);
      const password = await passwordFrom(options.passwordFile, io.interactive);
      const transport = vaultTransport(serverUrl);
      const pin = await trustServer(io, transport, serverUrl, options.serverSignature);
      const session = await passwordLogin(transport, pin, {
        username: options.username.trim().toLowerCase(),
        password,
        deviceDescription: deviceDescription(),
        deviceFingerprint: randomUuid(),
        secondFactor: secondFactorHook(io, options.totpFile),
      });
      const key = newSessionKey();
      await saveSession(io.env, key.key, stateOf(session, serverUrl, pin));
      if (options.json) {
        printJson(io.stdout, { session: key.text });
        return;
      }
      printLine(io.stderr, `logged in as ${session.username}; the session is kept encrypted in ${sessionFile(io.env)}`);
      printLine(io.stderr, `to use it, set ${SESSION_ENV} (this is the only time it is shown):`);
      printLine(io.stdout, `export ${SESSION_ENV}="${key.text}"`);
    });
}
