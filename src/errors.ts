/**
 * Error classes that decide how main.ts reports a failure.
 *
 * Messages follow one shape: lowercase, no final period, objects as quoted
 * "ns/name", flags as --flag, "failed to <verb> <object>: <cause>", and a
 * known fix in parentheses. main.ts adds the "error: " prefix once.
 */

/** A wrong flag, argument or flag combination: exits 1 with a --help hint. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A failure the user can act on (bad kubeconfig, refused request, unreachable
 * server). The message is complete; no stack trace is shown below -v 1.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * The job failed after some objects were already written. `state` lists what
 * exists now, in kubectl's wording ("serviceaccount/ci created"), so the user
 * knows what to clean up or re-run.
 */
export class PartialFailureError extends UserError {
  override name = 'PartialFailureError';

  constructor(
    message: string,
    readonly state: string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Builds "failed to <what>: <cause message>" keeping the cause chain. */
export function failed(what: string, cause: unknown): UserError {
  return new UserError(`failed to ${what}: ${messageOf(cause)}`, { cause });
}

/** The message of anything thrown, without a class-name prefix. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
