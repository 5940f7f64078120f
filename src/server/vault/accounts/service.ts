import { fromHex, toHex } from '../../../crypto/encoding.js';
import { secretboxOpen, secretboxSeal } from '../../../crypto/nacl.js';
import { hashPassword, verifyPassword } from '../../../crypto/node/password-hash.js';
import { Secret } from '../../../crypto/secret.js';
import { createId, hmacSha256Hex } from '../../../crypto/token.js';
import { DEFAULT_HASHING_PARAMETERS } from '../../../crypto/psono-kdf.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import type { RegisterRequest, UserUpdateRequest } from '../../../protocol/vault/accounts.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { HashingParameters, UserChanges, UserRecord, VaultStore } from '../../../store/vault-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import type { ServerKeys } from '../server-keys.js';

export interface AccountsServiceDeps {
  vault: VaultStore;
  keys: ServerKeys;
  signupsAllowed: boolean;
  /** How many group invitations the user has not answered (docs/vault-protocol.md §3.10). */
  pendingGroups: (userId: string) => Promise<number>;
  /** Share rights waiting for the user's answer (spec §3.2 GET /user/status/). */
  pendingShares: (userId: string) => Promise<number>;
  clock: () => Date;
}

export interface UserSearchResult {
  id: string;
  public_key: string;
  username: string;
  avatar_id: null;
  multifactor_auth_enabled?: false;
  recovery_code_enabled?: false;
}

/** Accounts of the vault: registration, prelogin, the user's own record, search, deletion. */
export function createAccountsService({ vault, keys, signupsAllowed, pendingGroups, pendingShares, clock }: AccountsServiceDeps) {
  const emailHmac = (email: string) => hmacSha256Hex(keys.emailHmacKey.reveal(), email.toLowerCase());

  function sealEmail(email: string): { emailCiphertext: string; emailNonce: string } {
    const { ciphertext, nonce } = secretboxSeal(keys.emailBoxKey.reveal(), new TextEncoder().encode(email));
    return { emailCiphertext: toHex(ciphertext), emailNonce: toHex(nonce) };
  }

  function openEmail(user: UserRecord): string {
    const opened = secretboxOpen(keys.emailBoxKey.reveal(), fromHex(user.emailCiphertext) ?? new Uint8Array(), fromHex(user.emailNonce) ?? new Uint8Array());
    return opened ? new TextDecoder().decode(opened) : '';
  }

  // Verifying against a hash made at start keeps unknown users as slow as known ones (spec §5 #5).
  const dummyHash = hashPassword(new Secret('blindvault-dummy-authkey-for-unknown-users'));

  /** Checks an authkey against a user, or against the dummy hash when there is no user: same work either way. */
  async function authkeyMatches(user: UserRecord | undefined, authkey: string): Promise<boolean> {
    const ok = await verifyPassword(user?.authkeyHash ?? (await dummyHash), new Secret(authkey));
    return ok && user !== undefined;
  }

  async function register(request: RegisterRequest): Promise<void> {
    if (!signupsAllowed) throw new BlindvaultError('REGISTRATION_HAS_BEEN_DISABLED');
    if (await vault.findUserByUsername(request.username)) {
      throw new BlindvaultError('VAULT_FIELD_ERRORS', { fields: { username: ['USERNAME_ALREADY_EXISTS'] } });
    }
    if (await vault.findUserByEmailHmac(emailHmac(request.email))) throw new BlindvaultError('USER_WITH_EMAIL_ALREADY_EXISTS');
    const result = await vault.createUser({
      id: createId(),
      username: request.username,
      emailHmac: emailHmac(request.email),
      ...sealEmail(request.email),
      authkeyHash: await hashPassword(new Secret(request.authkey)),
      publicKey: request.publicKey,
      privateKey: request.privateKey,
      privateKeyNonce: request.privateKeyNonce,
      secretKey: request.secretKey,
      secretKeyNonce: request.secretKeyNonce,
      userSauce: request.userSauce,
      hashingAlgorithm: request.hashingAlgorithm,
      hashingParameters: request.hashingParameters,
      language: 'en',
      isActive: true,
      // No e-mail delivery yet, so no verification: the account is active at once (spec §3.2).
      isEmailActive: true,
      registrationDate: clock(),
    });
    if (result === 'username_taken') throw new BlindvaultError('REGISTRATION_FAILED_USERNAME_ALREADY_EXISTS');
    if (result === 'email_taken') throw new BlindvaultError('USER_WITH_EMAIL_ALREADY_EXISTS');
  }

  /** Unknown usernames get the server defaults, never an error (spec §3.3). */
  async function prelogin(username: string): Promise<{ hashing_algorithm: string; hashing_parameters: HashingParameters }> {
    const user = await vault.findUserByUsername(username);
    return {
      hashing_algorithm: user?.hashingAlgorithm ?? 'scrypt',
      hashing_parameters: user?.hashingParameters ?? { ...DEFAULT_HASHING_PARAMETERS },
    };
  }

  /** Only given fields change; protected ones need the current authkey. A new authkey ends the other sessions. */
  async function updateUser(auth: AuthContext, request: UserUpdateRequest): Promise<void> {
    const protectedChange =
      request.email !== undefined ||
      request.authkey !== undefined ||
      request.hashing !== undefined ||
      request.privateKey !== undefined ||
      request.secretKey !== undefined ||
      request.userSauce !== undefined;
    const changes: UserChanges = {};
    if (protectedChange) {
      if (!request.authkeyOld) throw new BlindvaultError('AUTHKEY_REQUIRED');
      if (!(await authkeyMatches(auth.user, request.authkeyOld))) throw new BlindvaultError('OLD_PASSWORD_INCORRECT');
      if (request.email !== undefined) Object.assign(changes, { emailHmac: emailHmac(request.email), ...sealEmail(request.email) });
      if (request.authkey !== undefined) changes.authkeyHash = await hashPassword(new Secret(request.authkey));
      if (request.privateKey !== undefined) Object.assign(changes, { privateKey: request.privateKey, privateKeyNonce: request.privateKeyNonce });
      if (request.secretKey !== undefined) Object.assign(changes, { secretKey: request.secretKey, secretKeyNonce: request.secretKeyNonce });
      if (request.userSauce !== undefined) changes.userSauce = request.userSauce;
      if (request.hashing) Object.assign(changes, { hashingAlgorithm: request.hashing.algorithm, hashingParameters: request.hashing.parameters });
    }
    if (request.language !== undefined) changes.language = request.language;
    if (request.zoneinfo !== undefined) changes.zoneinfo = request.zoneinfo;
    // BV: a password change ends every other session, in the same transaction (spec §1.2, §5 #8).
    const result = await vault.updateUser(auth.user.id, changes, request.authkey !== undefined ? { endSessionsExcept: auth.session.id } : {});
    if (result === 'email_taken') throw new BlindvaultError('USER_WITH_EMAIL_ALREADY_EXISTS');
    if (result === 'not_found') throw new BlindvaultError('VAULT_UNAUTHENTICATED', { detail: 'User inactive or deleted.' });
  }

  /** Matches of all given criteria, unioned; one match is an object, several an array (spec §3.4). */
  async function searchUsers(
    auth: AuthContext,
    query: { userId?: string; username?: string; email?: string },
    options: { allowByEmail: boolean },
  ): Promise<UserSearchResult | UserSearchResult[]> {
    const found = new Map<string, UserRecord>();
    const add = (user: UserRecord | undefined) => user && user.isActive && found.set(user.id, user);
    if (query.userId) add(await vault.findUserById(query.userId));
    if (query.username) add(await vault.findUserByUsername(query.username));
    if (query.email && options.allowByEmail) add(await vault.findUserByEmailHmac(emailHmac(query.email)));
    const results = [...found.values()].map((user): UserSearchResult => ({
      id: user.id,
      public_key: user.publicKey,
      username: user.username,
      avatar_id: null,
      ...(user.id === auth.user.id ? { multifactor_auth_enabled: false as const, recovery_code_enabled: false as const } : {}),
    }));
    if (results.length === 0) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return results.length === 1 ? (results[0] as UserSearchResult) : results;
  }

  async function deleteUser(auth: AuthContext, authkey: string): Promise<void> {
    if (!(await authkeyMatches(auth.user, authkey))) throw new BlindvaultError('PASSWORD_INCORRECT');
    await vault.deleteUser(auth.user.id);
  }

  async function status(auth: AuthContext) {
    return {
      unaccepted_shares_count: await pendingShares(auth.user.id),
      unaccepted_groups_count: await pendingGroups(auth.user.id),
      unaccepted_forced_groups_count: 0,
      last_security_report_created: formatIsoTime(auth.user.registrationDate),
    };
  }

  return { register, prelogin, updateUser, searchUsers, deleteUser, status, authkeyMatches, openEmail };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
