import * as tf from '@tensorflow/tfjs-core';
import type { Attribute, AttributePlugin } from '@gan-control/contrastive-loss';
import { centroidPixels, squaredDistance } from '../measure.js';
import { lossOptions, PACKAGE_VERSION } from './common.js';
import { POSITION_SCALE, THRESHOLDS } from './thresholds.js';

/** Options of the position attribute. Distances are squared, in units of the dataset's position std (`POSITION_SCALE` of the side). */
export const positionOptionsSchema = lossOptions({ ...THRESHOLDS.position, latentSize: 16 });

/**
 * Creates the position attribute plugin: M_position(image) = the coverage-weighted centroid as a
 * fraction of the image side divided by `POSITION_SCALE` (resolution independent), d = squared
 * Euclidean distance,
 * `measure` = (x, y) in pixels of the measured image.
 *
 * @example
 * const pos = await createAttribute(positionPlugin());
 * const xy = pos.measure!(images); // [B, 2] pixels
 */
export function positionPlugin(): AttributePlugin<typeof positionOptionsSchema> {
  return {
    name: 'position',
    version: PACKAGE_VERSION,
    apiVersion: 1,
    description: 'Centre of the shape (x, y in pixels), the coverage-weighted centroid.',
    options: positionOptionsSchema,
    async setup(options): Promise<Attribute> {
      return {
        name: 'position',
        latentSize: options.latentSize,
        embed: (images: tf.Tensor4D) =>
          tf.tidy(() => tf.div(centroidPixels(images, { gated: true }), images.shape[2] * POSITION_SCALE) as tf.Tensor2D),
        distance: squaredDistance,
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: (images: tf.Tensor4D) => centroidPixels(images),
        values: [
          { name: 'x', unit: 'px' },
          { name: 'y', unit: 'px' },
        ],
        dispose() {},
      };
    },
  };
}

/** The position plugin object. */
export const position = positionPlugin();
