/** `gan-control evaluate`. */
import type { Context } from '../context.js';
import { CliError } from '../errors.js';

export async function evaluateCommand(_args: string[], _opts: Record<string, unknown>, _ctx: Context): Promise<void> {
  throw new CliError('CLI_LIBRARY_MISSING', "'gan-control evaluate' is not available in this build yet: the libraries it drives are not complete");
}
