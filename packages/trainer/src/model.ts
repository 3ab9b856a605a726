import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors } from '@gan-control/tensor-io';
import { LatentLayout } from '@gan-control/latent';
import { assertComplete, createGenerator, toFloatRecords, type Generator, type GeneratorConfigInput } from '@gan-control/stylegan2';
import { TrainerError } from './config.js';

/** A model written by `exportModel` (or `train`), loaded. */
export interface TrainedModel {
  /** The EMA generator. */
  readonly generator: Generator;
  readonly layout: LatentLayout;
  /** Attributes by name with the options used in training. */
  readonly attributes: readonly { name: string; options: Record<string, unknown> }[];
  /** The whole `model.json` (training config, step, images, seconds, metrics). */
  readonly info: Record<string, unknown>;
  dispose(): void;
}

/**
 * Loads a model folder (`model.json` + `generator.safetensors`) written by the trainer.
 *
 * @example
 * const { generator, layout } = await loadTrainedModel('packages/domain-shapes/model');
 * const img = generator.generate(sampleLatents(layout.dim, 4, 0), { noiseMode: 'const' });
 */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new TrainerError('TRAINER_MODEL', `trainer: cannot read ${join(dir, 'model.json')}: ${err instanceof Error ? err.message : String(err)}. Is "${dir}" a model folder written by train()?`);
  }
  if (info.format !== 'gan-control-model') throw new TrainerError('TRAINER_MODEL', `trainer: ${join(dir, 'model.json')} is not a gan-control model (format "${String(info.format)}").`);
  const bytes = new Uint8Array(await readFile(join(dir, 'generator.safetensors')));
  const file = readSafetensors(bytes);
  const generator = createGenerator(info.generator as GeneratorConfigInput, { seed: 0 });
  const records = toFloatRecords(file.tensors, join(dir, 'generator.safetensors'));
  try {
    // Every tensor the generator has must be in the file and every tensor of the file used: a
    // renamed or missing tensor is an error naming it, never a silently random-initialised layer.
    assertComplete(generator.loadStateDict(records, join(dir, 'generator.safetensors')), join(dir, 'generator.safetensors'));
  } catch (err) {
    generator.dispose();
    throw err;
  }
  return {
    generator,
    layout: LatentLayout.parse(info.latent as never),
    attributes: (info.attributes ?? []) as { name: string; options: Record<string, unknown> }[],
    info,
    dispose: () => generator.dispose(),
  };
}
