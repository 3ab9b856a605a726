// Node-only entry (`@gan-control/stylegan2/node`): writing checkpoints to disk. Reading them
// (`loadCheckpoint`, `loadGenerator`, … from a path in Node or a URL) is in the isomorphic main entry.
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import { encodeCheckpoint, type CheckpointInput } from './checkpoint.js';
import type { Discriminator } from './discriminator.js';
import { Generator } from './generator.js';

/**
 * Writes a checkpoint atomically (temp file in the same folder, fsync, rename).
 *
 * @example
 * await saveCheckpoint('out/G.safetensors', { kind: 'generator', config: G.config, weights: G, extra: { kimg: 120 } });
 */
export async function saveCheckpoint(path: string, input: CheckpointInput): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(input));
}

/**
 * Saves a generator or discriminator (config from the network).
 *
 * @example
 * await saveNetwork('out/G_ema.safetensors', G_ema, { kimg: 120 });
 */
export async function saveNetwork(path: string, net: Generator | Discriminator, extra?: Record<string, unknown>): Promise<void> {
  if (net instanceof Generator) await saveCheckpoint(path, { kind: 'generator', config: net.config, weights: net, extra });
  else await saveCheckpoint(path, { kind: 'discriminator', config: net.config, weights: net, extra });
}
