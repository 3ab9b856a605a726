/** `--backend`: selects and prepares the tfjs backend through @gan-control/backend, and says which. */
import type { BackendPreference, Context } from './context.js';
import { usageError } from './errors.js';

export const BACKENDS: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Validates the `--backend` flag. */
export function parseBackend(value: unknown): BackendPreference {
  const v = value === undefined ? 'auto' : String(value);
  if (!(BACKENDS as readonly string[]).includes(v)) {
    throw usageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${v}'`);
  }
  return v as BackendPreference;
}

/**
 * Selects the backend (auto: tfjs-node-gpu → tfjs-node → wasm → cpu) and prints the choice and
 * the reason on stderr.
 *
 * @example
 * const { name } = await prepareBackend(ctx);
 */
export async function prepareBackend(ctx: Context): Promise<{ name: string; reason: string }> {
  const tf = await import('@tensorflow/tfjs-core');
  const { setupBackend } = await import('@gan-control/backend');
  const chosen = await setupBackend(ctx.backend);
  // The cpu backend greets Node users on first use with advice to install tfjs-node; the CLI has
  // just said which backend it uses and why, so skip the greeting (it would clutter stderr).
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
  ctx.info(`backend: ${chosen.name} (${chosen.reason})`);
  return chosen;
}
