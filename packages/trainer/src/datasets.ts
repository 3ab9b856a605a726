import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, restoreRng, type Rng, type RngState } from '@gan-control/latent';
import type { TrainConfig } from './config.js';
import { TrainerError } from './config.js';

/** A source of real images for D. `state()` is JSON and lets a resumed run continue the same stream. */
export interface TrainingDataset {
  readonly resolution: number;
  /** A short description for logs. */
  readonly description: string;
  /** The next `count` images, NHWC float32 in [-1, 1] (the caller disposes the tensor). */
  next(count: number): tf.Tensor4D;
  state(): unknown;
  restore(state: unknown): void;
}

/**
 * Makes a procedural dataset from the config's `dataset.seed` and `dataset.options`. A domain
 * package provides its own (`@gan-control/domain-shapes` exports `shapesDatasets`); the trainer
 * knows none by itself.
 */
export type ProceduralDataset = (args: { resolution: number; seed: number; options: Record<string, unknown> }) => TrainingDataset;

const IMAGE_EXT = /\.(png|jpe?g)$/i;

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXT.test(e.name)) out.push(p);
    }
  }
  await walk(dir);
  return out;
}

/**
 * A folder of PNG/JPEG images (recursive, sorted by path), decoded by tensor-io's `decodeImage`
 * (EXIF orientation applied, sRGB, alpha dropped, at most 2^24 pixels each), resized so the short
 * side is `resolution` and centre-cropped to a square (`fit: 'cover'`), held in memory as bytes. Order:
 * a fresh permutation per epoch from the run's RNG; optional random x-flip per image.
 *
 * @example
 * const ds = await folderDataset({ kind: 'folder', path: 'faces/', xflip: true }, 64, 0);
 * const batch = ds.next(16);
 */
export async function folderDataset(
  config: { path: string; xflip: boolean; maxImages?: number },
  resolution: number,
  seed: number,
): Promise<TrainingDataset> {
  let files: string[];
  try {
    files = await listImages(config.path);
  } catch (err) {
    throw new TrainerError(
      'TRAINER_DATASET',
      `trainer: cannot read the image folder "${config.path}" (dataset.path): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (config.maxImages) files = files.slice(0, config.maxImages);
  if (files.length === 0) {
    throw new TrainerError(
      'TRAINER_DATASET',
      `trainer: no .png/.jpg/.jpeg images under "${config.path}" (dataset.path). Point dataset.path at a folder of images.`,
    );
  }
  const { decodeImage } = await import('@gan-control/tensor-io/node');
  const per = resolution * resolution * 3;
  const pixels = new Uint8Array(files.length * per);
  for (const [i, file] of files.entries()) {
    try {
      const image = await decodeImage(new Uint8Array(await readFile(file)), {
        resize: { width: resolution, height: resolution, fit: 'cover' },
      });
      pixels.set(image.data, i * per);
    } catch (err) {
      throw new TrainerError(
        'TRAINER_DATASET',
        `trainer: cannot decode image "${relative(config.path, file)}" in ${config.path}: ${err instanceof Error ? err.message : String(err)}. Remove or fix the file.`,
      );
    }
  }
  let rng: Rng = createRng(seed);
  let order: Uint32Array = new Uint32Array(0);
  let pos = 0;
  let epoch = -1;
  let epochRng: RngState = rng.state();
  const newEpoch = () => {
    epoch += 1;
    epochRng = rng.state();
    order = Uint32Array.from(files.keys());
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    pos = 0;
  };
  newEpoch();
  return {
    resolution,
    description: `image folder ${config.path} (${files.length} images, ${resolution}px${config.xflip ? ', x-flip' : ''})`,
    next(count) {
      const out = new Float32Array(count * per);
      for (let k = 0; k < count; k++) {
        if (pos >= order.length) newEpoch();
        const src = order[pos++] * per;
        const flip = config.xflip && rng.nextFloat() < 0.5;
        for (let y = 0; y < resolution; y++) {
          for (let x = 0; x < resolution; x++) {
            const sx = flip ? resolution - 1 - x : x;
            const si = src + (y * resolution + sx) * 3;
            const di = k * per + (y * resolution + x) * 3;
            out[di] = pixels[si] / 127.5 - 1;
            out[di + 1] = pixels[si + 1] / 127.5 - 1;
            out[di + 2] = pixels[si + 2] / 127.5 - 1;
          }
        }
      }
      return tf.tensor4d(out, [count, resolution, resolution, 3]);
    },
    state: () => ({ rng: rng.state(), epochRng, epoch, pos, count: files.length }),
    restore(state) {
      const s = state as { rng: RngState; epochRng: RngState; epoch: number; pos: number; count: number };
      if (s.count !== files.length) {
        throw new TrainerError(
          'TRAINER_RESUME',
          `trainer: the checkpoint was made with ${s.count} images in ${config.path}, the folder now has ${files.length}; resume needs the same dataset.`,
        );
      }
      // Rebuild the epoch's permutation from the RNG state at its start, then restore the position.
      rng = restoreRng(s.epochRng);
      epoch = s.epoch - 1;
      newEpoch();
      rng = restoreRng(s.rng);
      pos = s.pos;
    },
  };
}

/**
 * Creates the dataset a config names: an image folder, or a procedural dataset from `procedural`
 * (by `dataset.name`).
 *
 * @example
 * const ds = await createDataset(config, shapesDatasets);
 */
export async function createDataset(
  config: TrainConfig,
  procedural: Readonly<Record<string, ProceduralDataset>> = {},
): Promise<TrainingDataset> {
  const d = config.dataset;
  if (d.kind === 'folder') return folderDataset(d, config.resolution, config.seed + 1);
  const make = Object.hasOwn(procedural, d.name) ? procedural[d.name] : undefined;
  if (!make) {
    const known = Object.keys(procedural);
    throw new TrainerError(
      'TRAINER_DATASET',
      `trainer: no procedural dataset "${d.name}" (dataset.name) was given. ${known.length ? `Given: ${known.join(', ')}.` : "Pass the domain's datasets: train(config, { datasets }) — e.g. shapesDatasets from @gan-control/domain-shapes."}`,
    );
  }
  return make({ resolution: config.resolution, seed: d.seed, options: d.options });
}
