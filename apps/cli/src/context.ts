/** What every command gets: where it runs, where it writes, and the global flags. */
import { CliError } from './errors.js';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface Context {
  /** The user's project folder: plugins, relative paths and outputs resolve from here. */
  cwd: string;
  /** Results (tables, JSON, file lists). */
  out(line: string): void;
  /** Notices (backend choice, warnings): stderr, so `--json` stdout stays parseable. */
  info(line: string): void;
  /** Whether stderr is a terminal (progress bars draw only there). */
  isTTY: boolean;
  verbose: boolean;
  backend: BackendPreference;
}

/**
 * A library function the CLI needs, or a clear error naming the package and what is missing.
 *
 * @example
 * const setupBackend = need(await import('@gan-control/backend'), 'setupBackend', '@gan-control/backend', 'select a backend');
 */
export function need<T = (...args: never[]) => unknown>(mod: unknown, name: string, pkg: string, purpose: string): T {
  const value = (mod as Record<string, unknown>)[name];
  if (value === undefined) {
    throw new CliError(
      'CLI_LIBRARY_MISSING',
      `cannot ${purpose}: ${pkg} does not provide '${name}' in this build (the library is not implemented yet); update gan-control, or use a build that includes it`,
    );
  }
  return value as T;
}
