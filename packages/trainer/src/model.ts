import { LatentLayout } from '@gan-control/latent';
import { readModelFolder, type Generator, type ModelManifest } from '@gan-control/stylegan2';
import type { FileLocation } from '@gan-control/tensor-io';
import { TrainerError } from './config.js';

/** A model written by `exportModel` (or `train`), loaded. */
export interface TrainedModel {
  /** The EMA generator. */
  readonly generator: Generator;
  readonly layout: LatentLayout;
  /** Attributes by name with the options used in training. */
  readonly attributes: readonly { name: string; options: Record<string, unknown> }[];
  /** The whole `model.json`, validated (training config, step, images, seconds, metrics). */
  readonly info: ModelManifest;
  dispose(): void;
}

/**
 * Loads a model folder written by the trainer through the one model-folder reader
 * (`readModelFolder` of @gan-control/stylegan2: checksums, finite weights, every tensor name
 * matched, the layout in the mapping's group order). `dir` is a path (Node) or a URL.
 *
 * @example
 * const { generator, layout } = await loadTrainedModel('packages/domain-shapes/model');
 * const img = generator.generate(sampleLatents(layout.dim, 4, 0), { noiseMode: 'const' });
 */
export async function loadTrainedModel(dir: FileLocation): Promise<TrainedModel> {
  const folder = await readModelFolder(dir);
  if (folder.kind !== 'stylegan2') {
    folder.dispose();
    throw new TrainerError(
      'TRAINER_MODEL',
      `trainer: ${String(dir)} holds an imported ${folder.kind} generator, not a model written by train(); load it with readModelFolder of @gan-control/stylegan2.`,
    );
  }
  const { manifest, generator } = folder;
  let layout: LatentLayout;
  try {
    layout = LatentLayout.parse(
      (manifest.latent ?? { groups: folder.groups.map((g) => ({ name: g.name, size: g.size, controlled: g.controlled })) }) as never,
    );
  } catch (err) {
    folder.dispose();
    throw err;
  }
  return {
    generator,
    layout,
    attributes: manifest.attributes.map((a) => ({ name: a.name, options: a.options })),
    info: manifest,
    dispose: () => folder.dispose(),
  };
}
