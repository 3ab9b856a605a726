/**
 * StyleGAN2 losses and regularisers (stylegan2-ada-pytorch `training/loss.py`). The functions
 * that take gradients of gradients (R1, path length) are meant to be called inside
 * `tf.variableGrads` / `optimizer.minimize`; the second-order gradients are supported by the
 * gradients registered in `gradients.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SynthesisOptions } from './generator.js';

type Reduction = 'mean' | 'none';

/**
 * Non-saturating logistic generator loss `softplus(−D(G(z)))` (`loss.py:71`).
 * `reduction: 'none'` gives the per-sample loss `[N, 1]`.
 *
 * @example
 * const lossG = generatorLogisticNS(D.logits(G.synthesis(G.mapping(z))));
 */
export function generatorLogisticNS(fakeLogits: tf.Tensor, opts: { reduction?: Reduction } = {}): tf.Tensor {
  return tf.tidy(() => {
    const l = tf.softplus(tf.neg(fakeLogits));
    return opts.reduction === 'none' ? l : tf.mean(l);
  });
}

/**
 * Logistic discriminator loss `softplus(D(G(z))) + softplus(−D(x))` (`loss.py:102, 118`):
 * mean over each batch, summed. Per-sample terms with `reduction: 'none'` (`{ fake, real }`).
 *
 * @example
 * const lossD = discriminatorLogistic(D.logits(reals), D.logits(fakes));
 */
export function discriminatorLogistic(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
export function discriminatorLogistic(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  opts: { reduction: 'none' },
): { real: tf.Tensor; fake: tf.Tensor };
export function discriminatorLogistic(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  opts: { reduction?: Reduction } = {},
): tf.Scalar | { real: tf.Tensor; fake: tf.Tensor } {
  if (opts.reduction === 'none') {
    return { real: tf.tidy(() => tf.softplus(tf.neg(realLogits))), fake: tf.tidy(() => tf.softplus(fakeLogits)) };
  }
  return tf.tidy(() => tf.add(tf.mean(tf.softplus(fakeLogits)), tf.mean(tf.softplus(tf.neg(realLogits)))) as tf.Scalar);
}

/**
 * R1 gradient penalty on real images (`loss.py:121-126`): `g = ∂ΣD(x)/∂x`,
 * `penalty = Σ_{H,W,C} g²` per sample `[N]`. Also returns the logits of that pass (so the
 * D-real loss can reuse them, as official `Dboth`) and `g` itself. Differentiable with respect
 * to D's weights; call it inside `tf.variableGrads`. The official loss is `penalty · γ/2`.
 *
 * @example
 * const { grads } = tf.variableGrads(() => {
 *   const { penalty } = r1Penalty((x) => D.logits(x), reals);
 *   return tf.mul(tf.mean(penalty), (gamma / 2) * 16);  // × D reg interval (lazy)
 * }, D.trainableVariables());
 */
export function r1Penalty(
  logitsFn: (x: tf.Tensor4D) => tf.Tensor,
  reals: tf.Tensor4D,
): { penalty: tf.Tensor1D; logits: tf.Tensor; grads: tf.Tensor4D } {
  // value = logits [N,1]; with the default dy = ones, the gradient is that of ΣD(x).
  const { value: logits, grad } = tf.valueAndGrad((x: tf.Tensor) => logitsFn(x as tf.Tensor4D))(reals);
  const grads = grad as tf.Tensor4D;
  const penalty = tf.tidy(() => tf.sum(tf.square(grads), [1, 2, 3]) as tf.Tensor1D);
  return { penalty, logits, grads };
}

/** What path length needs from a generator (a `Generator` fits). */
export interface SynthesisLike {
  readonly resolution: number;
  readonly imgChannels: number;
  synthesis(ws: tf.Tensor3D, opts?: SynthesisOptions): tf.Tensor4D;
}

/** Options of `pathLengths`. */
export interface PathLengthInputs {
  /** `pl_noise` `[N, R, R, C]`; default `randn / sqrt(R·R)` (`loss.py:82`). */
  plNoise?: tf.Tensor4D;
  /** Seed for the default `pl_noise`. */
  seed?: number;
  /** Synthesis options (noise mode, explicit noise); official training uses `random` noise. */
  synthesis?: SynthesisOptions;
}

/**
 * Path lengths (`loss.py:79-86`): `g = ∂Σ(img · plNoise)/∂ws`, `len = sqrt(mean_ws(Σ_w g²))`
 * per sample `[N]`. Differentiable with respect to G's weights (call inside `tf.variableGrads`).
 * Also returns `g` and the images of that pass.
 *
 * @example
 * const { lengths } = pathLengths(G, G.mapping(z), { synthesis: { noiseMode: 'random' } });
 */
export function pathLengths(
  G: SynthesisLike,
  ws: tf.Tensor3D,
  opts: PathLengthInputs = {},
): { lengths: tf.Tensor1D; grads: tf.Tensor3D; images: tf.Tensor4D } {
  const r = G.resolution;
  const noise =
    opts.plNoise ??
    (tf.tidy(() => tf.div(tf.randomNormal([ws.shape[0], r, r, G.imgChannels], 0, 1, 'float32', opts.seed), r)) as tf.Tensor4D);
  // value = images; dy = plNoise makes the gradient that of Σ(img · plNoise).
  const { value, grad } = tf.valueAndGrad((w: tf.Tensor) => G.synthesis(w as tf.Tensor3D, opts.synthesis))(ws, noise);
  if (noise !== opts.plNoise) noise.dispose();
  const images = value as tf.Tensor4D;
  const grads = grad as tf.Tensor3D;
  const lengths = tf.tidy(() => tf.sqrt(tf.mean(tf.sum(tf.square(grads), 2), 1)) as tf.Tensor1D);
  return { lengths, grads, images };
}

/** Options of `PathLengthRegularizer` (official defaults). */
export interface PathLengthOptions {
  /** `pl_decay` (0.01). */
  decay?: number;
  /** `pl_weight` (2). */
  weight?: number;
  /** Running mean to resume from (0). */
  mean?: number;
}

/**
 * Path-length regularisation with its running mean (`loss.py:79-92`):
 * `pl_mean ← pl_mean + decay·(mean(len) − pl_mean)` (detached), `penalty = (len − pl_mean)²`,
 * `loss = mean(penalty · weight)`. The official trainer runs it every `G_reg_interval = 4`
 * steps on `batch / pl_batch_shrink (2)` samples, with the loss multiplied by the interval.
 * The state is a plain number (`mean`) so it checkpoints as JSON.
 *
 * @example
 * const pl = new PathLengthRegularizer();
 * const { grads } = tf.variableGrads(() => tf.mul(pl.loss(G, ws).loss, 4), G.trainableVariables());
 */
export class PathLengthRegularizer {
  readonly decay: number;
  readonly weight: number;
  /** Running mean of the path lengths (`pl_mean`). */
  mean: number;

  constructor(opts: PathLengthOptions = {}) {
    this.decay = opts.decay ?? 0.01;
    this.weight = opts.weight ?? 2;
    this.mean = opts.mean ?? 0;
  }

  /**
   * Computes the lengths, updates the running mean, and returns the weighted loss (a scalar,
   * differentiable w.r.t. G's weights) with the lengths and the penalty per sample.
   */
  loss(
    G: SynthesisLike,
    ws: tf.Tensor3D,
    opts: PathLengthInputs = {},
  ): { loss: tf.Scalar; lengths: tf.Tensor1D; penalty: tf.Tensor1D; images: tf.Tensor4D } {
    const { lengths, grads, images } = pathLengths(G, ws, opts);
    grads.dispose();
    const l = lengths.dataSync();
    let m = 0;
    for (const v of l) m += v;
    m /= l.length;
    this.mean = this.mean + this.decay * (m - this.mean);
    const plMean = this.mean;
    const penalty = tf.tidy(() => tf.square(tf.sub(lengths, plMean)) as tf.Tensor1D);
    const loss = tf.tidy(() => tf.mean(tf.mul(penalty, this.weight)) as tf.Scalar);
    return { loss, lengths, penalty, images };
  }
}
