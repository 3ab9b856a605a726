// Head pose from 68 landmarks: a closed-form weak-perspective (scaled orthographic) fit of a generic
// 3-D mean face, written as plain tensor ops so it is differentiable end to end.
import * as tf from '@tensorflow/tfjs-core';

/**
 * A generic 3-D mean face for the landmarks that do not depend on the silhouette (eyes, nose,
 * mouth corners and centres, chin tip), in millimetres: x towards the subject's left (image right
 * in a frontal view), y up, z out of the face; origin at the nose tip. Symmetric about x = 0.
 * Values are rounded adult anthropometric averages written for this package (eye corners
 * 32/90 mm apart, nasion–subnasale 52 mm, nasal tip 15 mm in front of subnasale, mouth 50 mm wide,
 * subnasale–stomion 21 mm, stomion–chin 43 mm); absolute angles inherit their approximation
 * (README), differences — what the loss uses — much less so.
 */
export const MEAN_FACE: Readonly<Record<number, readonly [number, number, number]>> = {
  // chin (gnathion)
  8: [0, -73, -28],
  // nose bridge (27 = top, between the eyes) down to the tip (30), then the nostril base 31..35
  27: [0, 43, -22],
  28: [0, 30, -16],
  29: [0, 15, -9],
  30: [0, 0, 0],
  31: [-16, -5, -25],
  32: [-8, -8, -18],
  33: [0, -9, -15],
  34: [8, -8, -18],
  35: [16, -5, -25],
  // eyes: 36/45 outer corners, 39/42 inner corners, 37/38/43/44 upper lids, 40/41/46/47 lower lids
  36: [-45, 37, -45],
  37: [-36, 41, -38],
  38: [-25, 41, -35],
  39: [-16, 37, -32],
  40: [-25, 33, -35],
  41: [-36, 33, -38],
  42: [16, 37, -32],
  43: [25, 41, -35],
  44: [36, 41, -38],
  45: [45, 37, -45],
  46: [36, 33, -38],
  47: [25, 33, -35],
  // mouth: corners 48/54, upper lip top 51, lower lip bottom 57
  48: [-25, -30, -32],
  51: [0, -23, -18],
  54: [25, -30, -32],
  57: [0, -39, -20],
};

/** The landmark indices the fit uses (keys of MEAN_FACE, ascending). */
export const FIT_INDICES: readonly number[] = Object.keys(MEAN_FACE)
  .map(Number)
  .sort((a, b) => a - b);

// A = Xc (Xcᵀ Xc)⁻¹ (N × 3) for the centred model Xc: the least-squares 2×3 camera is M = Pcᵀ A.
function modelPseudoInverse(): number[][] {
  const X = FIT_INDICES.map((i) => MEAN_FACE[i]);
  const mean = [0, 1, 2].map((k) => X.reduce((s, p) => s + p[k], 0) / X.length);
  const Xc = X.map((p) => p.map((v, k) => v - mean[k]));
  const G = [0, 1, 2].map((a) => [0, 1, 2].map((b) => Xc.reduce((s, p) => s + p[a] * p[b], 0)));
  const [[a, b, c], [d, e, f], [g, h, i]] = G;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const inv = [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
  return Xc.map((p) => [0, 1, 2].map((k) => p[0] * inv[0][k] + p[1] * inv[1][k] + p[2] * inv[2][k]));
}
const PINV = modelPseudoInverse();
const RAD2DEG = 180 / Math.PI;
const EPS = 1e-12;

function unit(v: tf.Tensor2D): tf.Tensor2D {
  return tf.div(v, tf.sqrt(tf.add(tf.sum(tf.square(v), 1, true), EPS))) as tf.Tensor2D;
}

function cross(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [a0, a1, a2] = tf.split(a, 3, 1);
  const [b0, b1, b2] = tf.split(b, 3, 1);
  return tf.concat(
    [tf.sub(tf.mul(a1, b2), tf.mul(a2, b1)), tf.sub(tf.mul(a2, b0), tf.mul(a0, b2)), tf.sub(tf.mul(a0, b1), tf.mul(a1, b0))],
    1,
  ) as tf.Tensor2D;
}

/**
 * Yaw, pitch and roll in degrees from 68 landmarks `[B, 136]` (x, y interleaved, image
 * coordinates: x right, y down; any common scale). Steps, all tensor ops:
 * 1. take the MEAN_FACE landmarks, flip y (y up), centre them;
 * 2. least-squares affine camera M = Pcᵀ · Xc (Xcᵀ Xc)⁻¹ (2 × 3, closed form; Xc is constant);
 * 3. rows r1, r2 → Gram–Schmidt → R = [r1; r2; r1 × r2] (model → camera rotation);
 * 4. R = Ry(yaw) · Rx(−pitch) · Rz(roll): yaw = atan2(R13, R33),
 *    pitch = atan2(R23, √(R13² + R33²)), roll = atan2(R21, R22).
 * Conventions: yaw > 0 when the face turns towards the image's right, pitch > 0 when it looks up,
 * roll > 0 when the head is rotated counter-clockwise as the image is viewed.
 *
 * @example
 * const ypr = tf.tidy(() => poseFromLandmarks(lm)); // [B, 3] degrees
 */
export function poseFromLandmarks(lm: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const B = lm.shape[0];
    const pts = tf.reshape(lm, [B, 68, 2]);
    const sel = tf.gather(pts, FIT_INDICES as number[], 1); // [B, N, 2]
    const flipped = tf.mul(sel, tf.tensor1d([1, -1]));
    const centred = tf.sub(flipped, tf.mean(flipped, 1, true)) as tf.Tensor3D;
    const A = tf.tensor2d(PINV); // [N, 3]
    const M = tf.matMul(tf.transpose(centred, [0, 2, 1]), tf.tile(tf.expandDims(A, 0), [B, 1, 1])); // [B, 2, 3]
    const r1 = unit(tf.reshape(tf.slice(M, [0, 0, 0], [B, 1, 3]), [B, 3]));
    const r2raw = tf.reshape(tf.slice(M, [0, 1, 0], [B, 1, 3]), [B, 3]) as tf.Tensor2D;
    const r2 = unit(tf.sub(r2raw, tf.mul(tf.sum(tf.mul(r1, r2raw), 1, true), r1)) as tf.Tensor2D);
    const r3 = cross(r1, r2);
    const col = (r: tf.Tensor2D, k: number) => tf.reshape(tf.slice(r, [0, k], [B, 1]), [B]);
    const R13 = col(r1, 2);
    const R33 = col(r3, 2);
    const R23 = col(r2, 2);
    const yaw = tf.atan2(R13, R33);
    const pitch = tf.atan2(R23, tf.sqrt(tf.add(tf.add(tf.square(R13), tf.square(R33)), EPS)));
    const roll = tf.atan2(col(r2, 0), col(r2, 1));
    return tf.mul(tf.stack([yaw, pitch, roll], 1), RAD2DEG) as tf.Tensor2D;
  });
}
