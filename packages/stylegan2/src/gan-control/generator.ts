/**
 * The official GAN-Control generator (`Generator` of `gan_model.py`: rosinality StyleGAN2 with
 * per-group mapping networks, `conv_transpose=True`), NHWC. Channel widths, mapping depth and
 * hidden width are inferred from the weight shapes; args.json supplies the resolution, the latent
 * size and the group slices (in latent order).
 */
import * as tf from '@tensorflow/tfjs-core';
import { paramSeed } from '../params.js';
import type { StyleGenerator } from '../style-generator.js';
import { writeSafetensors } from '@gan-control/tensor-io';
import { parseGanControlArgs, type GanControlConfig, type GanControlGroup } from './config.js';
import { GanControlModelError } from './errors.js';
import { EqualLinear, fusedLrelu, ModulatedConv2d, Fir, pixelNorm } from './layers.js';
import { need, resolveStateDict, type GanControlWeightsSource, type GanControlStateDict } from './weights.js';

/** Options of `GanControlGenerator.mapping`. */
export interface GanControlMappingOptions {
  /** ψ: `w = w̄ + ψ·(w − w̄)`; default 1 (no truncation). */
  readonly truncationPsi?: number;
  /** Truncate only the first `truncationCutoff` of the `numWs` layers (default: all). */
  readonly truncationCutoff?: number;
  /** w̄, `[1, wDim]` or `[wDim]`; default the generator's `wAvg` (the official model stores none: the mean w of 4096 latents, seed 0). */
  readonly truncationLatent?: tf.Tensor;
}

/** Options of `GanControlGenerator.synthesis`. */
export interface GanControlSynthesisOptions {
  /**
   * `'const'` (default): the stored `noises.noise_i` buffers (official `randomize_noise=False`);
   * `'random'`: fresh N(0, 1) per sample and layer; `'none'`: no noise.
   */
  readonly noiseMode?: 'const' | 'random' | 'none';
  /** Explicit noise per layer (`numNoise` tensors, NHWC `[N or 1, r, r, 1]`); wins over `noiseMode`. */
  readonly noise?: readonly tf.Tensor4D[];
}

interface StyledConv {
  conv: ModulatedConv2d;
  noiseWeight: tf.Scalar;
  bias: tf.Tensor1D;
}

interface ToRgb {
  conv: ModulatedConv2d;
  bias: tf.Tensor1D;
  upsample: Fir | null;
}

/** A loaded official GAN-Control generator. Inference only; `dispose()` frees its weights. */
export interface GanControlGenerator extends StyleGenerator {
  readonly upstream: 'gan-control';
  readonly config: GanControlConfig;
  readonly zDim: number;
  readonly wDim: number;
  /** Style inputs (`n_latent = 2·log2(resolution) − 2`). */
  readonly numWs: number;
  /** Noise inputs (`num_layers = 2·log2(resolution) − 3`), resolutions in `noiseResolutions`. */
  readonly numNoise: number;
  readonly noiseResolutions: readonly number[];
  readonly resolution: number;
  readonly imgChannels: number;
  /** Channel width per resolution, inferred from the weights (e.g. `{ 4: 512, 8: 512, ... }`). */
  readonly channels: Readonly<Record<number, number>>;
  /** Mapping groups in latent order (null: one standard mapping). */
  readonly groups: readonly GanControlGroup[] | null;
  /** Official `G.style(z)`: `[N, zDim]` → 2-D w `[N, wDim]` (per-group PixelNorm + stacks, concatenated in latent order); `mapW` is the same. */
  style(z: tf.Tensor2D): tf.Tensor2D;
  /** `[N, zDim]` → w+ `[N, numWs, wDim]` (w broadcast to every layer), truncated if asked. */
  mapping(z: tf.Tensor2D, options?: GanControlMappingOptions): tf.Tensor3D;
  /** w+ `[N, numWs, wDim]` (or 2-D w `[N, wDim]`, broadcast) → images NHWC `[N, R, R, C]`, raw (≈ [-1, 1], unclamped). */
  synthesis(ws: tf.Tensor, options?: GanControlSynthesisOptions): tf.Tensor4D;
  /** Mean w over `samples` z ~ N(0, I) drawn with `seed` (official `calc_mean_w_latents` idea), `[1, wDim]`; the same for the same seed. */
  meanW(options?: { samples?: number; seed?: number; batchSize?: number }): tf.Tensor2D;
  dispose(): void;
}

function scalarOf(sd: GanControlStateDict, name: string, what: string): tf.Scalar {
  return tf.scalar(need(sd, name, what, 1, [1]).data[0]);
}

class Generator implements GanControlGenerator {
  /** The official GAN-Control port (rosinality's stylegan2-pytorch layout, a mapping per group). */
  readonly upstream = 'gan-control' as const;
  readonly config: GanControlConfig;
  readonly zDim: number;
  readonly wDim: number;
  readonly numWs: number;
  readonly numNoise: number;
  readonly noiseResolutions: number[];
  readonly resolution: number;
  readonly imgChannels: number;
  readonly channels: Record<number, number> = {};
  readonly groups: readonly GanControlGroup[] | null;
  private readonly stacks: { offset: number; size: number; layers: EqualLinear[] }[] = [];
  private readonly input: tf.Tensor4D; // [1, 4, 4, C]
  private readonly conv1: StyledConv;
  private readonly toRgb1: ToRgb;
  private readonly convs: StyledConv[] = [];
  private readonly toRgbs: ToRgb[] = [];
  private readonly noises: tf.Tensor4D[] = []; // [1, r, r, 1]
  private disposed = false;
  private meanWCache: tf.Tensor1D | undefined;

  constructor(sd: GanControlStateDict, config: GanControlConfig, what: string) {
    this.config = config;
    this.resolution = config.resolution;
    this.zDim = config.latentSize;
    this.groups = config.groups;
    const logSize = Math.log2(config.resolution);
    this.numWs = logSize * 2 - 2;
    this.numNoise = logSize * 2 - 3;
    const tracked: { dispose(): void }[] = [];
    try {
      // Mapping: style.<group>.1..n (split_fc) or style.1..n; index 0 is PixelNorm.
      const stackDefs = config.groups ?? [{ name: '', offset: 0, size: config.latentSize }];
      for (const g of stackDefs) {
        const base = g.name ? `style.${g.name}` : 'style';
        const layers: EqualLinear[] = [];
        for (let i = 1; sd[`${base}.${i}.weight`]; i++) {
          const l = new EqualLinear(sd, `${base}.${i}`, what, true, 0.01);
          tracked.push(l);
          const expectIn = i === 1 ? g.size : layers[i - 2].outDim;
          if (l.inDim !== expectIn) need(sd, `${base}.${i}.weight`, what, 2, [l.outDim, expectIn]);
          layers.push(l);
        }
        if (layers.length === 0) need(sd, `${base}.1.weight`, what, 2);
        if (layers[layers.length - 1].outDim !== g.size)
          need(sd, `${base}.${layers.length}.weight`, what, 2, [g.size, layers[layers.length - 1].inDim]);
        this.stacks.push({ offset: g.offset, size: g.size, layers });
      }
      this.wDim = config.latentSize;
      const extraStyle = Object.keys(sd).filter(
        (k) => k.startsWith('style.') && !stackDefs.some((g) => k.startsWith(g.name ? `style.${g.name}.` : 'style.')),
      );
      if (extraStyle.length) {
        throw new GanControlModelError(
          'GAN_CONTROL_WEIGHTS_INVALID',
          `${what}: mapping weights ${extraStyle.slice(0, 3).join(', ')} belong to no group of args.json (groups: ${stackDefs.map((g) => g.name).join(', ')}).`,
        );
      }

      const inp = need(sd, 'input.input', what, 4);
      const c4 = inp.shape[1];
      need(sd, 'input.input', what, 4, [1, c4, 4, 4]);
      this.input = tf.tidy(() => tf.keep(tf.transpose(tf.tensor4d(inp.data, [1, c4, 4, 4]), [0, 2, 3, 1]))) as tf.Tensor4D;
      tracked.push(this.input);
      this.channels[4] = c4;

      const styled = (prefix: string, upsample: boolean): StyledConv => {
        const conv = new ModulatedConv2d(sd, `${prefix}.conv`, what, true, upsample);
        tracked.push(conv);
        if (conv.modulation.inDim !== this.wDim) need(sd, `${prefix}.conv.modulation.weight`, what, 2, [conv.inChannels, this.wDim]);
        const noiseWeight = scalarOf(sd, `${prefix}.noise.weight`, what);
        const bias = tf.tensor1d(need(sd, `${prefix}.activate.bias`, what, 1, [conv.outChannels]).data);
        tracked.push(noiseWeight, bias);
        return { conv, noiseWeight, bias };
      };
      const toRgb = (prefix: string, upsample: boolean): ToRgb => {
        const conv = new ModulatedConv2d(sd, `${prefix}.conv`, what, false, false);
        tracked.push(conv);
        const bias = tf.tensor1d(need(sd, `${prefix}.bias`, what, 4, [1, conv.outChannels, 1, 1]).data);
        tracked.push(bias);
        const up = upsample ? new Fir(need(sd, `${prefix}.upsample.kernel`, what, 2)) : null;
        if (up) tracked.push(up);
        return { conv, bias, upsample: up };
      };
      this.conv1 = styled('conv1', false);
      this.toRgb1 = toRgb('to_rgb1', false);
      this.imgChannels = this.toRgb1.conv.outChannels;
      for (let i = 0; i < this.numWs - 2; i++) this.convs.push(styled(`convs.${i}`, i % 2 === 0));
      for (let k = 0; k < (this.numWs - 2) / 2; k++) this.toRgbs.push(toRgb(`to_rgbs.${k}`, true));
      if (sd[`convs.${this.numWs - 2}.conv.weight`] || sd[`to_rgbs.${(this.numWs - 2) / 2}.conv.weight`]) {
        throw new GanControlModelError(
          'GAN_CONTROL_WEIGHTS_INVALID',
          `${what}: the checkpoint has more synthesis layers than model_config.size = ${config.resolution} allows. args.json does not belong to this checkpoint.`,
        );
      }
      // Channel chain: each layer's input must be the previous layer's output.
      let prev = this.conv1.conv.outChannels;
      if (this.conv1.conv.inChannels !== c4) need(sd, 'conv1.conv.weight', what, 5, [1, prev, c4, 3, 3]);
      for (let i = 0; i < this.convs.length; i++) {
        const c = this.convs[i].conv;
        if (c.inChannels !== prev) need(sd, `convs.${i}.conv.weight`, what, 5, [1, c.outChannels, prev, c.k, c.k]);
        prev = c.outChannels;
        if (i % 2 === 1) this.channels[4 * 2 ** ((i + 1) / 2)] = prev;
      }
      this.noiseResolutions = [];
      for (let i = 0; i < this.numNoise; i++) {
        const r = 4 * 2 ** Math.floor((i + 1) / 2);
        this.noiseResolutions.push(r);
        const nb = need(sd, `noises.noise_${i}`, what, 4, [1, 1, r, r]);
        const t = tf.tensor4d(nb.data, [1, r, r, 1]);
        tracked.push(t);
        this.noises.push(t);
      }
    } catch (e) {
      for (const t of tracked) t.dispose();
      throw e;
    }
  }

  private check(): void {
    if (this.disposed) throw new GanControlModelError('GAN_CONTROL_INPUT_INVALID', 'This GAN-Control generator was disposed.');
  }

  mapW(z: tf.Tensor2D): tf.Tensor2D {
    return this.style(z);
  }

  /** The truncation centre `[wDim]`: the official model stores none, so the mean w of 4096 latents (seed 0), on first use. */
  get wAvg(): tf.Tensor1D {
    this.check();
    // Kept: a caller's tf.tidy around the first use must not dispose the cache.
    this.meanWCache ??= tf.keep(tf.tidy(() => tf.reshape(this.meanW({ samples: 4096, seed: 0 }), [this.wDim]) as tf.Tensor1D));
    return this.meanWCache;
  }

  noiseShapes(): { name: string; shape: [number, number, number, number] }[] {
    return this.noiseResolutions.map((r, i) => ({ name: `noise_${i}`, shape: [1, r, r, 1] }));
  }

  style(z: tf.Tensor2D): tf.Tensor2D {
    this.check();
    if (z.rank !== 2 || z.shape[1] !== this.zDim) {
      throw new GanControlModelError(
        'GAN_CONTROL_INPUT_INVALID',
        `GAN-Control mapping: z must be [N, ${this.zDim}], got [${z.shape.join(', ')}].`,
      );
    }
    return tf.tidy(() => {
      const parts = this.stacks.map((s) => {
        let x = pixelNorm(tf.slice(z, [0, s.offset], [-1, s.size]));
        for (const l of s.layers) x = l.apply(x);
        return x;
      });
      return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
    });
  }

  mapping(z: tf.Tensor2D, options: GanControlMappingOptions = {}): tf.Tensor3D {
    const psi = options.truncationPsi ?? 1;
    // The official model stores no mean w: without truncationLatent the centre is `wAvg`.
    const centre = psi !== 1 ? (options.truncationLatent ?? this.wAvg) : undefined;
    return tf.tidy(() => {
      let w: tf.Tensor = this.style(z);
      const n = z.shape[0];
      w = tf.tile(tf.reshape(w, [n, 1, this.wDim]), [1, this.numWs, 1]);
      if (psi !== 1) {
        const avg = tf.reshape(centre!, [1, 1, this.wDim]);
        const cutoff = Math.min(options.truncationCutoff ?? this.numWs, this.numWs);
        const trunc = tf.add(avg, tf.mul(tf.sub(w, avg), psi));
        w =
          cutoff >= this.numWs
            ? trunc
            : tf.concat([tf.slice(trunc, [0, 0, 0], [-1, cutoff, -1]), tf.slice(w, [0, cutoff, 0], [-1, -1, -1])], 1);
      }
      return w as tf.Tensor3D;
    });
  }

  private noiseFor(i: number, n: number, options: GanControlSynthesisOptions): tf.Tensor4D | null {
    const r = this.noiseResolutions[i];
    if (options.noise) {
      const t = options.noise[i];
      if (!t || t.rank !== 4 || t.shape[1] !== r || t.shape[2] !== r || t.shape[3] !== 1 || (t.shape[0] !== n && t.shape[0] !== 1)) {
        throw new GanControlModelError(
          'GAN_CONTROL_INPUT_INVALID',
          `GAN-Control synthesis: noise[${i}] must be NHWC [${n} or 1, ${r}, ${r}, 1], got ${t ? `[${t.shape.join(', ')}]` : 'nothing'} (${this.numNoise} noise tensors expected).`,
        );
      }
      return t;
    }
    const mode = options.noiseMode ?? 'const';
    if (mode === 'none') return null;
    if (mode === 'random') return tf.randomNormal([n, r, r, 1]);
    if (mode === 'const') return this.noises[i];
    throw new GanControlModelError(
      'GAN_CONTROL_INPUT_INVALID',
      `GAN-Control synthesis: noiseMode must be 'const', 'random' or 'none', got '${String(mode)}'.`,
    );
  }

  private styled(layer: StyledConv, x: tf.Tensor4D, w: tf.Tensor2D, noise: tf.Tensor4D | null): tf.Tensor4D {
    let y: tf.Tensor = layer.conv.apply(x, w);
    if (noise) y = tf.add(y, tf.mul(noise, layer.noiseWeight));
    return fusedLrelu(y, layer.bias) as tf.Tensor4D;
  }

  private rgb(layer: ToRgb, x: tf.Tensor4D, w: tf.Tensor2D, skip: tf.Tensor4D | null): tf.Tensor4D {
    let y: tf.Tensor = tf.add(layer.conv.apply(x, w), layer.bias);
    if (skip) y = tf.add(y, layer.upsample!.apply(skip, 2, 2, 1));
    return y as tf.Tensor4D;
  }

  synthesis(ws: tf.Tensor, options: GanControlSynthesisOptions = {}): tf.Tensor4D {
    this.check();
    if (!((ws.rank === 3 && ws.shape[1] === this.numWs && ws.shape[2] === this.wDim) || (ws.rank === 2 && ws.shape[1] === this.wDim))) {
      throw new GanControlModelError(
        'GAN_CONTROL_INPUT_INVALID',
        `GAN-Control synthesis: ws must be [N, ${this.numWs}, ${this.wDim}] (or 2-D w [N, ${this.wDim}]), got [${ws.shape.join(', ')}].`,
      );
    }
    if (options.noise && options.noise.length !== this.numNoise) {
      throw new GanControlModelError(
        'GAN_CONTROL_INPUT_INVALID',
        `GAN-Control synthesis: ${this.numNoise} noise tensors expected, got ${options.noise.length}.`,
      );
    }
    return tf.tidy(() => {
      const n = ws.shape[0];
      const layerW = (l: number) => (ws.rank === 2 ? ws : tf.reshape(tf.slice(ws, [0, l, 0], [-1, 1, -1]), [n, this.wDim])) as tf.Tensor2D;
      let x = tf.tile(this.input, [n, 1, 1, 1]) as tf.Tensor4D;
      x = this.styled(this.conv1, x, layerW(0), this.noiseFor(0, n, options));
      let skip = this.rgb(this.toRgb1, x, layerW(1), null);
      for (let k = 0; k < this.toRgbs.length; k++) {
        x = this.styled(this.convs[2 * k], x, layerW(1 + 2 * k), this.noiseFor(1 + 2 * k, n, options));
        x = this.styled(this.convs[2 * k + 1], x, layerW(2 + 2 * k), this.noiseFor(2 + 2 * k, n, options));
        skip = this.rgb(this.toRgbs[k], x, layerW(3 + 2 * k), skip);
      }
      return skip;
    });
  }

  meanW({ samples = 10000, seed = 0, batchSize = 1000 } = {}): tf.Tensor2D {
    this.check();
    let sum = tf.zeros([1, this.wDim]) as tf.Tensor2D;
    for (let done = 0, b = 0; done < samples; b++) {
      const m = Math.min(batchSize, samples - done);
      const next = tf.tidy(() =>
        tf.add(sum, tf.sum(this.style(tf.randomNormal([m, this.zDim], 0, 1, 'float32', paramSeed(seed, b))), 0, true)),
      ) as tf.Tensor2D;
      sum.dispose();
      sum = next;
      done += m;
    }
    const mean = tf.div(sum, samples) as tf.Tensor2D;
    sum.dispose();
    return mean;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.meanWCache?.dispose();
    for (const s of this.stacks) for (const l of s.layers) l.dispose();
    this.input.dispose();
    for (const l of [this.conv1, ...this.convs]) {
      l.conv.dispose();
      l.noiseWeight.dispose();
      l.bias.dispose();
    }
    for (const l of [this.toRgb1, ...this.toRgbs]) {
      l.conv.dispose();
      l.bias.dispose();
      l.upsample?.dispose();
    }
    for (const t of this.noises) t.dispose();
  }
}

/** Options of the GAN-Control loaders. */
export interface LoadGanControlOptions {
  /** State_dict key inside a trainer checkpoint (default `g_ema` for G, `d` for D). */
  readonly key?: string;
  /** Name of the weights in error messages. */
  readonly source?: string;
}

/**
 * Loads the official GAN-Control generator from its trainer checkpoint (`torch.save({g, d, g_ema,
 * g_optim, d_optim})`, read safely; `g_ema` is used as the official `Inference` does), from a
 * safetensors file of that state_dict, or from an already-read state_dict, plus the run's
 * `args.json` (parsed JSON). Channel widths come from the weight shapes.
 *
 * @example
 * ```ts
 * const G = loadGanControlGenerator(await readFile('checkpoint/000800.pt'), JSON.parse(await readFile('args.json', 'utf8')));
 * const img = tf.tidy(() => G.synthesis(G.mapping(tf.randomNormal([4, G.zDim]))));
 * ```
 */
export function loadGanControlGenerator(
  checkpoint: GanControlWeightsSource,
  args: unknown,
  options: LoadGanControlOptions = {},
): GanControlGenerator {
  const what = options.source ?? 'GAN-Control generator weights';
  const config = parseGanControlArgs(args);
  const sd = resolveStateDict(checkpoint, options.key ?? 'g_ema', what);
  return new Generator(sd, config, what);
}

/**
 * Official style mixing (`forward([z1, z2], inject_index)`): layers `< injectIndex` from `wsA`,
 * the rest from `wsB` (both `[N, numWs, wDim]`).
 *
 * @example
 * ```ts
 * const mixed = mixGanControlStyles(G.mapping(z1), G.mapping(z2), 3);
 * ```
 */
export function mixGanControlStyles(wsA: tf.Tensor3D, wsB: tf.Tensor3D, injectIndex: number): tf.Tensor3D {
  return tf.tidy(() => {
    const l = wsA.shape[1];
    const k = Math.max(0, Math.min(injectIndex, l));
    if (k === 0) return tf.clone(wsB);
    if (k === l) return tf.clone(wsA);
    return tf.concat([tf.slice(wsA, [0, 0, 0], [-1, k, -1]), tf.slice(wsB, [0, k, 0], [-1, -1, -1])], 1) as tf.Tensor3D;
  });
}

/** What `convertGanControlGenerator` returns. */
export interface ConvertedGanControlGenerator {
  /** safetensors bytes of the generator state_dict (official names, float32, file order = state_dict order). */
  readonly weights: Uint8Array;
  /** The normalised config (groups in latent order) and the inferred channel table. */
  readonly config: GanControlConfig;
  readonly channels: Readonly<Record<number, number>>;
  readonly numWs: number;
}

/**
 * Converts an official GAN-Control trainer checkpoint into a safetensors file of its `g_ema`
 * state_dict (what `loadGanControlGenerator` reads back with the same `args`), after checking
 * that the weights build a generator matching `args` (errors name the offending tensor).
 * `__metadata__` records `format` = `gan-control-official/generator` and the `args` JSON.
 *
 * @example
 * ```ts
 * const { weights } = convertGanControlGenerator(await readFile('checkpoint/000800.pt'), args);
 * await writeFileAtomic('model/generator.safetensors', weights);
 * ```
 */
export function convertGanControlGenerator(
  checkpoint: GanControlWeightsSource,
  args: unknown,
  options: LoadGanControlOptions = {},
): ConvertedGanControlGenerator {
  const what = options.source ?? 'GAN-Control generator weights';
  const config = parseGanControlArgs(args);
  const sd = resolveStateDict(checkpoint, options.key ?? 'g_ema', what);
  const G = new Generator(sd, config, what);
  const info = { channels: { ...G.channels }, numWs: G.numWs };
  G.dispose();
  const weights = writeSafetensors(
    Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, data: t.data, dtype: 'F32' as const }])),
    { format: 'gan-control-official/generator', args: JSON.stringify(args) },
  );
  return { weights, config, ...info };
}
