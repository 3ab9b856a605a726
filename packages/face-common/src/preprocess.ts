// Image checks and the official preprocessing (centre crop, resize, value-range conversion).
// Shared by the face plugins; each plugin passes its own name into every error.
import * as tf from '@tensorflow/tfjs-core';

import { FaceError } from './errors.js';

/**
 * Values beyond ±RANGE_LIMIT mean the caller did not pass [-1, 1] images (for example [0, 255]).
 * Raw generator output overshoots [-1, 1] a little, so the limit is loose on purpose.
 */
export const RANGE_LIMIT = 2;

/**
 * Checks that `images` is a non-empty NHWC RGB float batch in [-1, 1] (with the ±2 slack above).
 * The range check (skipped when `checkRange` is false) reads two scalars back from the backend.
 *
 * @example
 * checkImages(tf.zeros([2, 64, 64, 3]), 'pose'); // ok
 * checkImages(tf.zeros([64, 64, 3]) as never, 'pose'); // throws FACE_INPUT_SHAPE naming 'pose'
 */
export function checkImages(images: tf.Tensor, plugin: string, minSide: number, checkRange = true): asserts images is tf.Tensor4D {
  if (!(images instanceof tf.Tensor)) {
    throw new FaceError('FACE_INPUT_TYPE', `${plugin}: expected a tf.Tensor4D of images, got ${typeof images}.`);
  }
  const s = images.shape;
  if (s.length !== 4 || s[3] !== 3 || s[0] < 1) {
    throw new FaceError(
      'FACE_INPUT_SHAPE',
      `${plugin}: expected images of shape [batch, height, width, 3] (NHWC RGB), got [${s.join(', ')}]. Transpose NCHW batches to NHWC and add a batch axis to single images.`,
    );
  }
  if (s[1] < minSide || s[2] < minSide) {
    throw new FaceError(
      'FACE_INPUT_SHAPE',
      `${plugin}: images of ${s[1]}×${s[2]} px are too small; the crop must keep at least ${minSide}×${minSide} px.`,
    );
  }
  if (images.dtype !== 'float32') {
    throw new FaceError('FACE_INPUT_DTYPE', `${plugin}: expected float32 images in [-1, 1], got dtype ${images.dtype}.`);
  }
  if (!checkRange) return;
  const [lo, hi] = tf.tidy(() => [tf.min(images), tf.max(images)]);
  const min = lo.dataSync()[0];
  const max = hi.dataSync()[0];
  lo.dispose();
  hi.dispose();
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new FaceError('FACE_INPUT_RANGE', `${plugin}: images contain NaN or infinite values.`);
  }
  if (min < -RANGE_LIMIT || max > RANGE_LIMIT) {
    throw new FaceError(
      'FACE_INPUT_RANGE',
      `${plugin}: image values span [${min}, ${max}] but must lie in [-1, 1] (generator output). Convert 8-bit images with x / 127.5 − 1.`,
    );
  }
}

/**
 * The official preprocessing: centre crop of `fraction` of each side (official GAN-Control: 480 of
 * 512), bilinear resize to `size`×`size` (tfjs `resizeBilinear`, alignCorners = false, the
 * resize face-api applies), and [-1, 1] → [0, 255]. Differentiable with respect to `images`.
 *
 * @example
 * const x = centreCropResize(images, 480 / 512, 112); // [B, 112, 112, 3] in [0, 255]
 */
export function centreCropResize(images: tf.Tensor4D, fraction: number, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = images.shape;
    const ch = Math.max(1, Math.round(h * fraction));
    const cw = Math.max(1, Math.round(w * fraction));
    const top = Math.floor((h - ch) / 2);
    const left = Math.floor((w - cw) / 2);
    let x: tf.Tensor4D = ch === h && cw === w ? images : tf.slice(images, [0, top, left, 0], [-1, ch, cw, 3]);
    if (ch !== size || cw !== size) x = tf.image.resizeBilinear(x, [size, size], false, false);
    return tf.mul(tf.add(x, 1), 127.5);
  });
}
