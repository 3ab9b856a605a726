import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { version } from '../package.json';
import type { Attribute, AttributePlugin, ValueInfo } from '@gan-control/contrastive-loss';
import { disposeFaceRecognitionNet, faceDescriptor, FACE_RECOGNITION_INPUT_SIZE, loadFaceRecognitionNet } from './network.js';
import { centreCropResize, checkImages, FaceError, faceApiModelDir, faceOptionsSchema } from '@gan-control/face-common';

/** The plugin name: also the latent group it controls (`officialFfhqLayout()` calls it `id`). */
export const PLUGIN_NAME = 'id';
/** This package's version, read from its package.json at build time. */
export const PLUGIN_VERSION: string = version;
/** Size of the identity embedding. */
export const EMBEDDING_SIZE = 128;

/**
 * Default thresholds, calibrated for face-api's recognition network with d = 2 − 2cos
 * (README "Calibration", scripts/calibrate.ts; 24 real faces). This network's unit embeddings
 * are far more concentrated than ArcFace's (different people: median d 0.136, not ≈ 2), so the
 * official ArcFace values (τ+ 0.5, τ− 1.8, λ 0.25) are mapped by rule, not copied:
 * - τ+ = 0.04 ≈ the largest distance of one face under nuisance changes (shifted crop, ±20 %
 *   brightness, 5° rotation; p95 0.026, max 0.044);
 * - τ− = 0.10 ≈ the 16th percentile of different-people distances (0.107), as ArcFace's 1.8 is
 *   about one standard deviation below its different-people mean of 2;
 * - λ = 0.25 · 1.8 / 0.10 = 4.5: the hinge loss is linear in d, so shrinking the distance scale
 *   18× and raising λ 18× keeps the official loss and gradient magnitude.
 */
export const DEFAULT_THRESHOLDS = { tauPlus: 0.04, tauMinus: 0.1, weight: 4.5 } as const;

/** Options of the identity plugin (zod; the TypeScript types derive from it). */
export const faceIdOptionsSchema = faceOptionsSchema({
  defaults: { ...DEFAULT_THRESHOLDS, latentSize: 128 },
  unit: 'd = 2 − 2cos',
  weightsFile: 'face_recognition_model-weights_manifest.json',
  maxDistance: 4,
});

/** Options as a user writes them. */
export type FaceIdOptionsInput = z.input<typeof faceIdOptionsSchema>;
/** Options after validation and defaults. */
export type FaceIdOptions = z.output<typeof faceIdOptionsSchema>;

const VALUES: readonly ValueInfo[] = Array.from({ length: EMBEDDING_SIZE }, (_, i) => ({
  name: `id_${i}`,
  unit: '1',
  range: [-1, 1] as const,
}));

/** The runtime of the identity plugin (an `Attribute` plus the raw descriptor for callers that want it). */
export interface FaceIdAttribute extends Attribute {
  /** face-api's unnormalised 128-d descriptor (what its `computeFaceDescriptor` returns) after the plugin's preprocessing. */
  descriptor(images: tf.Tensor4D): tf.Tensor2D;
}

/**
 * Creates the identity plugin M_id: face-api's pretrained ResNet-34-style face recognition
 * network (150×150 → 128-d), rebuilt with tfjs-core ops (differentiable with respect to the
 * image), L2-normalised; distance `squared-l2` (= 2 − 2cos on unit vectors). `measure` returns the
 * unit embedding itself, so a reference photo can drive the identity encoder.
 *
 * @example
 * import { createAttribute } from '@gan-control/contrastive-loss';
 * import { faceIdPlugin } from '@gan-control/attribute-face-id';
 * const id = await createAttribute(faceIdPlugin(), { weight: 0.25 });
 * const e = id.embed(images) as tf.Tensor2D; // [B, 128], unit rows
 * id.dispose();
 */
export function faceIdPlugin(): AttributePlugin<typeof faceIdOptionsSchema> {
  return {
    name: PLUGIN_NAME,
    version: PLUGIN_VERSION,
    apiVersion: 1,
    description: 'Face identity: face-api ResNet-34 recognition embedding (128-d, L2-normalised), d = 2 − 2cos.',
    options: faceIdOptionsSchema,
    async setup(options: FaceIdOptions): Promise<FaceIdAttribute> {
      const net = await loadFaceRecognitionNet(options.modelDir ?? faceApiModelDir(), PLUGIN_NAME);
      const minSide = Math.ceil(1 / options.cropFraction);
      let disposed = false;
      const descriptor = (images: tf.Tensor4D): tf.Tensor2D => {
        if (disposed)
          throw new FaceError('FACE_DISPOSED', `${PLUGIN_NAME}: the attribute was disposed; create it again with createAttribute.`);
        checkImages(images, PLUGIN_NAME, minSide, options.checkRange);
        return tf.tidy(() => faceDescriptor(net, centreCropResize(images, options.cropFraction, FACE_RECOGNITION_INPUT_SIZE)));
      };
      const embed = (images: tf.Tensor4D): tf.Tensor2D =>
        tf.tidy(() => {
          const d = descriptor(images);
          return tf.div(d, tf.sqrt(tf.add(tf.sum(tf.square(d), 1, true), 1e-12))) as tf.Tensor2D;
        });
      return {
        name: PLUGIN_NAME,
        latentSize: options.latentSize,
        embed,
        descriptor,
        distance: 'squared-l2',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: embed,
        values: VALUES,
        dispose() {
          if (disposed) return;
          disposed = true;
          disposeFaceRecognitionNet(net);
        },
      };
    },
  };
}
