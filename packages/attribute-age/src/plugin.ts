import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { version } from '../package.json';
import type { Attribute, AttributePlugin, ValueInfo } from '@gan-control/contrastive-loss';
import { predictAge, AGE_INPUT_SIZE, disposeAgeNet, loadAgeNet } from './network.js';
import { centreCropResize, checkImages, FaceError, faceApiModelDir, faceOptionsSchema } from '@gan-control/face-common';

/** The plugin name: also the latent group it controls (`officialFfhqLayout()` calls it `age`). */
export const PLUGIN_NAME = 'age';
/** This package's version, read from its package.json at build time. */
export const PLUGIN_VERSION: string = version;

/**
 * Default thresholds on d = |Δage| in years, set from measurements on 24 real faces (README
 * "Calibration", scripts/calibrate.ts). The network is noisy: one face under nuisance changes
 * (shifted crop, ±20 % brightness, mirroring, 5° rotation) moves by a median 2.2 and a p95 of
 * 6.6 years, while different (mostly 18–35-year-old) faces differ by a median 6.8 years, so the
 * percentile rule of the identity and pose plugins (τ+ = nuisance p95, τ− = different p16) would
 * give τ+ > τ−. Instead τ+ = 3 years (just above the nuisance median: positives are not pushed
 * below the estimator's own noise) and τ− = 7 years (the different-faces median); λ = 0.45 / τ−
 * ≈ 0.064, so a collapsed negative pair costs what it costs in the official identity term
 * (0.25 · 1.8 = 0.45).
 */
export const DEFAULT_THRESHOLDS = { tauPlus: 3, tauMinus: 7, weight: 0.064 } as const;

/** Options of the age plugin (zod; the TypeScript types derive from it). */
export const ageOptionsSchema = faceOptionsSchema({
  defaults: { ...DEFAULT_THRESHOLDS, latentSize: 64 },
  unit: 'years (|Δage|)',
  weightsFile: 'age_gender_model-weights_manifest.json',
});

/** Options as a user writes them. */
export type AgeOptionsInput = z.input<typeof ageOptionsSchema>;
/** Options after validation and defaults. */
export type AgeOptions = z.output<typeof ageOptionsSchema>;

/** Name and unit of `measure`'s column. */
export const AGE_VALUES: readonly ValueInfo[] = [{ name: 'age', unit: 'years', range: [0, 100] }];

/**
 * Creates the apparent-age plugin M_age: the age head of face-api's pretrained age/gender network
 * (TinyXception, 112×112), rebuilt with tfjs-core ops (differentiable with respect to the image).
 * `embed` and `measure` return `[B, 1]` years; distance `l1-mean` (absolute difference in years).
 *
 * @example
 * import { createAttribute } from '@gan-control/contrastive-loss';
 * import { agePlugin } from '@gan-control/attribute-age';
 * const age = await createAttribute(agePlugin());
 * const years = age.measure!(images); // [B, 1]
 * age.dispose();
 */
export function agePlugin(): AttributePlugin<typeof ageOptionsSchema> {
  return {
    name: PLUGIN_NAME,
    version: PLUGIN_VERSION,
    apiVersion: 1,
    description: 'Apparent age in years: face-api age/gender TinyXception, age head.',
    options: ageOptionsSchema,
    async setup(options: AgeOptions): Promise<Attribute> {
      const net = await loadAgeNet(options.modelDir ?? faceApiModelDir(), PLUGIN_NAME);
      const minSide = Math.ceil(1 / options.cropFraction);
      let disposed = false;
      const embed = (images: tf.Tensor4D): tf.Tensor2D => {
        if (disposed)
          throw new FaceError('FACE_DISPOSED', `${PLUGIN_NAME}: the attribute was disposed; create it again with createAttribute.`);
        checkImages(images, PLUGIN_NAME, minSide, options.checkRange);
        return tf.tidy(
          () => tf.expandDims(predictAge(net, centreCropResize(images, options.cropFraction, AGE_INPUT_SIZE)), 1) as tf.Tensor2D,
        );
      };
      return {
        name: PLUGIN_NAME,
        latentSize: options.latentSize,
        embed,
        distance: 'l1-mean',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: embed,
        values: AGE_VALUES,
        dispose() {
          if (disposed) return;
          disposed = true;
          disposeAgeNet(net);
        },
      };
    },
  };
}
