import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { version } from '../package.json';
import type { Attribute, AttributePlugin, ValueInfo } from '@gan-control/contrastive-loss';
import { poseFromLandmarks } from './fit.js';
import { disposeLandmarkNet, LANDMARK_INPUT_SIZE, landmarks, loadLandmarkNet } from './network.js';
import { centreCropResize, checkImages, FaceError, faceApiModelDir, faceOptionsSchema } from '@gan-control/face-common';

/** The plugin name: also the latent group it controls (`officialFfhqLayout()` calls it `pose`). */
export const PLUGIN_NAME = 'pose';
/** This package's version, read from its package.json at build time. */
export const PLUGIN_VERSION: string = version;

/**
 * Default thresholds on d = mean |Δyaw, Δpitch, Δroll| in degrees, calibrated on 24 real faces
 * (README "Calibration", scripts/calibrate.ts): τ+ = 3.5° ≈ the 95th percentile of one face under
 * nuisance changes (shifted crop, ±20 % brightness: p95 3.39°), τ− = 9.5° ≈ the 16th percentile
 * between different faces (9.51°); λ = 0.45 / τ− ≈ 0.047, so a collapsed negative pair costs what
 * it costs in the official identity term (0.25 · 1.8 = 0.45).
 */
export const DEFAULT_THRESHOLDS = { tauPlus: 3.5, tauMinus: 9.5, weight: 0.047 } as const;

/** Options of the pose plugin (zod; the TypeScript types derive from it). */
export const poseOptionsSchema = faceOptionsSchema({
  defaults: { ...DEFAULT_THRESHOLDS, latentSize: 64 },
  unit: 'degrees (mean |Δyaw, Δpitch, Δroll|)',
  weightsFile: 'face_landmark_68_model-weights_manifest.json',
});

/** Options as a user writes them. */
export type PoseOptionsInput = z.input<typeof poseOptionsSchema>;
/** Options after validation and defaults. */
export type PoseOptions = z.output<typeof poseOptionsSchema>;

/** Names and units of `measure`'s columns. */
export const POSE_VALUES: readonly ValueInfo[] = [
  { name: 'yaw', unit: 'deg', range: [-90, 90] },
  { name: 'pitch', unit: 'deg', range: [-90, 90] },
  { name: 'roll', unit: 'deg', range: [-180, 180] },
];

/** The runtime of the pose plugin (an `Attribute` plus the landmarks it fits). */
export interface PoseAttribute extends Attribute {
  /** 68 landmarks `[B, 136]` (x, y interleaved) relative to the network input (the centre crop). */
  landmarks(images: tf.Tensor4D): tf.Tensor2D;
}

/**
 * Creates the head-pose plugin M_pose: face-api's pretrained 68-point landmark network
 * (112×112), rebuilt with tfjs-core ops, followed by a closed-form weak-perspective fit of a
 * generic 3-D mean face → yaw, pitch, roll in degrees. Differentiable with respect to the image;
 * distance `l1-mean` (mean absolute difference in degrees).
 *
 * @example
 * import { createAttribute } from '@gan-control/contrastive-loss';
 * import { posePlugin } from '@gan-control/attribute-pose';
 * const pose = await createAttribute(posePlugin());
 * const ypr = pose.measure!(images); // [B, 3]: yaw, pitch, roll in degrees
 * pose.dispose();
 */
export function posePlugin(): AttributePlugin<typeof poseOptionsSchema> {
  return {
    name: PLUGIN_NAME,
    version: PLUGIN_VERSION,
    apiVersion: 1,
    description: 'Head pose: face-api 68-point landmarks + weak-perspective 3-D mean-face fit → yaw, pitch, roll (degrees).',
    options: poseOptionsSchema,
    async setup(options: PoseOptions): Promise<PoseAttribute> {
      const net = await loadLandmarkNet(options.modelDir ?? faceApiModelDir(), PLUGIN_NAME);
      const minSide = Math.ceil(1 / options.cropFraction);
      let disposed = false;
      const lm = (images: tf.Tensor4D): tf.Tensor2D => {
        if (disposed)
          throw new FaceError('FACE_DISPOSED', `${PLUGIN_NAME}: the attribute was disposed; create it again with createAttribute.`);
        checkImages(images, PLUGIN_NAME, minSide, options.checkRange);
        return tf.tidy(() => landmarks(net, centreCropResize(images, options.cropFraction, LANDMARK_INPUT_SIZE)));
      };
      const embed = (images: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => poseFromLandmarks(lm(images)));
      return {
        name: PLUGIN_NAME,
        latentSize: options.latentSize,
        embed,
        landmarks: lm,
        distance: 'l1-mean',
        thresholds: { tauPlus: options.tauPlus, tauMinus: options.tauMinus },
        weight: options.weight,
        measure: embed,
        values: POSE_VALUES,
        dispose() {
          if (disposed) return;
          disposed = true;
          disposeLandmarkNet(net);
        },
      };
    },
  };
}
