import type * as tf from '@tensorflow/tfjs-core';
import type { Attribute, AttributePlugin } from '@gan-control/contrastive-loss';
import { hueDegrees, hueDistance, hueVector } from '../measure.js';
import { lossOptions, PACKAGE_VERSION } from './common.js';
import { THRESHOLDS } from './thresholds.js';

/** Options of the colour (hue) attribute. Distances are `1 − cos Δhue`. */
export const colorOptionsSchema = lossOptions({ ...THRESHOLDS.color, latentSize: 16 });

/**
 * Creates the colour attribute plugin: M_color(image) = the unit hue vector (cos h, sin h) of the
 * image's summed colour, d = 1 − cos Δh (circular: 359° and 1° are 2° apart), `measure` = hue in
 * degrees [0, 360). Analytic, no weights.
 *
 * @example
 * import { createAttribute } from '@gan-control/contrastive-loss';
 * const color = await createAttribute(colorPlugin(), { weight: 1 });
 * const hue = color.measure!(images); // [B, 1] degrees
 */
export function colorPlugin(): AttributePlugin<typeof colorOptionsSchema> {
  return {
    name: 'color',
    version: PACKAGE_VERSION,
    apiVersion: 1,
    description: 'Hue of the shape (degrees), read analytically from the image colour.',
    options: colorOptionsSchema,
    async setup(options): Promise<Attribute> {
      return {
        name: 'color',
        latentSize: options.latentSize,
        embed: (images: tf.Tensor4D) => hueVector(images, { gated: true }),
        distance: hueDistance,
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: (images: tf.Tensor4D) => hueDegrees(images),
        values: [{ name: 'hue', unit: 'deg', range: [0, 360] }],
        dispose() {},
      };
    },
  };
}

/** The colour plugin object. */
export const color = colorPlugin();
