import * as tf from '@tensorflow/tfjs-core';
import type { Attribute, AttributePlugin } from '@gan-control/contrastive-loss';
import { sizeFraction, squaredDistance } from '../measure.js';
import { lossOptions, PACKAGE_VERSION } from './common.js';
import { SIZE_SCALE, THRESHOLDS } from './thresholds.js';

/** Options of the size attribute. Distances are squared differences of size / `SIZE_SCALE`. */
export const sizeOptionsSchema = lossOptions({ ...THRESHOLDS.size, latentSize: 16 });

/**
 * Creates the size attribute plugin: M_size(image) = √(covered area) / image side (the dataset's
 * size factor) divided by `SIZE_SCALE`, d = squared difference, `measure` = the same fraction.
 *
 * @example
 * const size = await createAttribute(sizePlugin());
 * const s = size.measure!(images); // [B, 1], e.g. 0.25 = a shape with the area of a square a quarter of the side wide
 */
export function sizePlugin(): AttributePlugin<typeof sizeOptionsSchema> {
  return {
    name: 'size',
    version: PACKAGE_VERSION,
    apiVersion: 1,
    description: 'Size of the shape: √(area) as a fraction of the image side.',
    options: sizeOptionsSchema,
    async setup(options): Promise<Attribute> {
      return {
        name: 'size',
        latentSize: options.latentSize,
        embed: (images: tf.Tensor4D) => tf.tidy(() => tf.div(sizeFraction(images, { gated: true }), SIZE_SCALE) as tf.Tensor2D),
        distance: squaredDistance,
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: (images: tf.Tensor4D) => sizeFraction(images),
        values: [{ name: 'size', unit: 'fraction', range: [0, 1] }],
        dispose() {},
      };
    },
  };
}

/** The size plugin object. */
export const size = sizePlugin();
