/**
 * Training helpers of the official loop (stylegan2-ada-pytorch `training/training_loop.py`,
 * `training/loss.py`): generator EMA, lazy-regularisation correction of Adam, style mixing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EMA_UPDATE } from '@gan-control/gradients';

/** Options of `emaBeta` (official `ema_kimg`, `ema_rampup`). */
export interface EmaOptions {
  /** Total batch size (images per step). */
  batchSize: number;
  /** Half-life of the EMA in thousands of images (`ema_kimg`; official `auto`: batch·10/32). */
  emaKimg: number;
  /** Ramp-up factor (`ema_rampup`; 0.05 in `auto`, null = none). */
  emaRampup?: number | null;
  /** Images shown so far (`cur_nimg`). */
  curNimg: number;
}

/**
 * EMA decay of one step (`training_loop.py:297-300`): `ema_nimg = ema_kimg·1000`, with ramp-up
 * `ema_nimg = min(ema_nimg, cur_nimg·ema_rampup)`; `β = 0.5^(batch / max(ema_nimg, 1e-8))`.
 *
 * @example
 * const beta = emaBeta({ batchSize: 32, emaKimg: 10, emaRampup: 0.05, curNimg: 64000 });
 */
export function emaBeta(opts: EmaOptions): number {
  let emaNimg = opts.emaKimg * 1000;
  if (opts.emaRampup != null) emaNimg = Math.min(emaNimg, opts.curNimg * opts.emaRampup);
  return Math.pow(0.5, opts.batchSize / Math.max(emaNimg, 1e-8));
}

/** A network whose variables are named (a `Generator` or `Discriminator`). */
export interface NamedVariables {
  variables(): Record<string, tf.Variable>;
}

/**
 * One EMA step (`training_loop.py:301-305`): every trainable parameter
 * `p_ema ← p + β·(p_ema − p)`; buffers (non-trainable variables such as `mapping.w_avg`,
 * `noise_const`) are copied verbatim.
 *
 * @example
 * updateEma(G_ema, G, emaBeta({ batchSize, emaKimg: 10, curNimg }));
 */
export function updateEma(ema: NamedVariables, source: NamedVariables, beta: number): void {
  const dst = ema.variables();
  const src = source.variables();
  for (const [name, s] of Object.entries(src)) {
    const d = dst[name];
    if (!d) throw new Error(`updateEma: the EMA network has no variable '${name}' (networks built from different configs?)`);
    if (!s.trainable) {
      d.assign(s);
      continue;
    }
    const next = lerpTowards(d, s, beta);
    d.assign(next);
    next.dispose();
  }
}

/**
 * `source + β·(ema − source)` as a new tensor: one `EMA_UPDATE` kernel where the backend has it
 * (`@gan-control/backend`, JS or native: the same float32 values as the three ops), else Sub, Mul, Add.
 *
 * @example
 * const next = lerpTowards(wAvg, tf.mean(w, 0), 0.995);
 */
export function lerpTowards(ema: tf.Tensor, source: tf.Tensor, beta: number): tf.Tensor {
  if (
    ema.dtype === 'float32' &&
    source.dtype === 'float32' &&
    tf.util.arraysEqual(ema.shape, source.shape) &&
    tf.getKernel(EMA_UPDATE, tf.getBackend())
  ) {
    return tf.engine().runKernel(EMA_UPDATE, { ema, source }, { beta }) as tf.Tensor;
  }
  return tf.tidy(() => tf.add(source, tf.mul(tf.sub(ema, source), beta)));
}

/** Adam settings after the lazy-regularisation correction. */
export interface LazyAdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** `mb_ratio = interval / (interval + 1)` (1 without lazy regularisation). */
  ratio: number;
}

/**
 * Lazy regularisation correction (`training_loop.py:197-208`): with a regularisation interval
 * `I`, `c = I/(I+1)`, `lr ← lr·c`, `β ← β^c`. Official: lr 0.0025, betas (0, 0.99), eps 1e-8,
 * `G_reg_interval = 4`, `D_reg_interval = 16`.
 *
 * @example
 * const g = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 4 });
 * const opt = tf.train.adam(g.learningRate, g.beta1, g.beta2, 1e-8);
 */
export function lazyRegularizationAdam(opts: {
  learningRate: number;
  beta1: number;
  beta2: number;
  interval?: number | null;
}): LazyAdamSettings {
  const ratio = opts.interval ? opts.interval / (opts.interval + 1) : 1;
  return { learningRate: opts.learningRate * ratio, beta1: Math.pow(opts.beta1, ratio), beta2: Math.pow(opts.beta2, ratio), ratio };
}

/**
 * Style-mixing crossover (`loss.py:41-45`): `cutoff ~ U{1, …, numWs−1}`, kept with probability
 * `prob`, otherwise `numWs` (no mixing). One cutoff for the whole batch, as official.
 * `random` returns uniforms in [0, 1) (pass a seeded generator for reproducibility).
 *
 * @example
 * const cutoff = sampleMixingCutoff(G.numWs, 0.9, Math.random);
 */
export function sampleMixingCutoff(numWs: number, prob: number, random: () => number): number {
  const cutoff = 1 + Math.floor(random() * (numWs - 1));
  return random() < prob ? cutoff : numWs;
}

/**
 * `ws[:, cutoff:] = ws2[:, cutoff:]` (official style mixing), returning a new tensor.
 *
 * @example
 * const mixed = mixStyles(G.mapping(z), G.mapping(z2), 3);
 */
export function mixStyles(ws: tf.Tensor3D, ws2: tf.Tensor3D, cutoff: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, numWs, wDim] = ws.shape;
    if (cutoff >= numWs) return tf.clone(ws);
    if (cutoff <= 0) return tf.clone(ws2);
    return tf.concat(
      [tf.slice(ws, [0, 0, 0], [n, cutoff, wDim]), tf.slice(ws2, [0, cutoff, 0], [n, numWs - cutoff, wDim])],
      1,
    ) as tf.Tensor3D;
  });
}
