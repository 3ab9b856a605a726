/** `--backend`: selects and prepares the tfjs backend through @gan-control/backend, and says which. */
import type { BackendPreference, Context } from './context.js';
import { need } from './context.js';
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
 * Selects the backend (auto: tfjs-node-gpu → tfjs-node → wasm → cpu), registers tfjs-core's
 * gradients (bundled into the CLI: tfjs-core's own ESM gradient files cannot load in plain Node),
 * and prints the choice and the reason on stderr.
 *
 * @example
 * const { name } = await prepareBackend(ctx);
 */
export async function prepareBackend(ctx: Context): Promise<{ name: string; reason: string }> {
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  const setupBackend = need<(pref: BackendPreference) => Promise<{ name: string; reason: string }>>(
    await import('@gan-control/backend'),
    'setupBackend',
    '@gan-control/backend',
    `select the '${ctx.backend}' backend`,
  );
  const chosen = await setupBackend(ctx.backend);
  ctx.info(`backend: ${chosen.name} (${chosen.reason})`);
  return chosen;
}
