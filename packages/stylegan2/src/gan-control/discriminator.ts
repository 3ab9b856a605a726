/**
 * The official GAN-Control discriminator (`Discriminator` of `gan_model.py`, rosinality layout),
 * NHWC: `ConvLayer(C_img, ch[R], 1)`, residual blocks down to 4×4, minibatch stddev
 * (group `min(N, 4)`, one feature), `final_conv`, flatten in NCHW order, two EqualLinears.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EqualConv2d, EqualLinear, Fir, fusedLrelu } from './layers.js';
import { GanControlModelError } from './errors.js';
import { parseGanControlArgs, type GanControlConfig } from './config.js';
import { need, resolveStateDict, type GanControlWeightsSource, type GanControlStateDict } from './weights.js';
import type { LoadGanControlOptions } from './generator.js';

interface ConvLayer {
  conv: EqualConv2d;
  bias: tf.Tensor1D | null;
  blur: Fir | null;
}

interface ResBlock {
  conv1: ConvLayer;
  conv2: ConvLayer;
  skip: ConvLayer;
}

/** A loaded official GAN-Control discriminator. */
export interface GanControlDiscriminator {
  readonly resolution: number;
  readonly imgChannels: number;
  /** Channel width per resolution, inferred from the weights. */
  readonly channels: Readonly<Record<number, number>>;
  /** Minibatch-stddev group size (official `stddev_group` = 4; the group is `min(N, 4)`). */
  readonly stddevGroup: number;
  /**
   * Images NHWC `[N, R, R, C]` → logits `[N, 1]`. N must be divisible by `min(N, 4)` (as in the
   * official code); row b shares its stddev group with rows `b mod (N / group)`.
   */
  logits(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

class Discriminator implements GanControlDiscriminator {
  readonly resolution: number;
  readonly imgChannels: number;
  readonly channels: Record<number, number> = {};
  readonly stddevGroup = 4;
  private readonly fromRgb: ConvLayer;
  private readonly blocks: ResBlock[] = [];
  private readonly finalConv: ConvLayer;
  private readonly linear0: EqualLinear;
  private readonly linear1: EqualLinear;
  private readonly owned: { dispose(): void }[] = [];
  private disposed = false;

  constructor(sd: GanControlStateDict, config: GanControlConfig, what: string) {
    this.resolution = config.resolution;
    const blocks = Math.log2(config.resolution) - 2;
    try {
      const layer = (prefix: string, blurred: boolean, activate: boolean): ConvLayer => {
        const o = blurred ? 1 : 0;
        const blur = blurred ? new Fir(need(sd, `${prefix}.0.kernel`, what, 2)) : null;
        if (blur) this.owned.push(blur);
        const conv = new EqualConv2d(sd, `${prefix}.${o}.weight`, what);
        this.owned.push(conv);
        const bias = activate ? tf.tensor1d(need(sd, `${prefix}.${o + 1}.bias`, what, 1, [conv.outChannels]).data) : null;
        if (bias) this.owned.push(bias);
        return { conv, bias, blur };
      };
      this.fromRgb = layer('convs.0', false, true);
      this.imgChannels = this.fromRgb.conv.inChannels;
      if (this.imgChannels !== config.imgChannels)
        need(sd, 'convs.0.0.weight', what, 4, [this.fromRgb.conv.outChannels, config.imgChannels, 1, 1]);
      let ch = this.fromRgb.conv.outChannels;
      this.channels[config.resolution] = ch;
      for (let i = 1; i <= blocks; i++) {
        const b: ResBlock = {
          conv1: layer(`convs.${i}.conv1`, false, true),
          conv2: layer(`convs.${i}.conv2`, true, true),
          skip: layer(`convs.${i}.skip`, true, false),
        };
        if (b.conv1.conv.inChannels !== ch || b.conv1.conv.outChannels !== ch)
          need(sd, `convs.${i}.conv1.0.weight`, what, 4, [ch, ch, 3, 3]);
        const out = b.conv2.conv.outChannels;
        if (b.conv2.conv.inChannels !== ch) need(sd, `convs.${i}.conv2.1.weight`, what, 4, [out, ch, 3, 3]);
        if (b.skip.conv.inChannels !== ch || b.skip.conv.outChannels !== out)
          need(sd, `convs.${i}.skip.1.weight`, what, 4, [out, ch, 1, 1]);
        this.blocks.push(b);
        ch = out;
        this.channels[config.resolution / 2 ** i] = ch;
      }
      if (sd[`convs.${blocks + 1}.conv1.0.weight`]) {
        throw new GanControlModelError(
          'GAN_CONTROL_WEIGHTS_INVALID',
          `${what}: the discriminator has more blocks than model_config.size = ${config.resolution} allows; args.json does not belong to this checkpoint.`,
        );
      }
      this.finalConv = layer('final_conv', false, true);
      if (this.finalConv.conv.inChannels !== ch + 1)
        need(sd, 'final_conv.0.weight', what, 4, [this.finalConv.conv.outChannels, ch + 1, 3, 3]);
      const c4 = this.finalConv.conv.outChannels;
      this.linear0 = new EqualLinear(sd, 'final_linear.0', what, true, 1);
      this.owned.push(this.linear0);
      if (this.linear0.inDim !== c4 * 16) need(sd, 'final_linear.0.weight', what, 2, [this.linear0.outDim, c4 * 16]);
      this.linear1 = new EqualLinear(sd, 'final_linear.1', what, false, 1);
      this.owned.push(this.linear1);
      if (this.linear1.inDim !== this.linear0.outDim || this.linear1.outDim !== 1)
        need(sd, 'final_linear.1.weight', what, 2, [1, this.linear0.outDim]);
    } catch (e) {
      for (const t of this.owned) t.dispose();
      throw e;
    }
  }

  private conv(l: ConvLayer, x: tf.Tensor4D, stride: 1 | 2, padding: number, blurPad?: [number, number]): tf.Tensor4D {
    const y = l.blur ? l.blur.apply(x, 1, blurPad![0], blurPad![1]) : x;
    const z = l.conv.apply(y, stride, padding);
    return (l.bias ? fusedLrelu(z, l.bias) : z) as tf.Tensor4D;
  }

  logits(images: tf.Tensor4D): tf.Tensor2D {
    if (this.disposed) throw new GanControlModelError('GAN_CONTROL_INPUT_INVALID', 'This GAN-Control discriminator was disposed.');
    const [n, h, w, c] = images.shape;
    if (images.rank !== 4 || h !== this.resolution || w !== this.resolution || c !== this.imgChannels) {
      throw new GanControlModelError(
        'GAN_CONTROL_INPUT_INVALID',
        `GAN-Control discriminator: images must be NHWC [N, ${this.resolution}, ${this.resolution}, ${this.imgChannels}], got [${images.shape.join(', ')}] (NCHW tensors must be transposed).`,
      );
    }
    const group = Math.min(n, this.stddevGroup);
    if (n % group !== 0) {
      throw new GanControlModelError(
        'GAN_CONTROL_INPUT_INVALID',
        `GAN-Control discriminator: batch ${n} is not divisible by the minibatch-stddev group min(N, ${this.stddevGroup}) = ${group} (the official code fails the same way). Use a batch of 1-4 or a multiple of 4.`,
      );
    }
    return tf.tidy(() => {
      let x = this.conv(this.fromRgb, images, 1, 0);
      for (const b of this.blocks) {
        const out = this.conv(b.conv2, this.conv(b.conv1, x, 1, 1), 2, 0, [2, 2]);
        const skip = this.conv(b.skip, x, 2, 0, [1, 1]);
        x = tf.div(tf.add(out, skip), Math.SQRT2) as tf.Tensor4D;
      }
      // Minibatch stddev: rows b and b + k·(N/group) form a group.
      const [, hh, ww, cc] = x.shape;
      const m = n / group;
      const y = tf.reshape(x, [group, m, hh, ww, cc]);
      const mean = tf.mean(y, 0, true);
      const variance = tf.mean(tf.square(tf.sub(y, mean)), 0);
      const sd = tf.mean(tf.sqrt(tf.add(variance, 1e-8)), [1, 2, 3]); // [m]
      const feat = tf.tile(tf.reshape(sd, [m, 1, 1, 1]), [group, hh, ww, 1]);
      x = tf.concat([x, feat], 3) as tf.Tensor4D;
      x = this.conv(this.finalConv, x, 1, 1);
      const flat = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, -1]) as tf.Tensor2D; // NCHW flatten order
      return this.linear1.apply(this.linear0.apply(flat));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
  }
}

/**
 * Loads the official GAN-Control discriminator (state_dict `d` of a trainer checkpoint, a
 * safetensors file of it, or a read state_dict) with the run's `args.json`.
 *
 * @example
 * ```ts
 * const D = loadGanControlDiscriminator(await readFile('checkpoint/000800.pt'), args);
 * const logits = D.logits(images); // [N, 1]
 * ```
 */
export function loadGanControlDiscriminator(
  checkpoint: GanControlWeightsSource,
  args: unknown,
  options: LoadGanControlOptions = {},
): GanControlDiscriminator {
  const what = options.source ?? 'GAN-Control discriminator weights';
  const config = parseGanControlArgs(args);
  const sd: GanControlStateDict = resolveStateDict(checkpoint, options.key ?? 'd', what);
  return new Discriminator(sd, config, what);
}
