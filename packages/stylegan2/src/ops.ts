/**
 * Primitive operations of StyleGAN2 (stylegan2-ada-pytorch `torch_utils/ops` and the layer
 * classes of `training/networks.py`), NHWC, built only from kernels that exist on the `cpu` and
 * `wasm` backends and whose gradients are themselves differentiable (see `gradients.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BIAS_LEAKY_RELU, MODCONV_DEMOD, SCALE_CHANNELS, UPFIRDN } from '@gan-control/gradients';

export const SQRT2 = Math.SQRT2;
export const SQRT_HALF = Math.SQRT1_2;

/**
 * Bias + activation + gain + clamp, as `bias_act` (`torch_utils/ops/bias_act.py:94-123`):
 * `y = act(x + b) · gain`, then `clamp(y, −clamp, clamp)`. `lrelu` is α = 0.2.
 */
export function biasAct(x: tf.Tensor, b: tf.Tensor | null, act: 'lrelu' | 'linear', gain: number, clamp: number | null): tf.Tensor {
  let y: tf.Tensor;
  if (
    act === 'lrelu' &&
    b &&
    b.rank === 1 &&
    b.shape[0] === x.shape[x.rank - 1] &&
    x.dtype === 'float32' &&
    tf.getKernel(BIAS_LEAKY_RELU, tf.getBackend())
  ) {
    y = tf.engine().runKernel(BIAS_LEAKY_RELU, { x, b }, { alpha: 0.2 }) as tf.Tensor; // one pass (the native addon)
  } else {
    y = b ? tf.add(x, b) : x;
    if (act === 'lrelu') y = tf.leakyRelu(y, 0.2);
  }
  if (gain !== 1) y = tf.mul(y, gain);
  if (clamp != null && clamp >= 0) y = tf.clipByValue(y, -clamp, clamp);
  return y;
}

/** `normalize_2nd_moment` (`networks.py:20-22`): `x · rsqrt(mean(x², 1) + 1e-8)`. */
export function normalize2ndMoment(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8)));
}

/**
 * The 1-D factor of a separable FIR filter, normalised like `setup_filter` (sum of the 2-D
 * outer product = 1) and scaled by √gain (so the 2-D filter carries `gain`, as
 * `upfirdn2d.py:110-111, 198`).
 *
 * @example
 * firTaps([1, 3, 3, 1], 4); // [0.25, 0.75, 0.75, 0.25]
 */
export function firTaps(filter: readonly number[], gain: number): number[] {
  const s = filter.reduce((a, b) => a + b, 0);
  return filter.map((v) => (v / s) * Math.sqrt(gain));
}

/**
 * The banded matrix `M[outLen, len]` of a 1-D `upfirdn` (upsample by zero insertion after each
 * sample, pad `[p0, p1]` (negative = crop), true convolution with `taps`, keep every `down`-th).
 * Applying it along H and along W equals `upfirdn2d` with the separable 2-D filter
 * (`torch_utils/ops/upfirdn2d.py:169-208`). A matrix keeps the op a plain `matMul`, which is
 * fast on every backend and differentiable to any order.
 *
 * @example
 * upfirdnMatrix(4, firTaps([1, 3, 3, 1], 4), 2, 1, 2, 1); // upsample2d along one axis: 8×4
 */
export function upfirdnMatrix(
  len: number,
  taps: readonly number[],
  up: number,
  down: number,
  p0: number,
  p1: number,
): { data: Float32Array; outLen: number } {
  const k = taps.length;
  const lp = len * up + p0 + p1;
  const outLen = Math.floor((lp - k) / down) + 1;
  const data = new Float32Array(outLen * len);
  for (let j = 0; j < outLen; j++) {
    for (let t = 0; t < k; t++) {
      const m = j * down + t - p0; // index into the upsampled, unpadded signal
      if (m < 0 || m >= len * up || m % up !== 0) continue;
      data[j * len + m / up] += taps[k - 1 - t];
    }
  }
  return { data, outLen };
}

/** Cache of FIR matrices owned by one network (kept tensors, released by `dispose`). */
export class FirCache {
  private readonly cache = new Map<string, tf.Tensor3D>();
  private readonly arrays = new Map<string, { m: Float32Array; t: Float32Array; outLen: number }>();
  constructor(private readonly filter: readonly number[]) {}

  /**
   * `upfirdn2d(x, f, up, down, pad=[p0,p1,p0,p1], gain)` on NHWC `x` (square or not): the fused
   * `UPFIRDN` kernel where the backend has it (`@gan-control/backend`'s native addon: ≤ 4×4 taps
   * per output), else two batched matMuls with the same banded matrices.
   */
  apply(x: tf.Tensor4D, up: number, down: number, p0: number, p1: number, gain: number): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    if (x.dtype === 'float32' && tf.getKernel(UPFIRDN, tf.getBackend())) {
      const mh = this.band(h, up, down, p0, p1, gain);
      const mw = this.band(w, up, down, p0, p1, gain);
      const attrs = { mh: mh.m, mw: mw.m, mhT: mh.t, mwT: mw.t, inH: h, inW: w, outH: mh.outLen, outW: mw.outLen };
      return tf.engine().runKernel(UPFIRDN, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    const mh = this.matrix(h, up, down, p0, p1, gain);
    const mw = this.matrix(w, up, down, p0, p1, gain);
    const oh = mh.shape[1];
    const ow = mw.shape[1];
    let y: tf.Tensor = tf.matMul(mh, tf.reshape(x, [n, h, w * c]));
    y = tf.matMul(mw, tf.reshape(y, [n * oh, w, c]));
    return tf.reshape(y, [n, oh, ow, c]);
  }

  private matrix(len: number, up: number, down: number, p0: number, p1: number, gain: number): tf.Tensor3D {
    const key = `${len},${up},${down},${p0},${p1},${gain}`;
    let m = this.cache.get(key);
    if (!m) {
      const { data, outLen } = upfirdnMatrix(len, firTaps(this.filter, gain), up, down, p0, p1);
      m = tf.keep(tf.tensor3d(data, [1, outLen, len]));
      this.cache.set(key, m);
    }
    return m;
  }

  /** The matrix of one axis and its transpose as arrays (for the `UPFIRDN` kernel and its gradient). */
  private band(
    len: number,
    up: number,
    down: number,
    p0: number,
    p1: number,
    gain: number,
  ): { m: Float32Array; t: Float32Array; outLen: number } {
    const key = `${len},${up},${down},${p0},${p1},${gain}`;
    let b = this.arrays.get(key);
    if (!b) {
      const { data, outLen } = upfirdnMatrix(len, firTaps(this.filter, gain), up, down, p0, p1);
      const t = new Float32Array(data.length);
      for (let i = 0; i < outLen; i++) for (let j = 0; j < len; j++) t[j * outLen + i] = data[i * len + j];
      b = { m: data, t, outLen };
      this.arrays.set(key, b);
    }
    return b;
  }

  dispose(): void {
    for (const m of this.cache.values()) m.dispose();
    this.cache.clear();
    this.arrays.clear();
  }
}

/**
 * `x [N, H, W, C] · s` with `s [N, C]` broadcast over H and W (per-sample channel scaling).
 * The fused `SCALE_CHANNELS` kernel where the backend has it (`@gan-control/backend`'s native
 * addon: the same values, and a style gradient in one pass). The `cpu` backend runs broadcasts
 * that are not a trailing-dimension repeat through a slow per-element index path, so there `s` is
 * first expanded with a K = 1 matMul (fast, and differentiable to any order); other backends
 * broadcast natively.
 */
export function scaleChannels(x: tf.Tensor4D, s: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (x.dtype === 'float32' && s.dtype === 'float32' && tf.getKernel(SCALE_CHANNELS, tf.getBackend())) {
    return tf.engine().runKernel(SCALE_CHANNELS, { x, s }) as tf.Tensor4D;
  }
  if (tf.getBackend() !== 'cpu') return tf.mul(x, tf.reshape(s, [n, 1, 1, c]));
  const expanded = tf.matMul(tf.ones([1, h * w, 1]), tf.reshape(s, [n, 1, c])); // [N, HW, C]
  return tf.reshape(tf.mul(tf.reshape(x, [n, h * w, c]), expanded), [n, h, w, c]);
}

/**
 * `x [N, H, W, C] + m` with `m` `[H, W]`, `[1, H, W, 1]` or `[N, H, W, 1]` broadcast over the
 * channels (noise injection); on `cpu` the broadcast is a K = 1 matMul, see `scaleChannels`.
 */
export function addSpatial(x: tf.Tensor4D, m: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const perSample = m.rank === 4 && m.shape[0] !== 1;
  if (tf.getBackend() !== 'cpu') return tf.add(x, m.rank === 4 ? m : tf.reshape(m, [1, h, w, 1])) as tf.Tensor4D;
  if (perSample) return tf.add(x, tf.reshape(tf.matMul(tf.reshape(m, [n * h * w, 1]), tf.ones([1, c])), [n, h, w, c])) as tf.Tensor4D;
  const expanded = tf.matMul(tf.reshape(m, [h * w, 1]), tf.ones([1, c])); // [HW, C]: a trailing repeat over N
  return tf.reshape(tf.add(tf.reshape(x, [n, h * w, c]), expanded), [n, h, w, c]);
}

/** 1×1 convolution as a matMul: `x [N,H,W,I] · w [I,O]`. */
export function conv1x1(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
  const [n, h, ww, c] = x.shape;
  return tf.reshape(tf.matMul(tf.reshape(x, [n * h * ww, c]), w), [n, h, ww, w.shape[1]]);
}

/**
 * Modulated convolution, non-fused form (`networks.py:25-72`, the training path):
 * `x·styles → conv(W) → ·dcoefs`, `dcoefs = rsqrt(Σ_{I,k,k} (W·s)² + 1e-8) = rsqrt(s² · ΣₖW² + 1e-8)`.
 * `up = 2` uses the official transposed convolution (`conv2d_resample.py:125-142`): stride-2
 * `conv2dTranspose` (output 2H+1), then the FIR with padding [1,1] and gain 4.
 *
 * @param weight raw weight in TF.js layout `[k, k, I, O]` (no gain: demodulation cancels it)
 * @param styles `[N, I]`
 * @param opts.gain output gain folded into the demodulation coefficients (demodulate only)
 */
export function modulatedConv2d(
  x: tf.Tensor4D,
  weight: tf.Tensor4D,
  styles: tf.Tensor2D,
  opts: { demodulate: boolean; up: 1 | 2; fir?: FirCache; gain?: number },
): tf.Tensor4D {
  const [n, h, w, i] = x.shape;
  const [k, , , o] = weight.shape;
  void i;
  const xs = scaleChannels(x, styles);
  let y: tf.Tensor4D;
  if (opts.up === 2) {
    if (!opts.fir) throw new Error('modulatedConv2d: up=2 needs a FirCache');
    const wt = tf.transpose(weight, [0, 1, 3, 2]) as tf.Tensor4D; // [k,k,O,I] for conv2dTranspose
    y = tf.conv2dTranspose(xs, wt, [n, 2 * (h - 1) + k, 2 * (w - 1) + k, o], 2, 'valid');
    y = opts.fir.apply(y, 1, 1, 1, 1, 4);
  } else if (k === 1) {
    y = conv1x1(xs, tf.reshape(weight, [i, o]));
  } else {
    y = tf.conv2d(xs, weight, 1, 'same');
  }
  if (opts.demodulate) y = scaleChannels(y, demodCoefficients(weight, styles, opts.gain ?? 1));
  return y;
}

/**
 * The demodulation coefficients of `modulatedConv2d` (`networks.py:55-58`), times `gain`:
 * `d [N, O] = gain · rsqrt(styles² · Σ_{k,k} weight² + 1e-8)`. One `MODCONV_DEMOD` kernel where the
 * backend has it (`@gan-control/backend`'s native addon: the same float32 steps as the ops below
 * where their matMuls run on the addon), else ten stock kernels.
 *
 * @example
 * const d = demodCoefficients(weight, styles, Math.SQRT2); // [N, O]
 */
export function demodCoefficients(weight: tf.Tensor4D, styles: tf.Tensor2D, gain: number): tf.Tensor2D {
  if (weight.dtype === 'float32' && styles.dtype === 'float32' && tf.getKernel(MODCONV_DEMOD, tf.getBackend())) {
    return tf.engine().runKernel(MODCONV_DEMOD, { styles, weight }, { gain, eps: 1e-8 }) as tf.Tensor2D;
  }
  const [k, , i, o] = weight.shape;
  // Σ over the k×k taps as a matMul with ones (a reduction over leading axes needs a transpose on cpu).
  const wsq = tf.reshape(tf.matMul(tf.ones([1, k * k]), tf.reshape(tf.square(weight), [k * k, i * o])), [i, o]);
  const d = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), wsq), 1e-8)) as tf.Tensor2D;
  return gain !== 1 ? tf.mul(d, gain) : d;
}

/** Official conv weight `[O, I, kh, kw]` (row-major data) → TF.js `[kh, kw, I, O]`. */
export function convWeightFromOfficial(data: Float32Array, shape: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [2, 3, 1, 0]));
}
