import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gan-control/latent';

/**
 * Solid-colour NHWC images in [-1, 1] from RGB fractions in [0, 1].
 *
 * @example
 * ```ts
 * const images = solidImages([[1, 0, 0], [0, 0, 1]], 4); // [2, 4, 4, 3]: red, blue
 * ```
 */
export function solidImages(colours: readonly (readonly number[])[], size = 8): tf.Tensor4D {
  const C = colours[0]?.length ?? 3;
  const data = new Float32Array(colours.length * size * size * C);
  colours.forEach((colour, b) => {
    for (let p = 0; p < size * size; p++) for (let c = 0; c < C; c++) data[(b * size * size + p) * C + c] = colour[c] * 2 - 1;
  });
  return tf.tensor4d(data, [colours.length, size, size, C]);
}

/**
 * Deterministic uniform-noise NHWC images in [-1, 1] (same seed → same images on every backend).
 *
 * @example
 * ```ts
 * const images = randomImages(4, 8, 8, 3, 42);
 * ```
 */
export function randomImages(batch: number, height: number, width: number, channels = 3, seed = 0): tf.Tensor4D {
  const rng = createRng(seed);
  const data = new Float32Array(batch * height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextFloat() * 2 - 1;
  return tf.tensor4d(data, [batch, height, width, channels]);
}
