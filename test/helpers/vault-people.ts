import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { VaultClient, VaultSession } from '../../src/client/vault-session.js';

/** A logged-in person of the vault tests: their session, username and default datastore. */
export type VaultPerson = VaultSession & { username: string; datastoreId: string };

/** The answer's body, once its status is the one expected (the body is in the failure message). */
export function bodyOf<T = Record<string, unknown>>(res: { status: number; body: unknown }, status: number): T {
  assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 300));
  return res.body as T;
}

const randomCiphertext = (bytes: number) => randomBytes(bytes).toString('hex');

/** Registers `who-<random>@example.com`, logs in, and makes the default datastore, as the web client does at first login. */
export async function registerPerson(client: VaultClient, who: string, password: string): Promise<VaultPerson> {
  const username = `${who}-${randomBytes(4).toString('hex')}@example.com`;
  await client.register(username, `${username.split('@')[0]}@mail.example.com`, password);
  const session = await client.login({ username, password, sendDeviceTime: false });
  const made = await session.request('PUT', '/datastore/', { type: 'password', description: 'Default', secret_key: randomCiphertext(80), secret_key_nonce: randomCiphertext(24) });
  const datastoreId = bodyOf<{ datastore_id: string }>(made, 201).datastore_id;
  return Object.assign(session, { username, datastoreId });
}
