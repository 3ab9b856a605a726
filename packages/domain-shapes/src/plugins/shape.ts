import * as tf from '@tensorflow/tfjs-core';
import type { Attribute, AttributePlugin } from '@gan-control/contrastive-loss';
import { compactness, squaredDistance } from '../measure.js';
import { lossOptions, PACKAGE_VERSION } from './common.js';

/**
 * Scale of the shape embedding: compactness / 0.05, so the closest two kinds (square 0.955, disc 1)
 * lie 0.9 apart (squared distance 0.81) and a triangle (0.827) 2.6 from a square.
 */
export const SHAPE_SCALE = 0.05;

/**
 * Options of the shape-kind attribute. τ− = 0.5 lies below the squared distance of the closest two
 * kinds (0.81); τ+ = τ−/4, as the other shapes attributes. No bundled model trains with it: it is
 * the measure of the kind (leakage into it, realism), which no latent group controls.
 */
export const shapeOptionsSchema = lossOptions({ tauPlus: 0.125, tauMinus: 0.5, latentSize: 8 });

/**
 * Creates the shape-kind attribute plugin: M_shape(image) = `compactness` / `SHAPE_SCALE`,
 * d = squared difference, `measure` = the compactness (1 disc, 0.955 square, 0.827 triangle;
 * kinds by `SHAPE_KIND_BANDS`). `gan-control evaluate --compare` measures it on shapes models, so
 * the leakage of an edit into the kind is reported beside the controlled attributes.
 *
 * @example
 * const shape = await createAttribute(shapePlugin());
 * const c = shape.measure!(images); // [B, 1]
 */
export function shapePlugin(): AttributePlugin<typeof shapeOptionsSchema> {
  return {
    name: 'shape',
    version: PACKAGE_VERSION,
    apiVersion: 1,
    description: 'Shape kind as compactness: 1 disc, 0.955 square, 0.827 triangle.',
    options: shapeOptionsSchema,
    async setup(options): Promise<Attribute> {
      return {
        name: 'shape',
        latentSize: options.latentSize,
        embed: (images: tf.Tensor4D) => tf.tidy(() => tf.div(compactness(images), SHAPE_SCALE) as tf.Tensor2D),
        distance: squaredDistance,
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: (images: tf.Tensor4D) => compactness(images),
        values: [{ name: 'compactness', unit: 'ratio', range: [0.7, 1.05] }],
        dispose() {},
      };
    },
  };
}

/** The shape-kind plugin object. */
export const shape = shapePlugin();
