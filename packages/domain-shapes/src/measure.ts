import * as tf from '@tensorflow/tfjs-core';
import { ShapesError } from './errors.js';
import { COLOR_MEAN } from './render.js';

/**
 * Analytic, differentiable read-outs of a shapes image (NHWC in [-1, 1]). They invert the
 * renderer's colour model (see `COLOR_MEAN` in render.ts): on the black background a pixel's
 * coverage is α = (R + G + B) / (3·COLOR_MEAN) with R, G, B in [0, 1], and the hue of the shape is
 * the opponent-colour angle of the summed colour. All functions are synchronous tensor code, safe
 * under `tf.tidy` and `tf.grad`; they never dispose their input.
 */

const EPS = 1e-6;

function checkImages(images: tf.Tensor4D, who: string): void {
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new ShapesError(
      'SHAPES_BAD_INPUT',
      `domain-shapes ${who}: expected images [B, H, W, 3] (NHWC, RGB in [-1, 1]), got shape [${images.shape.join(', ')}]`,
    );
  }
}

/** Per-channel colour in [0, 1], clipped. */
function rgb01(images: tf.Tensor4D): tf.Tensor4D {
  return tf.clipByValue(tf.add(tf.mul(images, 0.5), 0.5), 0, 1) as tf.Tensor4D;
}

/**
 * Coverage α ∈ [0, 1] of every pixel, `[B, H, W]`.
 *
 * @example
 * const a = tf.tidy(() => coverage(images)); // 1 inside the shape, 0 on the background
 */
export function coverage(images: tf.Tensor4D): tf.Tensor3D {
  checkImages(images, 'coverage');
  return tf.tidy(() => tf.clipByValue(tf.div(tf.sum(rgb01(images), 3), 3 * COLOR_MEAN), 0, 1) as tf.Tensor3D);
}

const STEP_SHARPNESS = 12;
const STEP_AT_0 = 1 / (1 + Math.exp(STEP_SHARPNESS * 0.5));
const STEP_AT_1 = 1 / (1 + Math.exp(-STEP_SHARPNESS * 0.5));

/** Soft step of the coverage, 0 at α = 0, 1 at α = 1, ½ at α = ½ (a rescaled sigmoid, slope 3 at ½). */
function softStep(a: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.div(tf.sub(tf.sigmoid(tf.mul(tf.sub(a, 0.5), STEP_SHARPNESS)), STEP_AT_0), STEP_AT_1 - STEP_AT_0), 0, 1);
}

/**
 * "Gated" coverage `[B, H, W]`: a soft step of α (0 → 0, ½ → ½, 1 → 1, steep in between). A pixel
 * counts by whether it is inside the shape, not by how bright it is, so a generator cannot move
 * the embeddings cheaply by dimming a shape or spreading a faint tint over the background. On
 * rendered images (α ∈ {0, 1} except anti-aliased edges) it changes only edge pixels.
 */
export function gatedCoverage(images: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => softStep(coverage(images)) as tf.Tensor3D);
}

/**
 * Unit hue vectors `[B, 2]` = (cos hue, sin hue) of the summed colour.
 * Hue angle = atan2(√3·(ΣG − ΣB), 2ΣR − ΣG − ΣB), exact for the renderer's colours.
 */
export function hueVector(images: tf.Tensor4D, opts: { gated?: boolean } = {}): tf.Tensor2D {
  checkImages(images, 'hueVector');
  return tf.tidy(() => {
    // Gated: each pixel's colour weighted by its gate (a pixel's chromaticity, hence the hue of
    // a rendered image, does not depend on the weights).
    const rgb = rgb01(images);
    const weighted = opts.gated ? tf.mul(rgb, tf.reshape(gatedCoverage(images), [...images.shape.slice(0, 3), 1])) : rgb;
    const s = tf.sum(weighted, [1, 2]); // [B, 3]
    // slice (not split): its gradient is among the twice-differentiable ones registered in Node.
    const r = tf.slice(s, [0, 0], [-1, 1]);
    const g = tf.slice(s, [0, 1], [-1, 1]);
    const b = tf.slice(s, [0, 2], [-1, 1]);
    const c = tf.sub(tf.sub(tf.mul(r, 2), g), b);
    const sn = tf.mul(tf.sub(g, b), Math.sqrt(3));
    const v = tf.concat([c, sn], 1);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(v), 1, true), EPS));
    return tf.div(v, norm) as tf.Tensor2D;
  });
}

/** Hue in degrees `[B, 1]`, in [0, 360). Not differentiable at the wrap; use `hueVector` for losses. */
export function hueDegrees(images: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const v = hueVector(images);
    const c = tf.slice(v, [0, 0], [-1, 1]);
    const s = tf.slice(v, [0, 1], [-1, 1]);
    const deg = tf.mul(tf.atan2(s, c), 180 / Math.PI);
    return tf.mod(tf.add(deg, 360), 360) as tf.Tensor2D;
  });
}

/**
 * Coverage-weighted centroid `[B, 2]` = (x, y) in pixels (pixel i spans [i, i+1]).
 */
export function centroidPixels(images: tf.Tensor4D, opts: { gated?: boolean } = {}): tf.Tensor2D {
  checkImages(images, 'centroidPixels');
  const [, h, w] = images.shape;
  return tf.tidy(() => {
    const a = opts.gated ? gatedCoverage(images) : coverage(images); // [B, H, W]
    const mass = tf.add(tf.sum(a, [1, 2]), EPS); // [B]
    const xs = tf.reshape(tf.add(tf.range(0, w, 1, 'float32'), 0.5), [1, 1, w]);
    const ys = tf.reshape(tf.add(tf.range(0, h, 1, 'float32'), 0.5), [1, h, 1]);
    const cx = tf.div(tf.sum(tf.mul(a, xs), [1, 2]), mass);
    const cy = tf.div(tf.sum(tf.mul(a, ys), [1, 2]), mass);
    return tf.concat([tf.reshape(cx, [-1, 1]), tf.reshape(cy, [-1, 1])], 1) as tf.Tensor2D;
  });
}

/** Size `[B, 1]` = √(covered area) / image side, the dataset's size factor. */
export function sizeFraction(images: tf.Tensor4D, opts: { gated?: boolean } = {}): tf.Tensor2D {
  checkImages(images, 'sizeFraction');
  const [, h, w] = images.shape;
  return tf.tidy(() => {
    const area = tf.div(tf.sum(opts.gated ? gatedCoverage(images) : coverage(images), [1, 2]), h * w);
    return tf.reshape(tf.sqrt(tf.add(area, EPS * EPS)), [-1, 1]) as tf.Tensor2D;
  });
}

/**
 * Pairwise `1 − cos(Δhue)` from unit hue vectors `[B, 2]` → `[B, B]` in [0, 2]; circular, so 359°
 * and 1° are close. Smooth everywhere (no square root), zero diagonal.
 */
export function hueDistance(features: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const f = tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
    const d = tf.maximum(tf.sub(1, tf.matMul(f, f, false, true)), 0);
    return tf.mul(d, tf.sub(1, tf.eye(f.shape[0]))) as tf.Tensor2D;
  });
}

/** Pairwise squared Euclidean distance `[B, B]` of features `[B, ...]` (exact zero diagonal). */
export function squaredDistance(features: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const n = features.shape[0];
    const f = tf.reshape(features, [n, -1]);
    const diff = tf.sub(tf.reshape(f, [n, 1, -1]), tf.reshape(f, [1, n, -1]));
    return tf.sum(tf.square(diff), 2) as tf.Tensor2D;
  });
}

/**
 * Compactness `[B, 1]` = area / (2π · mean squared distance from the centroid), on the gated
 * coverage: 1 for a disc, 3/π ≈ 0.955 for a square, 3√3/(2π) ≈ 0.827 for an equilateral triangle
 * (any rotation, any size), so it tells the shape kind (bands: triangle < 0.89 ≤ square < 0.975 ≤
 * disc, `SHAPE_KIND_BANDS`) and its distribution tells whether a generator draws the three kinds.
 *
 * @example
 * const c = tf.tidy(() => compactness(images)); // [[1.0], [0.955], …]
 */
export function compactness(images: tf.Tensor4D): tf.Tensor2D {
  checkImages(images, 'compactness');
  const [, h, w] = images.shape;
  return tf.tidy(() => {
    const a = gatedCoverage(images); // faint background pixels do not count
    const ys = tf.reshape(tf.add(tf.range(0, h, 1, 'float32'), 0.5), [1, h, 1]);
    const xs = tf.reshape(tf.add(tf.range(0, w, 1, 'float32'), 0.5), [1, 1, w]);
    const m = tf.add(tf.sum(a, [1, 2]), EPS); // [B]
    const cx = tf.div(tf.sum(tf.mul(a, xs), [1, 2]), m);
    const cy = tf.div(tf.sum(tf.mul(a, ys), [1, 2]), m);
    const dx = tf.sub(xs, tf.reshape(cx, [-1, 1, 1]));
    const dy = tf.sub(ys, tf.reshape(cy, [-1, 1, 1]));
    const r2 = tf.div(tf.sum(tf.mul(a, tf.add(tf.square(dx), tf.square(dy))), [1, 2]), m);
    return tf.reshape(tf.div(m, tf.add(tf.mul(r2, 2 * Math.PI), EPS)), [-1, 1]) as tf.Tensor2D;
  });
}

/** Compactness bands of the shape kinds (`compactness`): triangle below `square`, disc from `disc` on. */
export const SHAPE_KIND_BANDS = { square: 0.89, disc: 0.975 } as const;
