// A complete attribute plugin: the mean colour of an image (a non-face attribute).
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PLUGIN_API_VERSION, type AttributePlugin } from '@gan-control/contrastive-loss';

/** Options, with defaults; the TypeScript types come from this schema. */
export const meanColourOptions = z.object({
  /** λ: weight of this attribute's contrastive term. */
  weight: z.number().min(0).default(1),
  /** τ+: pairs that share the colour sub-vector are pushed below this distance. */
  tauPlus: z.number().min(0).default(0.02),
  /** τ−: all other pairs are pushed above this distance. */
  tauMinus: z.number().min(0).default(0.2),
  /** Suggested size of the colour sub-vector of the latent. */
  latentSize: z.number().int().positive().default(16),
});

/** Per-image mean of each channel: NHWC [-1, 1] → [B, 3] in [-1, 1]. Differentiable. */
function averageColour(images: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(images, [1, 2]) as tf.Tensor2D;
}

/** The factory: returns a fresh plugin object. */
export function meanColour(): AttributePlugin<typeof meanColourOptions> {
  return {
    name: 'mean-colour',
    version: '1.0.0',
    apiVersion: PLUGIN_API_VERSION,
    description: 'Average RGB colour of the image (red, green, blue as fractions).',
    options: meanColourOptions,
    async setup(options) {
      // A real plugin would load its network here (await fetch/read weights), keep the
      // weight tensors, and release them in dispose(). This one is analytic.
      return {
        name: 'mean-colour',
        latentSize: options.latentSize,
        // M_k: the embedding the loss compares; synchronous and differentiable.
        embed: (images) => tf.tidy(() => averageColour(images)),
        distance: 'l1-mean',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        // y^k: the human-interpretable values an encoder learns to invert.
        measure: (images) => tf.tidy(() => tf.add(tf.mul(averageColour(images), 0.5), 0.5) as tf.Tensor2D),
        values: [
          { name: 'red', unit: 'fraction', range: [0, 1] },
          { name: 'green', unit: 'fraction', range: [0, 1] },
          { name: 'blue', unit: 'fraction', range: [0, 1] },
        ],
        dispose: () => {},
      };
    },
  };
}

/** A plugin package's default export is its plugin object. */
export default meanColour();
