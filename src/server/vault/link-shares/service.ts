import { hashPassword, verifyPassword } from '../../../crypto/node/password-hash.js';
import { Secret } from '../../../crypto/secret.js';
import { createId } from '../../../crypto/token.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import type { LinkShareAccessRequest, LinkShareCreateRequest, LinkShareUpdateRequest } from '../../../protocol/vault/link-shares.js';
import { formatIsoTime } from '../../../protocol/vault/sessions.js';
import type { LinkShareRecord, LinkShareStore } from '../../../store/link-share-store.js';
import type { AuthContext } from '../auth/authenticator.js';
import { linkShareCreatorOf } from '../auth/policy.js';
import type { Throttle } from '../auth/throttle.js';
import { throttled } from '../auth/throttle.js';
import type { FailureThrottle } from '../../rate-limiter.js';
import { addressSubject } from '../../edge/address-subject.js';

/** BV: link shares per user, so that no account fills the database with them (vault-protocol.md §3.16). */
export const MAX_LINK_SHARES_PER_USER = 1000;

export interface LinkSharesServiceDeps {
  linkShares: LinkShareStore;
  /** The vault's throttles: passphrase attempts are counted per link share in the shared store. */
  throttle: Throttle;
  /** FAILED_AUTH_RATE, shared with logins: a wrong passphrase is a failed authentication of its address. */
  failures: FailureThrottle;
  clock: () => Date;
}

const view = (link: LinkShareRecord) => ({
  id: link.id,
  secret_id: link.secretId,
  public_title: link.publicTitle,
  allowed_reads: link.allowedReads,
  valid_till: link.validTill ? formatIsoTime(link.validTill) : null,
});

/**
 * Link shares of entries (vault-protocol.md §3.16): made by a user who may read the entry (the store's insert decides
 * it), managed by their creator alone (the creator is part of every statement), opened by anyone holding the link
 * while it is unexpired and has reads left (the store's open decides it, counting the read down).
 */
export function createLinkSharesService({ linkShares, throttle, failures, clock }: LinkSharesServiceDeps) {
  function notInThePast(validTill: Date | null): void {
    if (validTill !== null && validTill.getTime() < clock().getTime()) throw new BlindvaultError('VALID_TILL_CANNOT_BE_IN_THE_PAST');
  }

  /**
   * BV: an Argon2id hash of a new passphrase, counted per user first: hashes share the server's few hashing slots
   * with every login, so no account may queue them without bound (a refused create costs no hash either: the
   * caller's right and limit are looked at first, and decided again by the insert).
   */
  async function passphraseHashFor(creator: string, passphrase: string): Promise<string> {
    await throttle('link_share_passphrase_hash', `user:${creator}`);
    return hashPassword(new Secret(passphrase));
  }

  async function list(auth: AuthContext) {
    return { link_shares: (await linkShares.listOwn(linkShareCreatorOf(auth), clock())).map(view) };
  }

  async function read(auth: AuthContext, id: string) {
    const link = await linkShares.findOwn(linkShareCreatorOf(auth), id);
    if (!link) throw new BlindvaultError('VAULT_OBJECT_UNKNOWN', { resourceId: id });
    return view(link);
  }

  async function create(auth: AuthContext, request: LinkShareCreateRequest): Promise<{ link_share_id: string }> {
    notInThePast(request.validTill);
    const creator = linkShareCreatorOf(auth);
    let passphraseHash: string | null = null;
    if (request.passphrase !== undefined) {
      const precheck = await linkShares.mayCreate(creator, request.secretId, MAX_LINK_SHARES_PER_USER, clock());
      if (precheck === 'limit') throw new BlindvaultError('TOO_MANY_LINK_SHARES');
      if (precheck === 'not_found') throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      passphraseHash = await passphraseHashFor(creator, request.passphrase);
    }
    const now = clock();
    const id = createId();
    const outcome = await linkShares.create(
      {
        id,
        userId: creator,
        secretId: request.secretId,
        publicTitle: request.publicTitle,
        node: request.node,
        nodeNonce: request.nodeNonce,
        allowedReads: request.allowedReads,
        // BV: only an Argon2id hash of the passphrase is kept.
        passphraseHash,
        validTill: request.validTill,
        createdAt: now,
      },
      MAX_LINK_SHARES_PER_USER,
      now,
    );
    if (outcome === 'limit') throw new BlindvaultError('TOO_MANY_LINK_SHARES');
    if (outcome === 'not_found') throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return { link_share_id: id };
  }

  async function update(auth: AuthContext, request: LinkShareUpdateRequest): Promise<Record<string, never>> {
    const creator = linkShareCreatorOf(auth);
    // Another user's link share costs no hash: it is refused first.
    if (!(await linkShares.findOwn(creator, request.linkShareId))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    notInThePast(request.validTill);
    const passphraseHash = typeof request.passphrase === 'string' ? await passphraseHashFor(creator, request.passphrase) : request.passphrase;
    const changed = await linkShares.updateOwn(creator, request.linkShareId, {
      publicTitle: request.publicTitle,
      allowedReads: request.allowedReads,
      validTill: request.validTill,
      ...(passphraseHash !== undefined ? { passphraseHash } : {}),
    });
    if (!changed) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  async function remove(auth: AuthContext, id: string): Promise<Record<string, never>> {
    if (!(await linkShares.deleteOwn(linkShareCreatorOf(auth), id))) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {};
  }

  /** The anonymous reader: one answer for every link share that cannot be opened, PASSPHRASE_REQUIRED aside (Psono). */
  async function open(request: LinkShareAccessRequest, address: string) {
    const link = await linkShares.findOpenable(request.linkShareId, clock());
    if (!link) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    if (link.passphraseHash !== null) {
      if (request.passphrase === undefined) throw new BlindvaultError('LINK_SHARE_PASSPHRASE_REQUIRED');
      // BV: every attempt counts before Argon2id runs, so concurrent guesses are bounded too: strictly per link share
      // and address, so one who saw the link cannot lock its reader out from one address; more
      // loosely per link share from every address; and an address that used up its failed authentications
      // (FAILED_AUTH_RATE, shared with logins) is refused before any hash, its wrong passphrases counted there.
      const subject = addressSubject(address);
      const over = await failures.check(subject);
      if (over) throw throttled(over.retryAfterSeconds);
      await throttle('link_share_passphrase', `link:${link.id}:${subject}`);
      await throttle('link_share_passphrase_link', `link:${link.id}`);
      if (!(await verifyPassword(link.passphraseHash, new Secret(request.passphrase)))) {
        await failures.fail(subject);
        throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
      }
    }
    // The clock is read again: the hash may have waited for a slot, and the link share may have expired meanwhile.
    // The statement also checks that the passphrase is still the one verified (the creator may have changed it).
    const opened = await linkShares.open(link.id, link.passphraseHash, clock());
    if (!opened) throw new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
    return {
      node: opened.node,
      node_nonce: opened.nodeNonce,
      secret_data: opened.secretData,
      secret_data_nonce: opened.secretDataNonce,
      secret_read_count: opened.secretReadCount,
      allow_write: false,
    };
  }

  return { list, read, create, update, remove, open };
}

export type LinkSharesService = ReturnType<typeof createLinkSharesService>;
