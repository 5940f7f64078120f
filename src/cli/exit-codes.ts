// The CLI's exit codes, stable for scripts (documented in `blindvault --help` and the README).
import type { ErrorCode } from '../protocol/errors.js';

export const EXIT = {
  ok: 0,
  /** A bug: anything that is not a BlindvaultError. */
  internal: 1,
  /** Bad arguments, a malformed link, no server configured, no passphrase available. */
  usage: 2,
  /** The server cannot be reached, refuses, or answers outside the protocol. */
  server: 3,
  /** Wrong key or passphrase, or a tampered, truncated or extended file. */
  decryption: 4,
  /** The file does not exist, expired, was used up or deleted (or the owner token is wrong). */
  notFound: 5,
  /** A local file cannot be read or written. */
  localFile: 6,
  /** Vault: not logged in, the session expired, wrong username or password, wrong or used TOTP code. */
  auth: 7,
  /** Vault: refused by the server (no right) or by a trust check (a changed server or recipient key); a login that needs a security key. */
  refused: 8,
  /** Interrupted (Ctrl-C); an upload or download resumes when the same command is run again. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'DECRYPTION_FAILED':
    case 'WRONG_KEY':
    case 'TRUNCATED':
    case 'BAD_HEADER':
    case 'FERNET_INVALID_TOKEN':
    case 'SEND_KEY_INVALID':
      return EXIT.decryption;
    case 'NOT_FOUND':
    case 'ENTRY_NOT_FOUND':
    case 'USER_NOT_FOUND':
    case 'NO_PERMISSION_OR_NOT_EXIST':
      return EXIT.notFound;
    case 'NOT_LOGGED_IN':
    case 'SESSION_EXPIRED':
    case 'USERNAME_OR_PASSWORD_WRONG':
    case 'ACCOUNT_NOT_VERIFIED':
    case 'GA_TOKEN_INCORRECT':
    case 'GA_TOKENS_ONLY_CONTAIN_DIGITS':
    case 'GA_CHALLENGE_UNSOLVED':
    case 'NO_GOOGLE_AUTHENTICATOR_FOUND':
      return EXIT.auth;
    case 'VAULT_ACCESS_DENIED':
    case 'VAULT_KEYS_UNAVAILABLE':
    case 'SERVER_KEY_CHANGED':
    case 'RECIPIENT_KEY_CHANGED':
    case 'BAD_SIGNATURE':
    case 'NOT_CONFIRMED':
    case 'WEBAUTHN_CHALLENGE_UNSOLVED':
      return EXIT.refused;
    case 'CONFIRMATION_REQUIRED':
    case 'ENTRY_AMBIGUOUS':
    case 'ENTRY_EXISTS':
    case 'VAULT_FIELD_ERRORS':
    case 'REGISTRATION_HAS_BEEN_DISABLED':
    case 'USER_WITH_EMAIL_ALREADY_EXISTS':
      return EXIT.usage;
    case 'INVALID_LINK':
    case 'PASSPHRASE_REQUIRED':
    case 'V1_TOO_LARGE':
    case 'UNSUPPORTED_FORMAT':
    case 'INVALID_FILE_KEY':
    case 'KEY_MODE_MISMATCH':
    case 'FERNET_INVALID_KEY':
      return EXIT.usage;
    default:
      return EXIT.server;
  }
}
