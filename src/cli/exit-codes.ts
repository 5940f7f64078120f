// The CLI's exit codes, stable for scripts (documented in `blindvault --help` and the README).
import type { ErrorCode } from '../client/index.js';

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
      return EXIT.decryption;
    case 'NOT_FOUND':
      return EXIT.notFound;
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
