// Trust on first use of other users' public keys (docs/formats/cli-session.md "Trusted recipients"): the first
// time a user is seen their key's fingerprint is shown and must be confirmed; a key that changed later is refused.
import { createInterface } from 'node:readline/promises';
import path from 'node:path';
import { BlindvaultError } from '../../client/index.js';
import type { VaultUser } from '../../client/vault/sharing.js';
import { keyFingerprint } from '../../crypto/digests.js';
import { fromHex } from '../../crypto/encoding.js';
import { configDir } from '../environment.js';
import { printLine, type CliIo } from '../io.js';
import { readJsonObject, writePrivateFile } from './private-file.js';

const trustFile = (io: CliIo) => path.join(configDir(io.env), 'trusted-users.json');

export const fingerprintOf = (publicKeyHex: string) => keyFingerprint(fromHex(publicKeyHex) ?? new Uint8Array());

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Checks `user`'s key against the remembered one. Unknown users are shown and need a yes (or `yes`);
 * a changed key is refused. Answers true when the user was trusted just now.
 */
export async function checkTrusted(io: CliIo, serverUrl: string, user: VaultUser, yes: boolean): Promise<boolean> {
  const file = trustFile(io);
  const all = await readJsonObject(file);
  const server = (all[serverUrl] ?? {}) as Record<string, { user_id?: string; public_key?: string }>;
  const known = server[user.username];
  if (known?.public_key) {
    if (known.public_key !== user.publicKey || (known.user_id && known.user_id !== user.id)) {
      throw new BlindvaultError('RECIPIENT_KEY_CHANGED', {
        what: `${user.username}: trusted ${fingerprintOf(known.public_key)}, the server now says ${fingerprintOf(user.publicKey)}`,
      });
    }
    return false;
  }
  printLine(io.stderr, `${user.username} is new to this machine; their public key fingerprint is ${fingerprintOf(user.publicKey)}`);
  if (!yes) {
    if (!io.interactive) throw new BlindvaultError('CONFIRMATION_REQUIRED', { what: `compare the fingerprint with ${user.username}, then run again with --yes` });
    if (!(await confirm(io, `Is this ${user.username}'s key (compare it with them)?`))) throw new BlindvaultError('NOT_CONFIRMED');
  }
  server[user.username] = { user_id: user.id, public_key: user.publicKey, trusted_at: new Date().toISOString() } as { user_id: string; public_key: string };
  all[serverUrl] = server;
  await writePrivateFile(file, `${JSON.stringify(all, null, 2)}\n`);
  return true;
}
