/**
 * StyleGAN2 discriminator, `resnet` architecture (stylegan2-ada-pytorch `training/networks.py`,
 * `Discriminator`, `DiscriminatorBlock`, `MinibatchStdLayer`, `DiscriminatorEpilogue`), NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { channelsAt, parseDiscriminatorConfig, StyleGan2Error, type DiscriminatorConfig, type DiscriminatorConfigInput } from './config.js';
import { checkResampleFilters, filter2d } from './generator.js';
import { biasAct, conv1x1, FirCache, SQRT2, SQRT_HALF } from './ops.js';
import { ParamStore, paramSeed, type LoadReport, type TensorRecord } from './params.js';

interface Block {
  res: number;
  inC: number;
  tmpC: number;
  outC: number;
}

/**
 * Minibatch standard deviation (`networks.py:589-610`), NHWC. Groups are strided as official:
 * sample i belongs to group `i mod (N/G)`; channels split into F contiguous chunks.
 *
 * @example
 * const y = minibatchStd(x, 4, 1); // [N, H, W, C] → [N, H, W, C + 1]
 */
export function minibatchStd(x: tf.Tensor4D, groupSize: number | null, numChannels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const g = groupSize === null ? n : Math.min(groupSize, n);
    if (n % g !== 0) {
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_INPUT',
        `minibatch std: batch size ${n} must be a multiple of the group size ${g} (mbstdGroupSize)`,
      );
    }
    const f = numChannels;
    const m = n / g;
    let y: tf.Tensor = tf.reshape(x, [g, m, h, w, f, c / f]);
    y = tf.sub(y, tf.mean(y, 0, true));
    y = tf.mean(tf.square(y), 0); // [m, h, w, f, c/f]
    y = tf.sqrt(tf.add(y, 1e-8));
    y = tf.mean(y, [1, 2, 4]); // [m, f]
    y = tf.tile(tf.reshape(y, [1, m, 1, 1, f]), [g, 1, h, w, 1]);
    return tf.concat([x, tf.reshape(y, [n, h, w, f])], 3) as tf.Tensor4D;
  });
}

/** A StyleGAN2 discriminator; `variables()` uses the official `state_dict` names. */
export class Discriminator {
  readonly config: DiscriminatorConfig;
  readonly resolution: number;
  readonly imgChannels: number;
  private readonly params = new ParamStore();
  private readonly fir: FirCache;
  private readonly blocks: Block[] = [];
  private readonly c4: number;
  private disposed = false;

  /** Use `createDiscriminator` (random init) or the loaders; `seed = null`: zeros (see `Generator`). */
  constructor(config: DiscriminatorConfig, seed: number | null) {
    this.config = config;
    this.resolution = config.resolution;
    this.imgChannels = config.imgChannels;
    this.fir = new FirCache(config.resampleFilter);
    const ch = (r: number) => channelsAt(r, config.channelBase, config.channelMax);
    let idx = 0;
    const randn = (shape: number[]) => () =>
      seed === null ? tf.zeros(shape) : tf.randomNormal(shape, 0, 1, 'float32', paramSeed(seed, idx++));
    const zeros = (shape: number[]) => () => tf.zeros(shape);
    const p = this.params;
    for (let res = config.resolution; res >= 8; res /= 2) {
      const blk = { res, inC: res < config.resolution ? ch(res) : 0, tmpC: ch(res), outC: ch(res / 2) };
      this.blocks.push(blk);
      const b = `b${res}`;
      if (blk.inC === 0) {
        p.add(`${b}.fromrgb.weight`, [blk.tmpC, config.imgChannels, 1, 1], 'conv', true, randn([blk.tmpC, config.imgChannels, 1, 1]));
        p.add(`${b}.fromrgb.bias`, [blk.tmpC], 'plain', true, zeros([blk.tmpC]));
      }
      p.add(`${b}.conv0.weight`, [blk.tmpC, blk.tmpC, 3, 3], 'conv', true, randn([blk.tmpC, blk.tmpC, 3, 3]));
      p.add(`${b}.conv0.bias`, [blk.tmpC], 'plain', true, zeros([blk.tmpC]));
      p.add(`${b}.conv1.weight`, [blk.outC, blk.tmpC, 3, 3], 'conv', true, randn([blk.outC, blk.tmpC, 3, 3]));
      p.add(`${b}.conv1.bias`, [blk.outC], 'plain', true, zeros([blk.outC]));
      p.add(`${b}.skip.weight`, [blk.outC, blk.tmpC, 1, 1], 'conv', true, randn([blk.outC, blk.tmpC, 1, 1]));
    }
    const c = ch(4);
    this.c4 = c;
    const cin = c + config.mbstdNumChannels;
    if (c % config.mbstdNumChannels !== 0) {
      throw new StyleGan2Error(
        'STYLEGAN2_INVALID_CONFIG',
        `Discriminator: channels at 4×4 (${c}) must be divisible by mbstdNumChannels (${config.mbstdNumChannels})`,
      );
    }
    p.add('b4.conv.weight', [c, cin, 3, 3], 'conv', true, randn([c, cin, 3, 3]));
    p.add('b4.conv.bias', [c], 'plain', true, zeros([c]));
    p.add('b4.fc.weight', [c, c * 16], 'fc', true, randn([c, c * 16]));
    p.add('b4.fc.bias', [c], 'plain', true, zeros([c]));
    p.add('b4.out.weight', [1, c], 'fc', true, randn([1, c]));
    p.add('b4.out.bias', [1], 'plain', true, zeros([1]));
  }

  /** Equalized-lr Conv2dLayer (`networks.py:142-169`) with optional down-sampling by 2. */
  private conv(
    x: tf.Tensor4D,
    name: string,
    k: 1 | 3,
    down: 1 | 2,
    act: 'lrelu' | 'linear',
    gain: number,
    bias: boolean,
    clamp: number | null,
  ): tf.Tensor4D {
    // The activation gain is folded into the weight and bias (lrelu and linear are positively
    // homogeneous), saving a pass over the activations.
    const defGain = act === 'lrelu' ? SQRT2 : 1;
    const w = this.params.get(`${name}.weight`) as tf.Variable<tf.Rank.R4>;
    const wg = tf.mul(w, (defGain * gain) / Math.sqrt(w.shape[2] * k * k)) as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (k === 1) {
      // conv2d_resample.py:107-110: filter and decimate first, then the 1×1 conv.
      const xd = down === 2 ? this.fir.apply(x, 1, 2, 1, 1, 1) : x;
      y = conv1x1(xd, tf.reshape(wg, [w.shape[2], w.shape[3]]) as tf.Tensor2D);
    } else if (down === 2) {
      // conv2d_resample.py:119-122: FIR with pad 2, then the strided conv.
      y = tf.conv2d(this.fir.apply(x, 1, 1, 2, 2, 1), wg, 2, 'valid');
    } else {
      y = tf.conv2d(x, wg, 1, 'same');
    }
    const b = bias ? tf.mul(this.params.get(`${name}.bias`), defGain * gain) : null;
    return biasAct(y, b, act, 1, clamp === null ? null : clamp * gain) as tf.Tensor4D;
  }

  /** FullyConnectedLayer with lr multiplier 1 (`networks.py:100-118`). */
  private fc(x: tf.Tensor2D, name: string, act: 'lrelu' | 'linear'): tf.Tensor2D {
    const g = act === 'lrelu' ? SQRT2 : 1;
    const w = this.params.get(`${name}.weight`);
    const y = tf.matMul(x, tf.mul(w, g / Math.sqrt(w.shape[0])));
    return biasAct(y, tf.mul(this.params.get(`${name}.bias`), g), act, 1, null) as tf.Tensor2D;
  }

  /**
   * Logits `[N, 1]` for NHWC images `[N, R, R, C]` in [-1, 1].
   *
   * @example
   * const logits = D.logits(images);
   */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    this.check();
    const [, h, w, c] = images.shape;
    if (images.rank !== 4 || h !== this.resolution || w !== this.resolution || c !== this.imgChannels) {
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_INPUT',
        `Discriminator.logits: images must be NHWC [N, ${this.resolution}, ${this.resolution}, ${this.imgChannels}], got [${images.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const clamp = this.config.convClamp;
      let x: tf.Tensor4D | null = null;
      for (const b of this.blocks) {
        const name = `b${b.res}`;
        if (b.inC === 0) x = this.conv(images, `${name}.fromrgb`, 1, 1, 'lrelu', 1, true, clamp);
        const y = this.conv(x!, `${name}.skip`, 1, 2, 'linear', SQRT_HALF, false, null);
        let t = this.conv(x!, `${name}.conv0`, 3, 1, 'lrelu', 1, true, clamp);
        t = this.conv(t, `${name}.conv1`, 3, 2, 'lrelu', SQRT_HALF, true, clamp);
        x = tf.add(y, t) as tf.Tensor4D;
      }
      const n = images.shape[0];
      x = minibatchStd(x!, this.config.mbstdGroupSize, this.config.mbstdNumChannels);
      x = this.conv(x, 'b4.conv', 3, 1, 'lrelu', 1, true, clamp);
      const flat = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, this.c4 * 16]) as tf.Tensor2D; // NCHW flatten order
      return this.fc(this.fc(flat, 'b4.fc', 'lrelu'), 'b4.out', 'linear');
    });
  }

  variables(): Record<string, tf.Variable> {
    this.check();
    return this.params.variables();
  }

  trainableVariables(): tf.Variable[] {
    this.check();
    return this.params.trainableVariables();
  }

  clone(): Discriminator {
    this.check();
    const d = new Discriminator(this.config, null);
    d.params.copyFrom(this.params);
    return d;
  }

  /** Official `state_dict` (names, layouts, shapes), incl. the `resample_filter` buffers. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    this.check();
    const out = this.params.toOfficial();
    const f2 = filter2d(this.config.resampleFilter);
    for (const b of this.blocks) {
      const n = `b${b.res}`;
      if (b.inC === 0) out[`${n}.fromrgb.resample_filter`] = f2;
      for (const l of ['conv0', 'conv1', 'skip']) out[`${n}.${l}.resample_filter`] = f2;
      out[`${n}.resample_filter`] = f2;
    }
    out['b4.conv.resample_filter'] = f2;
    return out;
  }

  /** Assigns an official-layout state dict; see `Generator.loadStateDict`. */
  loadStateDict(tensors: Record<string, TensorRecord>, source = 'state dict'): LoadReport {
    this.check();
    checkResampleFilters(tensors, this.config.resampleFilter, source);
    return this.params.assignOfficial(tensors, (n) => /^b\d+\.((fromrgb|conv0|conv1|skip|conv)\.)?resample_filter$/.test(n), source);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
    this.fir.dispose();
  }

  private check(): void {
    if (this.disposed) throw new StyleGan2Error('STYLEGAN2_DISPOSED', 'Discriminator was disposed');
  }
}

/**
 * Builds a discriminator with official random initialisation (weights ~ N(0, 1), biases 0).
 *
 * @example
 * const D = createDiscriminator({ resolution: 32, channelBase: 512, channelMax: 64 }, { seed: 2 });
 * const logits = D.logits(images);
 */
export function createDiscriminator(config: DiscriminatorConfigInput | DiscriminatorConfig, opts: { seed?: number } = {}): Discriminator {
  return new Discriminator(parseDiscriminatorConfig(config), opts.seed ?? 0);
}
