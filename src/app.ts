/**
 * Runs one command line: parse, run, and turn failures into one message and
 * an exit code. main.ts owns the process around it.
 */
import { type Invocation, completionTable, parseCommandLine, programName } from './cli.js';
import { complete } from './completion.js';
import { runCreate, validateCreate } from './commands/create.js';
import { runDelete, validateDelete } from './commands/delete.js';
import { runList, validateList } from './commands/list.js';
import { runRotate, validateRotate } from './commands/rotate.js';
import type { Deps } from './commands/deps.js';
import { PartialFailureError, UsageError, UserError, messageOf } from './errors.js';
import { printToStdout, standardOutput } from './kubeconfig/write.js';
import { Logger } from './log.js';

const issuesUrl = 'https://github.com/kubectl-sa-kubeconfig/kubectl-sa-kubeconfig/issues';

/** Runs one command line; resolves to the exit code. */
export async function runCommandLine(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let log = new Logger(0);
  try {
    const invocation = parseCommandLine(argv);
    if (invocation.command === 'print') {
      await printToStdout(invocation.text);
      return 0;
    }
    if (invocation.command === 'complete') {
      await printToStdout(await complete(invocation.words, completionTable, env, log));
      return 0;
    }
    log = new Logger(invocation.verbosity);
    const deps: Deps = {
      env,
      log,
      out: standardOutput,
      stdinIsTTY: process.stdin.isTTY === true,
      now: () => new Date(),
    };
    await dispatch(invocation, deps);
    return 0;
  } catch (err) {
    report(err, log, argv);
    return 1;
  }
}

/**
 * The last resort for a rejection nothing awaited: one message and a bug
 * report link, never Node's dump (which bypasses the logger's redaction).
 */
export function reportStray(err: unknown): void {
  report(err, new Logger(0), []);
}

type Run = Exclude<Invocation, { command: 'print' } | { command: 'complete' }>;

async function dispatch(invocation: Run, deps: Deps): Promise<void> {
  switch (invocation.command) {
    case 'create':
      return runCreate(validateCreate(invocation.flags), deps);
    case 'rotate':
      return runRotate(validateRotate(invocation.flags), deps);
    case 'delete':
      return runDelete(validateDelete(invocation.flags), deps);
    case 'list':
      return runList(validateList(invocation.flags), deps);
  }
}

/** Prints a failure once, with the "error: " prefix, on stderr. */
function report(err: unknown, log: Logger, argv: string[]): void {
  if (err instanceof UsageError) {
    log.error(`${err.message}\nSee '${programName}${commandWord(argv)} --help' for usage.`);
    return;
  }
  if (err instanceof PartialFailureError) {
    log.error(err.message);
    log.status(
      `these changes were made before the failure and remain:\n  ${err.state.join('\n  ')}`,
    );
    log.status('fix the cause and run the same command again: it picks up where it stopped');
    return;
  }
  if (err instanceof UserError) {
    log.error(err.message);
    if (log.enabled(4)) log.v(4, stackOf(err));
    return;
  }
  log.error(`unexpected failure: ${messageOf(err)}`);
  if (log.enabled(1)) log.v(1, stackOf(err));
  else log.status('run again with -v 1 for details');
  log.status(`this is a bug: please report it at ${issuesUrl}`);
}

/** " rotate" when the line names a subcommand, so the hint points at its help. */
function commandWord(argv: string[]): string {
  const word = argv.find((a) => ['create', 'rotate', 'delete', 'list'].includes(a));
  return word ? ` ${word}` : '';
}

function stackOf(err: unknown): string {
  return err instanceof Error && err.stack ? err.stack : String(err);
}
