/** A mistake in how the CLI was called: exit code 2, the message as it is. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A local file that cannot be read or written: exit code 6. */
export class LocalFileError extends Error {
  override readonly name = 'LocalFileError';
}
