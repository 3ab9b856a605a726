// Node-only entry (`@gan-control/stylegan2/node`): writing checkpoints to disk. Reading them
// (`loadCheckpoint`, `loadGenerator`, … from a path in Node or a URL) is in the isomorphic main entry.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@gan-control/tensor-io/node';
import { encodeCheckpoint, type CheckpointInput } from './checkpoint.js';
import type { Discriminator } from './discriminator.js';
import { Generator } from './generator.js';
import { encodeModelFolder, MODEL_FILE, type ModelFolderInput } from './model-folder.js';

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

/**
 * Writes a model folder (`encodeModelFolder`): the weights first, then model.json with their
 * SHA-256, each atomically (temp file, fsync, rename), so model.json never names weights that are
 * missing or incomplete. Rewriting a folder (the trainer exports at every checkpoint): a crash
 * between the two renames leaves the new weights under the previous model.json, whose checksum then
 * refuses them by name until the folder is written again — never a silent mix of the two. `write`
 * replaces the atomic writer (crash tests). Returns model.json's path.
 *
 * @example
 * await writeModelFolder('runs/a/model', { generator: { kind: 'stylegan2', config: G.config, stateDict: G.stateDict() }, latent: layout.toJSON() });
 */
export async function writeModelFolder(
  dir: string,
  input: ModelFolderInput,
  options: { write?: (path: string, data: Uint8Array | string) => Promise<void> } = {},
): Promise<string> {
  const write = options.write ?? writeFileAtomic;
  const { files } = await encodeModelFolder(input);
  await mkdir(dir, { recursive: true });
  for (const f of files) await write(join(dir, f.name), f.data);
  return join(dir, MODEL_FILE);
}
