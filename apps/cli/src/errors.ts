/**
 * Errors the CLI shows to people: one line saying what happened, why, and what to do.
 *
 * Exit codes scripts can rely on: 0 success, 1 a user error (bad value, missing or corrupt file,
 * unknown attribute…), 2 a usage error (unknown command or flag, missing argument), 130 stopped
 * by Ctrl-C (what was done is saved; the error line says how to continue).
 */
import {
  formatZodIssues,
  GanControlError,
  isGanControlError,
  type GanControlErrorConstructor,
  type ZodLikeIssue,
} from '@gan-control/errors';

export { formatZodIssues };

/** Exit code of a user error (the command was well formed but could not be carried out). */
export const EXIT_USER = 1;
/** Exit code of a usage error (the command line itself is wrong). */
export const EXIT_USAGE = 2;
/** Exit code of work stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** Codes of the errors the CLI throws itself (tests and scripts match on them). */
export type CliErrorCode = `CLI_${string}`;

/**
 * An error meant for the terminal: the project's one error class (`@gan-control/errors`) with the
 * CLI's codes. Its exit code follows from its code (see {@link exitCodeOf}).
 *
 * @example
 * throw new CliError('CLI_BAD_SET', `bad --set 'age=old': 'old' is not a number; use for example --set age=60`);
 */
export const CliError: GanControlErrorConstructor<CliErrorCode> = GanControlError;
export type CliError = GanControlError<CliErrorCode>;

/**
 * The exit code of an error: 2 for a usage error (`CLI_USAGE`, cac's parse errors), 130 for work
 * stopped by Ctrl-C (`CLI_INTERRUPTED`), 1 for every other error.
 *
 * @example
 * exitCodeOf(usageError('--count must be a positive integer')); // 2
 */
export function exitCodeOf(err: unknown): number {
  if (isGanControlError(err, 'CLI_USAGE')) return EXIT_USAGE;
  if (isGanControlError(err, 'CLI_INTERRUPTED')) return EXIT_INTERRUPTED;
  if (err instanceof Error && err.name === 'CACError') return EXIT_USAGE;
  return EXIT_USER;
}

/**
 * A usage error (exit code 2): the command line is malformed.
 *
 * @example
 * throw usageError(`--count must be a positive integer, got '0'`);
 */
export function usageError(message: string): CliError {
  return new CliError('CLI_USAGE', message);
}

function isZodError(err: unknown): err is Error & { issues: ZodLikeIssue[] } {
  return (
    err instanceof Error &&
    Array.isArray((err as { issues?: unknown }).issues) &&
    (err.name === 'ZodError' || err.constructor?.name === 'ZodError' || err.name === '$ZodError')
  );
}

/** What the terminal shows for an error, and the exit code. */
export interface Reported {
  line: string;
  exitCode: number;
}

/**
 * Turns any thrown value into one line and an exit code. Library errors carry a stable `code`
 * (`GanControlError`) and are user errors; cac's parse errors are usage errors; anything else is
 * an internal error that asks for `--verbose`.
 *
 * @example
 * const { line, exitCode } = reportError(err, { verbose: false });
 */
export function reportError(err: unknown, { verbose }: { verbose: boolean }): Reported {
  const stack = verbose && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  if (isGanControlError(err) && err.code.startsWith('CLI_')) return { line: `error: ${err.message}${stack}`, exitCode: exitCodeOf(err) };
  if (err instanceof Error && err.name === 'CACError') {
    return { line: `error: ${err.message}; run 'gan-control --help' for the commands and flags${stack}`, exitCode: EXIT_USAGE };
  }
  if (isZodError(err)) {
    return { line: `error: invalid input: ${formatZodIssues(err.issues)}${stack}`, exitCode: EXIT_USER };
  }
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    const code = (err as unknown as { code: string }).code;
    // Node's system errors (ENOENT, EACCES…) carry a path; library errors carry GANCONTROL_* codes.
    const msg = oneLine(err.message);
    return { line: `error: ${msg}${msg.includes(code) ? '' : ` [${code}]`}${stack}`, exitCode: EXIT_USER };
  }
  const msg = err instanceof Error ? oneLine(err.message) : String(err);
  return {
    line: `error: ${msg}${stack || ' (unexpected; rerun with --verbose for the stack trace and report it)'}`,
    exitCode: EXIT_USER,
  };
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
