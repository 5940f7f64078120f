import { fromHex, toHex } from '../../../crypto/encoding.js';
import { boxKeyPair, boxOpen } from '../../../crypto/nacl.js';
import { hashPassword, verifyPassword } from '../../../crypto/node/password-hash.js';
import { Secret } from '../../../crypto/secret.js';

/** How long a verifier may be used after it was issued (Psono's RECOVERY_VERIFIER_TIME_VALID, §3.13). */
export const VERIFIER_SECONDS = 600;

/** A fresh X25519 pair for one reset or emergency login: the secret key is kept, the public key answered. */
export function newVerifier(): { secretKeyHex: string; publicKeyHex: string } {
  const pair = boxKeyPair();
  const verifier = { secretKeyHex: toHex(pair.secretKey), publicKeyHex: toHex(pair.publicKey) };
  pair.secretKey.fill(0);
  return verifier;
}

/** Whether a verifier issued at `issuedAt` may still be used at `now`. */
export function verifierFresh(issuedAt: Date | null, now: Date): issuedAt is Date {
  return issuedAt !== null && issuedAt.getTime() >= oldestFreshIssue(now).getTime();
}

export function oldestFreshIssue(now: Date): Date {
  return new Date(now.getTime() - VERIFIER_SECONDS * 1000);
}

/**
 * Opens box(user private key → verifier public key) and parses its JSON: only a holder of the user's private key
 * can make it. Undefined when it does not open or is not JSON.
 */
export function openWithVerifier(verifierHex: string, userPublicKeyHex: string, dataHex: string, nonceHex: string): unknown {
  const verifier = fromHex(verifierHex);
  const userPublicKey = fromHex(userPublicKeyHex.toLowerCase());
  const data = fromHex(dataHex);
  const nonce = fromHex(nonceHex);
  if (!verifier || !userPublicKey || !data || !nonce) return undefined;
  const opened = boxOpen(userPublicKey, verifier, data, nonce);
  verifier.fill(0);
  if (!opened) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Checks a code's authkey against stored Argon2id hashes. With nothing to check against (unknown user, no code) it
 * checks a dummy hash made at start, so that the answer takes as long either way (§5 #5).
 */
export function createCodeChecker() {
  const dummyHash = hashPassword(new Secret('blindvault-dummy-code-authkey'));
  return async function firstMatch<T extends { authkeyHash: string }>(codes: readonly T[], authkey: string): Promise<T | undefined> {
    const secret = new Secret(authkey);
    if (codes.length === 0) {
      await verifyPassword(await dummyHash, secret);
      return undefined;
    }
    for (const code of codes) if (await verifyPassword(code.authkeyHash, secret)) return code;
    return undefined;
  };
}

export type CodeChecker = ReturnType<typeof createCodeChecker>;
