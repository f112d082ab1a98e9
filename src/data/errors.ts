// Errors caused by the user's input (a bad file, a missing symbol). The CLI prints their message
// as one line (`error: <message>`) and exits 1, without a stack trace.

export class DataError extends Error {
  readonly userFacing = true;
  override name = 'DataError';
}

/** True for errors meant for the user as one line (DataError, ConfigError, ...: `userFacing === true`). */
export function isUserError(e: unknown): e is Error & { userFacing: true } {
  return e instanceof Error && (e as { userFacing?: unknown }).userFacing === true;
}
