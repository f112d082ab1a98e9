// Errors a user caused (bad file, bad flag, bad environment) print as one line without a stack.
export class UserError extends Error {
  readonly userFacing = true;
}

export function isUserFacing(e: unknown): e is Error {
  return e instanceof Error && (e as { userFacing?: boolean }).userFacing === true;
}

export function reportAndExit(e: unknown): never {
  if (isUserFacing(e)) {
    process.stderr.write(`error: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
}
