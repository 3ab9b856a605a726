// A small analytic "generator" and attributes for the tests: each controlled group drives one
// measurable property of an 8×8 image, so y^k determines w^k up to a little noise and the
// encoders have something exact to learn. Groups: bright (3), hue (2), tilt (2), other (3).
import * as tf from '@tensorflow/tfjs-core';
import type { Attribute } from '@gan-control/contrastive-loss';
import type { GeneratorLike } from '../src/model.js';

export const TOY_GROUPS = [
  { name: 'bright', size: 3 },
  { name: 'hue', size: 2 },
  { name: 'tilt', size: 2 },
  { name: 'other', size: 3 },
] as const;
/** The encoder settings the tests train the toy with (768 samples, MLP 32→32, 20 epochs). */
export const TOY_BUILD = {
  count: 768,
  epochs: 20,
  seed: 1,
  sampler: { batchSize: 64, shardSize: 512 },
  training: { architecture: { hidden: [32, 32] }, batchSize: 64, learningRate: 5e-3, patience: 5 },
};
/** A small encoder spec of two values, one circular (hue, degrees) and one linear (level). */
export const HUE_LEVEL_SPEC = {
  attribute: 'hue',
  group: 'hue',
  wSlice: { offset: 0, size: 3 },
  values: [
    { kind: 'circular' as const, name: 'hue', unit: 'deg', period: 360, range: [0, 360] as [number, number] },
    { kind: 'linear' as const, name: 'level', unit: 'level', mean: 0, std: 1, range: [-2, 2] as [number, number] },
  ],
  architecture: { hidden: [8] },
};
const S = 8;
const grid = (axis: 0 | 1) => {
  const out = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) out[i * S + j] = ((axis === 0 ? j : i) - (S - 1) / 2) / S;
  return out;
};
const checker = () => {
  const out = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) out[i * S + j] = (i + j) % 2 ? 1 : -1;
  return out;
};
const BRIGHT_DIR = [0.8, 0.4, -0.45];

/** The toy generator; `dispose` frees its constant tensors. */
export function createToyGenerator(): GeneratorLike & { dispose(): void } {
  const xg = tf.tensor2d(grid(0), [1, S * S]);
  const yg = tf.tensor2d(grid(1), [1, S * S]);
  const ck = tf.tensor2d(checker(), [1, S * S]);
  const mix = tf.tensor2d([0.05, -0.03, 0.02, 0.01, 0.04, -0.05, -0.02, 0.03, 0.05], [3, 3]);
  const dir = tf.tensor2d([BRIGHT_DIR], [1, 3]);
  const wAvg = tf.zeros([10]);
  const numWs = 3;
  const mapW = (z: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const n = z.shape[0];
      const zb = tf.slice(z, [0, 0], [n, 3]);
      const zh = tf.slice(z, [0, 3], [n, 2]);
      const zt = tf.slice(z, [0, 5], [n, 2]);
      const zo = tf.slice(z, [0, 7], [n, 3]);
      const b = tf.slice(zb, [0, 0], [n, 1]);
      const wb = tf.add(tf.mul(b, dir), tf.matMul(zb, mix));
      const r = tf.sqrt(tf.add(tf.sum(tf.square(zh), 1, true), 1e-6));
      const wh = tf.mul(tf.div(zh, r), tf.add(1, tf.mul(0.05, tf.tanh(tf.sub(r, 1.2)))));
      return tf.concat([wb, wh, zt, zo], 1) as tf.Tensor2D;
    });
  return {
    zDim: 10,
    wDim: 10,
    numWs,
    groups: TOY_GROUPS.map((g, i) => ({ ...g, offset: TOY_GROUPS.slice(0, i).reduce((o, x) => o + x.size, 0) })),
    wAvg,
    mapping(z, opts) {
      return tf.tidy(() => {
        let w = mapW(z);
        const psi = opts?.truncationPsi ?? 1;
        if (psi !== 1) w = tf.add(wAvg, tf.mul(psi, tf.sub(w, wAvg)));
        return tf.tile(tf.expandDims(w, 1), [1, numWs, 1]) as tf.Tensor3D;
      });
    },
    synthesis(ws) {
      return tf.tidy(() => {
        const n = ws.shape[0];
        // Average the layers, so a w+ edit has to reach every layer to take full effect.
        const w = tf.mean(ws, 1) as tf.Tensor2D;
        const col = (a: number, len = 1) => tf.slice(w, [0, a], [n, len]);
        const bright = tf.div(tf.sum(tf.mul(col(0, 3), dir), 1, true), 0.8 ** 2 + 0.4 ** 2 + 0.45 ** 2);
        const base = tf.tanh(tf.mul(bright, 0.5));
        const r = tf.add(tf.add(base, tf.mul(0.1, tf.add(tf.mul(col(5), xg), tf.mul(col(6), yg)))), tf.mul(0.05, tf.mul(col(7), ck)));
        const g = tf.add(tf.mul(0.5, col(3)), tf.mul(0.05, tf.mul(col(8), ck)));
        const bl = tf.add(tf.mul(0.5, col(4)), tf.mul(0.05, tf.mul(col(9), ck)));
        return tf.reshape(tf.stack([r, g, bl], 2), [n, S, S, 3]) as tf.Tensor4D;
      });
    },
    dispose() {
      tf.dispose([xg, yg, ck, mix, dir, wAvg]);
    },
  };
}

function toyAttribute(name: string, values: Attribute['values'], measure: (images: tf.Tensor4D) => tf.Tensor2D): Attribute {
  return {
    name,
    latentSize: 2,
    embed: (images) => measure(images),
    distance: 'l2',
    thresholds: { tauPlus: 0.1, tauMinus: 1 },
    weight: 1,
    measure: (images) => tf.tidy(() => measure(images)),
    values,
    dispose() {},
  };
}

const channel = (images: tf.Tensor4D, c: number) =>
  tf.reshape(tf.slice(images, [0, 0, 0, c], [images.shape[0], S, S, 1]), [images.shape[0], S * S]) as tf.Tensor2D;

/** Brightness: mean of the red channel, in "level" units. */
export const brightAttribute = (): Attribute =>
  toyAttribute('bright', [{ name: 'level', unit: 'level' }], (im) => tf.mean(channel(im, 0), 1, true) as tf.Tensor2D);

/** Hue: angle of (mean green, mean blue) in degrees [0, 360) — circular. */
export const hueAttribute = (): Attribute =>
  toyAttribute('hue', [{ name: 'hue', unit: 'deg', range: [0, 360] }], (im) =>
    tf.tidy(() => {
      const a = tf.atan2(tf.mean(channel(im, 2), 1, true), tf.mean(channel(im, 1), 1, true));
      const deg = tf.mul(a, 180 / Math.PI);
      return tf.sub(deg, tf.mul(360, tf.floor(tf.div(deg, 360)))) as tf.Tensor2D;
    }),
  );

/** Tilt: the red channel's gradient along x and y (two values). */
export const tiltAttribute = (): Attribute => {
  const gx = grid(0);
  const gy = grid(1);
  const norm = gx.reduce((s, v) => s + v * v, 0) * 0.1;
  return toyAttribute(
    'tilt',
    [
      { name: 'x', unit: 'slope' },
      { name: 'y', unit: 'slope' },
    ],
    (im) =>
      tf.tidy(() => {
        const red = channel(im, 0);
        const proj = tf.matMul(
          red,
          tf.tensor2d(
            [...Array(S * S).keys()].flatMap((i) => [gx[i] / norm, gy[i] / norm]),
            [S * S, 2],
          ),
        );
        return proj as tf.Tensor2D;
      }),
  );
};

/**
 * Doubled hue: twice the angle of (mean green, mean blue), in degrees [0, 360). Both w_hue and
 * −w_hue give the same value, so its latents form two branches and no continuous encoder of the
 * angle can reach every value (it needs a seam). Embedding (cos 2θ, sin 2θ), differentiable.
 */
export const doubledHueAttribute = (): Attribute => {
  const doubled = (im: tf.Tensor4D) => {
    const g = tf.mean(channel(im, 1), 1, true);
    const b = tf.mean(channel(im, 2), 1, true);
    return { c: tf.sub(tf.square(g), tf.square(b)), s: tf.mul(2, tf.mul(g, b)), r2: tf.add(tf.add(tf.square(g), tf.square(b)), 1e-6) };
  };
  return {
    ...toyAttribute('hue', [{ name: 'hue', unit: 'deg', range: [0, 360] }], (im) =>
      tf.tidy(() => {
        const { c, s } = doubled(im);
        const deg = tf.mul(tf.atan2(s, c), 180 / Math.PI);
        return tf.sub(deg, tf.mul(360, tf.floor(tf.div(deg, 360)))) as tf.Tensor2D;
      }),
    ),
    embed: (im) =>
      tf.tidy(() => {
        const { c, s, r2 } = doubled(im);
        return tf.concat([tf.div(c, r2), tf.div(s, r2)], 1);
      }),
  };
};
