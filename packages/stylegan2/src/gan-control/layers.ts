/**
 * Layers of the official GAN-Control model (`src/gan_control/models/gan_model.py`, a fork of
 * rosinality/stylegan2-pytorch, FUSED=False path with `pytorch_upfirdn2d.py`), in NHWC with
 * TF.js ops. Scales that the official code applies at run time (`lr_mul/sqrt(in)`,
 * `1/sqrt(in*k*k)`, `bias*lr_mul`) are folded into the weights once at load, in the same order
 * the official code multiplies them (weight × scale first, then the matmul/conv).
 */
import * as tf from '@tensorflow/tfjs-core';
import { need, type GanControlStateDict, type GanControlTensor } from './weights.js';

const SQRT2 = Math.SQRT2;

/** `FusedLeakyReLU` / `fused_leaky_relu`: `sqrt(2) · leaky_relu(x + b, 0.2)`. */
export function fusedLrelu(x: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  return tf.mul(tf.leakyRelu(bias ? tf.add(x, bias) : x, 0.2), SQRT2);
}

/** `EqualLinear`: `y = x @ (W·lr_mul/sqrt(in))ᵀ + b·lr_mul`, optionally `fused_lrelu`. */
export class EqualLinear {
  readonly weight: tf.Tensor2D; // [in, out], scaled
  readonly bias: tf.Tensor1D; // scaled by lr_mul
  constructor(
    sd: GanControlStateDict,
    prefix: string,
    what: string,
    readonly activate: boolean,
    lrMul: number,
    inDim?: number,
  ) {
    const w = need(
      sd,
      `${prefix}.weight`,
      what,
      2,
      inDim === undefined ? undefined : [need(sd, `${prefix}.weight`, what, 2).shape[0], inDim],
    );
    const [out, inn] = w.shape;
    const b = need(sd, `${prefix}.bias`, what, 1, [out]);
    const scale = lrMul / Math.sqrt(inn);
    this.weight = tf.tidy(() => tf.keep(tf.transpose(tf.mul(tf.tensor2d(w.data, [out, inn]), scale)))) as tf.Tensor2D;
    this.bias = tf.tidy(() => tf.keep(tf.mul(tf.tensor1d(b.data), lrMul))) as tf.Tensor1D;
  }
  get inDim(): number {
    return this.weight.shape[0];
  }
  get outDim(): number {
    return this.weight.shape[1];
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul(x, this.weight);
    return (this.activate ? fusedLrelu(y, this.bias) : tf.add(y, this.bias)) as tf.Tensor2D;
  }
  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

/** `PixelNorm`: `x · rsqrt(mean(x², dim=1) + 1e-8)`. */
export function pixelNorm(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8)));
}

/**
 * A stored 2-D FIR kernel (`*.blur.kernel`, `*.upsample.kernel`, D `*.0.kernel`, already scaled
 * by `factor²` where the official code does) → `upfirdn2d_native` on NHWC:
 * zero-insertion upsample, pad `(pad0, pad1)` on both axes, correlate with the **flipped** kernel.
 */
export class Fir {
  private readonly flipped: Float32Array;
  private readonly kh: number;
  private readonly kw: number;
  private readonly filters = new Map<number, tf.Tensor4D>();

  constructor(kernel: GanControlTensor) {
    [this.kh, this.kw] = kernel.shape;
    this.flipped = new Float32Array(this.kh * this.kw);
    for (let y = 0; y < this.kh; y++)
      for (let x = 0; x < this.kw; x++) this.flipped[y * this.kw + x] = kernel.data[(this.kh - 1 - y) * this.kw + (this.kw - 1 - x)];
  }

  private filter(channels: number): tf.Tensor4D {
    let f = this.filters.get(channels);
    if (!f) {
      const data = new Float32Array(this.kh * this.kw * channels);
      for (let i = 0; i < this.kh * this.kw; i++) data.fill(this.flipped[i], i * channels, (i + 1) * channels);
      f = tf.keep(tf.tensor4d(data, [this.kh, this.kw, channels, 1]));
      this.filters.set(channels, f);
    }
    return f;
  }

  apply(x: tf.Tensor4D, up: 1 | 2, pad0: number, pad1: number): tf.Tensor4D {
    let y = x;
    if (up === 2) {
      const [n, h, w, c] = x.shape;
      y = tf.reshape(
        tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ]),
        [n, 2 * h, 2 * w, c],
      );
    }
    y = tf.pad(y, [
      [0, 0],
      [pad0, pad1],
      [pad0, pad1],
      [0, 0],
    ]);
    return tf.depthwiseConv2d(y, this.filter(x.shape[3]), 1, 'valid');
  }

  dispose(): void {
    for (const f of this.filters.values()) f.dispose();
    this.filters.clear();
  }
}

/**
 * `ModulatedConv2d` (`gan_model.py`): `W' = W·(1/sqrt(in·k²))·s`, demodulated by
 * `rsqrt(Σ_{in,k,k} W'² + 1e-8)`; computed per sample as `conv(x·s, W·scale)·d`, which equals the
 * official grouped convolution. `upsample`: `conv_transpose2d(stride 2, padding 0)` then `Blur`
 * with pad (1, 1); otherwise padding `k//2`.
 */
export class ModulatedConv2d {
  readonly weight: tf.Tensor4D; // [k, k, in, out], scaled
  readonly wsq: tf.Tensor2D | null; // Σ_k (W·scale)² as [in, out], for demodulation
  readonly modulation: EqualLinear;
  readonly blur: Fir | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly k: number;

  constructor(
    sd: GanControlStateDict,
    prefix: string,
    what: string,
    readonly demodulate: boolean,
    readonly upsample: boolean,
  ) {
    const w = need(sd, `${prefix}.weight`, what, 5);
    const [one, out, inn, kh, kw] = w.shape;
    if (one !== 1 || kh !== kw) need(sd, `${prefix}.weight`, what, 5, [1, out, inn, kh, kh]);
    this.inChannels = inn;
    this.outChannels = out;
    this.k = kh;
    const scale = 1 / Math.sqrt(inn * kh * kh);
    this.weight = tf.tidy(() => tf.keep(tf.transpose(tf.mul(tf.tensor4d(w.data, [out, inn, kh, kh]), scale), [2, 3, 1, 0]))) as tf.Tensor4D;
    this.wsq = demodulate ? (tf.tidy(() => tf.keep(tf.sum(tf.square(this.weight), [0, 1]))) as tf.Tensor2D) : null;
    this.modulation = new EqualLinear(sd, `${prefix}.modulation`, what, false, 1);
    if (this.modulation.outDim !== inn) need(sd, `${prefix}.modulation.weight`, what, 2, [inn, this.modulation.inDim]);
    this.blur = upsample ? new Fir(need(sd, `${prefix}.blur.kernel`, what, 2)) : null;
  }

  apply(x: tf.Tensor4D, style: tf.Tensor2D): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const s = this.modulation.apply(style); // [N, in]
    const xs = tf.mul(x, tf.reshape(s, [n, 1, 1, this.inChannels])) as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (this.upsample) {
      const wt = tf.transpose(this.weight, [0, 1, 3, 2]) as tf.Tensor4D; // [k, k, out, in]
      y = tf.conv2dTranspose(xs, wt, [n, 2 * (h - 1) + this.k, 2 * (w - 1) + this.k, this.outChannels], 2, 'valid');
      y = this.blur!.apply(y, 1, 1, 1);
    } else if (this.k === 1) {
      y = tf.reshape(
        tf.matMul(tf.reshape(xs, [n * h * w, this.inChannels]), tf.reshape(this.weight, [this.inChannels, this.outChannels])),
        [n, h, w, this.outChannels],
      );
    } else {
      y = tf.conv2d(xs, this.weight, 1, 'same');
    }
    if (this.wsq) {
      const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), this.wsq), 1e-8)); // [N, out]
      y = tf.mul(y, tf.reshape(d, [n, 1, 1, this.outChannels]));
    }
    return y;
  }

  dispose(): void {
    this.weight.dispose();
    this.wsq?.dispose();
    this.modulation.dispose();
    this.blur?.dispose();
  }
}

/** `EqualConv2d` (no bias here; the ConvLayer's bias lives in its FusedLeakyReLU): `conv(x, W/sqrt(in·k²))`. */
export class EqualConv2d {
  readonly weight: tf.Tensor4D; // [k, k, in, out], scaled
  readonly inChannels: number;
  readonly outChannels: number;
  readonly k: number;
  constructor(sd: GanControlStateDict, name: string, what: string) {
    const w = need(sd, name, what, 4);
    const [out, inn, kh, kw] = w.shape;
    if (kh !== kw) need(sd, name, what, 4, [out, inn, kh, kh]);
    this.inChannels = inn;
    this.outChannels = out;
    this.k = kh;
    const scale = 1 / Math.sqrt(inn * kh * kh);
    this.weight = tf.tidy(() => tf.keep(tf.transpose(tf.mul(tf.tensor4d(w.data, [out, inn, kh, kh]), scale), [2, 3, 1, 0]))) as tf.Tensor4D;
  }
  /** `padding` is symmetric (`k//2` or 0), `stride` 1 or 2. */
  apply(x: tf.Tensor4D, stride: 1 | 2, padding: number): tf.Tensor4D {
    const y = padding
      ? tf.pad(x, [
          [0, 0],
          [padding, padding],
          [padding, padding],
          [0, 0],
        ])
      : x;
    return tf.conv2d(y as tf.Tensor4D, this.weight, stride, 'valid');
  }
  dispose(): void {
    this.weight.dispose();
  }
}
