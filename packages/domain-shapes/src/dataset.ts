import * as tf from '@tensorflow/tfjs-core';
import { ShapesError } from './errors.js';
import {
  parseShapesOptions,
  renderFactors,
  shapeFactorsAt,
  type ShapeFactors,
  type ShapesBatch,
  type ShapesOptions,
  type ShapesOptionsInput,
} from './render.js';

/** Serializable position of a `ShapesDataset` stream (for exact resume). */
export interface ShapesDatasetState {
  readonly seed: number;
  readonly index: number;
}

/**
 * An endless, deterministic stream of shapes images. Image i of seed s is always the same
 * (each image has its own PRNG seeded from (s, i)), so the stream's state is just the next index.
 *
 * @example
 * const ds = new ShapesDataset({ resolution: 32, seed: 7 });
 * const { images, factors } = ds.nextTensor(16); // images: tf.Tensor4D [16, 32, 32, 3]
 * images.dispose();
 * const saved = ds.state(); // { seed: 7, index: 16 }
 */
export class ShapesDataset {
  readonly options: ShapesOptions;
  readonly seed: number;
  private index: number;

  constructor(options: ShapesOptionsInput & { seed?: number } = {}) {
    const { seed = 0, ...rest } = options;
    this.options = parseShapesOptions(rest);
    this.seed = seed;
    this.index = 0;
  }

  get resolution(): number {
    return this.options.resolution;
  }

  /** Factors of image `index` without rendering. */
  factorsAt(index: number): ShapeFactors {
    return shapeFactorsAt(this.seed, index, this.options);
  }

  /** Renders images [start, start + count) without moving the stream. */
  batchAt(start: number, count: number): ShapesBatch {
    return renderFactors(
      Array.from({ length: count }, (_, i) => this.factorsAt(start + i)),
      this.options,
    );
  }

  /** The next `count` images as a typed array; advances the stream. */
  next(count: number): ShapesBatch {
    const b = this.batchAt(this.index, count);
    this.index += count;
    return b;
  }

  /** The next `count` images as a tensor `[count, H, W, 3]` (the caller disposes it). */
  nextTensor(count: number): { images: tf.Tensor4D; factors: ShapeFactors[] } {
    const b = this.next(count);
    return { images: tf.tensor4d(b.images, b.shape), factors: b.factors };
  }

  state(): ShapesDatasetState {
    return { seed: this.seed, index: this.index };
  }

  /** Continues a stream saved with `state()`. */
  restore(state: ShapesDatasetState): void {
    if (state.seed !== this.seed) {
      throw new ShapesError(
        'SHAPES_INVALID_STATE',
        `domain-shapes ShapesDataset.restore: state was saved for seed ${state.seed}, this dataset uses seed ${this.seed}. Create the dataset with the saved seed.`,
      );
    }
    if (!Number.isInteger(state.index) || state.index < 0)
      throw new ShapesError(
        'SHAPES_INVALID_STATE',
        `domain-shapes ShapesDataset.restore: index must be a non-negative integer, got ${state.index}`,
      );
    this.index = state.index;
  }
}

/**
 * Factors as a `[B, 4]` table of ground-truth measurements in the plugins' units:
 * hue (deg), x (px), y (px), size (fraction).
 */
/**
 * The shapes stream as a training dataset (`@gan-control/trainer`'s `TrainingDataset` shape: the
 * trainer depends on no domain package, a domain hands it its datasets). Its state is the stream
 * index, so a resumed run continues the same images.
 *
 * @example
 * import { train, preset } from '@gan-control/trainer';
 * import { shapesPlugins, shapesDatasets } from '@gan-control/domain-shapes';
 * await train(preset('shapes-32'), { outDir: 'runs/shapes', plugins: shapesPlugins, datasets: shapesDatasets });
 */
export function shapesTrainingDataset({
  resolution,
  seed,
  options,
}: {
  resolution: number;
  seed: number;
  options: Record<string, unknown>;
}) {
  const ds = new ShapesDataset({ ...options, resolution, seed });
  return {
    resolution,
    description: `procedural shapes ${resolution}px (seed ${seed})`,
    next: (count: number): tf.Tensor4D => ds.nextTensor(count).images,
    state: (): ShapesDatasetState => ds.state(),
    restore: (state: unknown): void => ds.restore(state as ShapesDatasetState),
  };
}

/** The procedural datasets this domain provides, by the name a training config gives (`dataset.name`). */
export const shapesDatasets = { shapes: shapesTrainingDataset } as const;

export function factorsTable(factors: readonly ShapeFactors[]): { hue: number[]; x: number[]; y: number[]; size: number[] } {
  return {
    hue: factors.map((f) => f.hue),
    x: factors.map((f) => f.x),
    y: factors.map((f) => f.y),
    size: factors.map((f) => f.size),
  };
}
