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

/**
 * Registers tfjs-core's own gradient for every kernel that still has none, keeping the ones the
 * libraries registered (stylegan2/trainer register twice-differentiable versions; they must win).
 * tfjs-core's gradient files are ESM with extension-less imports, which plain Node cannot load, so
 * the CLI build compiles them in; they register into tfjs's global registry.
 *
 * @example
 * ensureGradients(); ensureTrainingGradients(); await fillMissingGradients();
 */
export async function fillMissingGradients(): Promise<number> {
  const tf = await import('@tensorflow/tfjs-core');
  tf.engine(); // the installed tfjs-core owns the engine before the compiled-in copy loads
  const names = [...new Set(tf.getKernelsForBackend(tf.getBackend()).map((k) => k.kernelName))];
  const before = new Map(names.map((n) => [n, tf.getGradient(n)]));
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  let added = 0;
  for (const [name, grad] of before) {
    if (grad) tf.registerGradient(grad);
    else if (tf.getGradient(name)) added++;
  }
  return added;
}
