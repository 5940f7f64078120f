// Trust on first use of other users' public keys, per server (docs/formats/cli-session.md "Trusted recipients"):
// a user seen for the first time is shown with the key's fingerprint and needs a yes (or --yes); a key that
// differs from the remembered one is refused loudly, and nothing is done, until the entry is removed by hand.
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { BlindvaultError } from '../../client/index.js';
import type { VaultUser } from '../../client/send/index.js';
import { keyFingerprint } from '../../crypto/digests.js';
import { fromHex } from '../../crypto/encoding.js';
import { configDir } from '../environment.js';
import { printLine, type CliIo } from '../io.js';
import { readJsonObject, writePrivateFile } from './private-file.js';

interface TrustedUser {
  user_id: string;
  public_key: string;
  trusted_at: string;
}

export const trustedUsersFile = (io: CliIo) => path.join(configDir(io.env), 'trusted-users.json');

export const fingerprintOf = (publicKeyHex: string) => keyFingerprint(fromHex(publicKeyHex) ?? new Uint8Array());

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Checks `user` against the key trusted for them on `serverUrl`. First use: asks (or takes `yes`) and remembers;
 * same key: passes; another key or another id under the name: RECIPIENT_KEY_CHANGED.
 */
export async function trustUser(io: CliIo, serverUrl: string, user: VaultUser, options: { yes: boolean; role: 'recipient' | 'sender' }): Promise<void> {
  const file = trustedUsersFile(io);
  const all = await readJsonObject(file);
  const server = (all[serverUrl] ?? {}) as Record<string, TrustedUser>;
  const known = server[user.username];
  if (known) {
    if (known.public_key === user.publicKey && known.user_id === user.id) return;
    printLine(io.stderr, `blindvault: WARNING: the public key of ${user.username} is not the one trusted before.`);
    printLine(io.stderr, `  trusted:  ${fingerprintOf(known.public_key)} (since ${known.trusted_at})`);
    printLine(io.stderr, `  received: ${fingerprintOf(user.publicKey)}`);
    printLine(io.stderr, `  Someone (the server?) may be trying to ${options.role === 'recipient' ? 'read what you send' : 'pass a file off as theirs'}. Nothing was done.`);
    printLine(io.stderr, `  If ${user.username} really has a new key, remove their entry from ${file} and run again.`);
    throw new BlindvaultError('RECIPIENT_KEY_CHANGED', { what: user.username });
  }
  if (!options.yes) {
    if (!io.interactive) throw new BlindvaultError('CONFIRMATION_REQUIRED', { what: `first use of ${user.username}'s key ${fingerprintOf(user.publicKey)}` });
    printLine(io.stderr, `${user.username}'s public key fingerprint: ${fingerprintOf(user.publicKey)}`);
    printLine(io.stderr, 'Compare it with the one they see in "blindvault whoami" (by another channel).');
    if (!(await confirm(io, 'Trust this key? [y/N] '))) throw new BlindvaultError('NOT_CONFIRMED');
  } else {
    printLine(io.stderr, `trusting ${user.username}'s key ${fingerprintOf(user.publicKey)} on first use (--yes)`);
  }
  server[user.username] = { user_id: user.id, public_key: user.publicKey, trusted_at: new Date().toISOString() };
  all[serverUrl] = server;
  await writePrivateFile(file, `${JSON.stringify(all, null, 2)}\n`);
}
