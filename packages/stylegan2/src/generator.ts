/**
 * StyleGAN2 generator (stylegan2-ada-pytorch `training/networks.py`, `Generator`, `skip`
 * synthesis), NHWC, with GAN-Control's partitioned mapping network as an option.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClampGradient, StyleGenerator } from './style-generator.js';
import { channelsAt, numWsFor, parseGeneratorConfig, StyleGan2Error, type GeneratorConfig, type GeneratorConfigInput } from './config.js';
import { addSpatial, biasAct, FirCache, modulatedConv2d, normalize2ndMoment, SQRT2 } from './ops.js';
import { ParamStore, paramSeed, type LoadReport, type TensorRecord } from './params.js';
import { lerpTowards } from './training.js';

export type NoiseMode = 'const' | 'random' | 'none';

export interface MappingOptions {
  /** Truncation ψ (1 = none). A record gives one ψ per mapping group (partitioned mapping; missing groups use 1). */
  truncationPsi?: number | Record<string, number>;
  /** Truncate only the first `truncationCutoff` rows of ws (official `truncation_cutoff`). */
  truncationCutoff?: number | null;
  /** Centre of truncation instead of `wAvg` (`[wDim]`). */
  truncationLatent?: tf.Tensor1D;
}

export interface SynthesisOptions {
  /** `const` (stored noise, the default, as `generate.py`), `random` (fresh N(0,1)), `none`. */
  noiseMode?: NoiseMode;
  /**
   * Explicit raw noise per synthesis conv layer, in layer order (`G.noiseShapes()`), each
   * `[N or 1, res, res, 1]`; multiplied by the layer's `noise_strength`. Overrides `noiseMode`.
   */
  noise?: tf.Tensor4D[];
  /** Seed for `noiseMode: 'random'` (unseeded otherwise). */
  noiseSeed?: number;
  /**
   * With `synthesis.clampOutput`: `'straight-through'` passes the gradient through the clamp as if it
   * were not there (the images are still clamped). For fitting a latent to an image (projection),
   * where a shape drawn in the wrong place lies in background clamped below −1 and
   * would otherwise get no gradient to move it; training uses the true (zero) gradient.
   */
  clampGradient?: ClampGradient;
}

/** Clamp to [-1, 1] whose gradient is the identity (straight-through). */
const clampStraightThrough = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clipByValue(inputs[0] as tf.Tensor, -1, 1),
  gradFunc: (dy: tf.Tensor) => dy,
})) as (x: tf.Tensor4D) => tf.Tensor4D;

interface ConvLayer {
  name: string; // e.g. synthesis.b8.conv0
  res: number;
  inC: number;
  outC: number;
  up: 1 | 2;
  wIndex: number;
}

interface RgbLayer {
  name: string;
  res: number;
  inC: number;
  wIndex: number;
}

/** The four mapping-stack names (standard: one stack named ''). */
interface MappingStack {
  prefix: string; // 'mapping' or 'mapping.groups.<name>'
  group: string | null;
  offset: number;
  size: number;
  features: number[];
}

/**
 * A StyleGAN2 generator. Weights are TF.js variables holding the **raw** official parameters
 * (equalized-lr gains applied at run time); `variables()` uses the official `state_dict` names.
 */
export class Generator implements StyleGenerator {
  /** NVIDIA stylegan2-ada-pytorch's networks and state-dict names. */
  readonly upstream = 'nvidia-stylegan2-ada' as const;
  readonly config: GeneratorConfig;
  readonly zDim: number;
  readonly wDim: number;
  readonly numWs: number;
  readonly resolution: number;
  readonly imgChannels: number;
  /** Latent groups of the partitioned mapping (null for the standard mapping). */
  readonly groups: readonly { name: string; offset: number; size: number }[] | null;

  private readonly params = new ParamStore();
  private readonly fir: FirCache;
  private readonly stacks: MappingStack[];
  private readonly convs: ConvLayer[] = [];
  private readonly rgbs: RgbLayer[] = [];
  private disposed = false;

  /**
   * Use `createGenerator` (random init) or the loaders. `seed = null` skips the random draw
   * (zeros), for networks whose weights are assigned right after (clone, loaders).
   */
  constructor(config: GeneratorConfig, seed: number | null) {
    this.config = config;
    this.zDim = config.zDim;
    this.wDim = config.wDim;
    this.resolution = config.resolution;
    this.imgChannels = config.imgChannels;
    this.numWs = numWsFor(config.resolution);
    this.fir = new FirCache(config.synthesis.resampleFilter);
    const m = config.mapping;
    let idx = 0;
    const randn =
      (shape: number[], scale = 1) =>
      () =>
        seed === null ? tf.zeros(shape) : tf.mul(tf.randomNormal(shape, 0, 1, 'float32', paramSeed(seed, idx++)), scale);
    const fill = (shape: number[], v: number) => () => tf.fill(shape, v);

    // Mapping network (networks.py:169-250).
    if (m.groups) {
      let offset = 0;
      this.stacks = m.groups.map((g) => {
        const hidden = m.layerFeatures ?? 256;
        const features = [g.size, ...new Array(m.numLayers - 1).fill(hidden), g.size];
        const s = { prefix: `mapping.groups.${g.name}`, group: g.name, offset, size: g.size, features };
        offset += g.size;
        return s;
      });
      this.groups = this.stacks.map((s) => ({ name: s.group!, offset: s.offset, size: s.size }));
    } else {
      const hidden = m.layerFeatures ?? config.wDim;
      const features = [config.zDim, ...new Array(m.numLayers - 1).fill(hidden), config.wDim];
      this.stacks = [{ prefix: 'mapping', group: null, offset: 0, size: config.zDim, features }];
      this.groups = null;
    }
    for (const s of this.stacks) {
      for (let i = 0; i < s.features.length - 1; i++) {
        const [fin, fout] = [s.features[i], s.features[i + 1]];
        this.params.add(`${s.prefix}.fc${i}.weight`, [fout, fin], 'fc', true, randn([fout, fin], 1 / m.lrMultiplier));
        this.params.add(`${s.prefix}.fc${i}.bias`, [fout], 'plain', true, fill([fout], 0));
      }
    }
    this.params.add('mapping.w_avg', [config.wDim], 'plain', false, fill([config.wDim], 0));

    // Synthesis network (networks.py:430-470), skip architecture.
    const sc = config.synthesis;
    const ch = (r: number) => channelsAt(r, sc.channelBase, sc.channelMax);
    let wIndex = 0;
    for (let res = 4; res <= config.resolution; res *= 2) {
      const b = `synthesis.b${res}`;
      const outC = ch(res);
      if (res === 4) {
        this.params.add(`${b}.const`, [outC, 4, 4], 'const', true, randn([outC, 4, 4]));
        this.convs.push({ name: `${b}.conv1`, res, inC: outC, outC, up: 1, wIndex: wIndex++ });
      } else {
        const inC = ch(res / 2);
        this.convs.push({ name: `${b}.conv0`, res, inC, outC, up: 2, wIndex: wIndex++ });
        this.convs.push({ name: `${b}.conv1`, res, inC: outC, outC, up: 1, wIndex: wIndex++ });
      }
      this.rgbs.push({ name: `${b}.torgb`, res, inC: outC, wIndex });
    }
    for (const l of this.convs) {
      this.params.add(`${l.name}.affine.weight`, [l.inC, config.wDim], 'fc', true, randn([l.inC, config.wDim]));
      this.params.add(`${l.name}.affine.bias`, [l.inC], 'plain', true, fill([l.inC], 1));
      this.params.add(`${l.name}.weight`, [l.outC, l.inC, 3, 3], 'conv', true, randn([l.outC, l.inC, 3, 3]));
      this.params.add(`${l.name}.bias`, [l.outC], 'plain', true, fill([l.outC], 0));
      if (sc.useNoise) {
        this.params.add(`${l.name}.noise_const`, [l.res, l.res], 'plain', false, randn([l.res, l.res]));
        this.params.add(`${l.name}.noise_strength`, [], 'plain', true, fill([], 0));
      }
    }
    for (const l of this.rgbs) {
      this.params.add(`${l.name}.affine.weight`, [l.inC, config.wDim], 'fc', true, randn([l.inC, config.wDim]));
      this.params.add(`${l.name}.affine.bias`, [l.inC], 'plain', true, fill([l.inC], 1));
      this.params.add(`${l.name}.weight`, [config.imgChannels, l.inC, 1, 1], 'conv', true, randn([config.imgChannels, l.inC, 1, 1]));
      this.params.add(`${l.name}.bias`, [config.imgChannels], 'plain', true, fill([config.imgChannels], 0));
    }
  }

  /** The moving average of w (official buffer `mapping.w_avg`, `[wDim]`). */
  get wAvg(): tf.Variable {
    return this.params.get('mapping.w_avg');
  }

  /**
   * Mapping network: `z [N, zDim]` → `ws [N, numWs, wDim]`, with optional truncation
   * (`ws = w̄ + ψ·(ws − w̄)` on rows `[0, cutoff)`, `networks.py:242-248`).
   *
   * @example
   * const ws = G.mapping(z, { truncationPsi: 0.7, truncationCutoff: 8 });
   */
  mapping(z: tf.Tensor2D, opts: MappingOptions = {}): tf.Tensor3D {
    this.check();
    if (z.rank !== 2 || z.shape[1] !== this.zDim) {
      throw new StyleGan2Error('STYLEGAN2_BAD_INPUT', `Generator.mapping: z must be [N, ${this.zDim}], got [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const w = this.mapW(z);
      const n = z.shape[0];
      const ws = tf.tile(tf.reshape(w, [n, 1, this.wDim]), [1, this.numWs, 1]) as tf.Tensor3D;
      return this.truncate(ws, opts);
    });
  }

  /** Mapping output before broadcasting: `[N, wDim]` (what `updateWAvg` averages). */
  mapW(z: tf.Tensor2D): tf.Tensor2D {
    this.check();
    return tf.tidy(() => {
      const lr = this.config.mapping.lrMultiplier;
      const outs = this.stacks.map((s) => {
        let x: tf.Tensor2D = this.stacks.length === 1 ? z : (tf.slice(z, [0, s.offset], [z.shape[0], s.size]) as tf.Tensor2D);
        x = normalize2ndMoment(x);
        for (let i = 0; i < s.features.length - 1; i++) {
          const wgt = this.params.get(`${s.prefix}.fc${i}.weight`);
          const b = this.params.get(`${s.prefix}.fc${i}.bias`);
          const y = tf.mul(tf.matMul(x, wgt), lr / Math.sqrt(s.features[i]));
          x = biasAct(y, tf.mul(b, lr), 'lrelu', SQRT2, null) as tf.Tensor2D;
        }
        return x;
      });
      return outs.length === 1 ? outs[0] : (tf.concat(outs, 1) as tf.Tensor2D);
    });
  }

  private truncate(ws: tf.Tensor3D, opts: MappingOptions): tf.Tensor3D {
    const psi = opts.truncationPsi ?? 1;
    const psiVec = this.psiVector(psi);
    if (psiVec === null) return ws;
    const [n, numWs, wDim] = ws.shape;
    const cutoff = Math.min(opts.truncationCutoff ?? numWs, numWs);
    if (cutoff <= 0) return ws;
    const avg = tf.reshape(opts.truncationLatent ?? this.wAvg, [1, 1, wDim]);
    const head = cutoff === numWs ? ws : tf.slice(ws, [0, 0, 0], [n, cutoff, wDim]);
    const t = tf.add(avg, tf.mul(tf.sub(head, avg), psiVec));
    if (cutoff === numWs) return t as tf.Tensor3D;
    return tf.concat([t, tf.slice(ws, [0, cutoff, 0], [n, numWs - cutoff, wDim])], 1) as tf.Tensor3D;
  }

  private psiVector(psi: number | Record<string, number>): tf.Tensor | number | null {
    if (typeof psi === 'number') return psi === 1 ? null : psi;
    if (!this.groups)
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_OPTION',
        'truncationPsi given per group, but this generator has no mapping groups (config.mapping.groups)',
      );
    const known = new Set(this.groups.map((g) => g.name));
    for (const k of Object.keys(psi)) {
      if (!known.has(k))
        throw new StyleGan2Error('STYLEGAN2_BAD_OPTION', `truncationPsi: unknown group '${k}'; groups are ${[...known].join(', ')}`);
    }
    if (this.groups.every((g) => (psi[g.name] ?? 1) === 1)) return null;
    const v = new Float32Array(this.wDim);
    for (const g of this.groups) v.fill(psi[g.name] ?? 1, g.offset, g.offset + g.size);
    return tf.tensor3d(v, [1, 1, this.wDim]);
  }

  /**
   * Synthesis network: `ws [N, numWs, wDim]` → images NHWC `[N, R, R, C]` (≈[-1, 1] once trained;
   * within [-1, 1] with `synthesis.clampOutput`).
   *
   * @example
   * const img = G.synthesis(G.mapping(z), { noiseMode: 'const' });
   */
  synthesis(ws: tf.Tensor3D, opts: SynthesisOptions = {}): tf.Tensor4D {
    this.check();
    if (ws.rank !== 3 || ws.shape[1] !== this.numWs || ws.shape[2] !== this.wDim) {
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_INPUT',
        `Generator.synthesis: ws must be [N, ${this.numWs}, ${this.wDim}], got [${ws.shape.join(', ')}]`,
      );
    }
    const mode = opts.noiseMode ?? 'const';
    if (opts.noise && opts.noise.length !== this.convs.length) {
      throw new StyleGan2Error(
        'STYLEGAN2_BAD_INPUT',
        `Generator.synthesis: noise must hold ${this.convs.length} tensors (one per conv layer), got ${opts.noise.length}`,
      );
    }
    return tf.tidy(() => {
      const n = ws.shape[0];
      const row = (i: number) => tf.reshape(tf.slice(ws, [0, i, 0], [n, 1, this.wDim]), [n, this.wDim]) as tf.Tensor2D;
      const rows = Array.from({ length: this.numWs }, (_, i) => row(i));
      const cst = this.params.get('synthesis.b4.const');
      let x = tf.tile(tf.reshape(cst, [1, 4, 4, cst.shape[2] as number]), [n, 1, 1, 1]) as tf.Tensor4D;
      let img: tf.Tensor4D | null = null;
      let ci = 0;
      for (const rgb of this.rgbs) {
        while (ci < this.convs.length && this.convs[ci].res === rgb.res) {
          const l = this.convs[ci];
          x = this.convLayer(x, rows[l.wIndex], l, mode, opts.noise?.[ci], opts.noiseSeed === undefined ? undefined : opts.noiseSeed + ci);
          ci++;
        }
        if (img) img = this.fir.apply(img, 2, 1, 2, 1, 4); // upsample2d: pad [2,1], gain 4
        const y = this.toRgb(x, rows[rgb.wIndex], rgb);
        img = img ? (tf.add(img, y) as tf.Tensor4D) : y;
      }
      if (!this.config.synthesis.clampOutput) return img!;
      return opts.clampGradient === 'straight-through' ? clampStraightThrough(img!) : (tf.clipByValue(img!, -1, 1) as tf.Tensor4D);
    });
  }

  /** `mapping` then `synthesis`. */
  generate(z: tf.Tensor2D, opts: MappingOptions & SynthesisOptions = {}): tf.Tensor4D {
    return tf.tidy(() => this.synthesis(this.mapping(z, opts), opts));
  }

  /** Shapes of the per-layer noise inputs, in layer order (for `SynthesisOptions.noise`); none when `useNoise` is off. */
  noiseShapes(): { name: string; shape: [number, number, number, number] }[] {
    if (!this.config.synthesis.useNoise) return [];
    return this.convs.map((l) => ({ name: l.name, shape: [1, l.res, l.res, 1] }));
  }

  private affine(w: tf.Tensor2D, name: string): tf.Tensor2D {
    const a = this.params.get(`${name}.affine.weight`);
    const b = this.params.get(`${name}.affine.bias`);
    return tf.add(tf.mul(tf.matMul(w, a), 1 / Math.sqrt(this.wDim)), b) as tf.Tensor2D;
  }

  /** SynthesisLayer (networks.py:286-305). */
  private convLayer(
    x: tf.Tensor4D,
    w: tf.Tensor2D,
    l: ConvLayer,
    mode: NoiseMode,
    noise: tf.Tensor4D | undefined,
    seed: number | undefined,
  ): tf.Tensor4D {
    // lrelu is positively homogeneous: lrelu(y + n + b)·√2 = lrelu(√2·y + √2·n + √2·b), so the
    // activation gain is folded into the (small) demodulation coefficients, noise strength and
    // bias instead of costing a pass over the activations.
    const styles = this.affine(w, l.name);
    let y = modulatedConv2d(x, this.params.get(`${l.name}.weight`) as tf.Variable<tf.Rank.R4>, styles, {
      demodulate: true,
      up: l.up,
      fir: this.fir,
      gain: SQRT2,
    });
    if (this.config.synthesis.useNoise) {
      const strength = this.params.get(`${l.name}.noise_strength`);
      let nz: tf.Tensor | null = null;
      if (noise) nz = noise;
      else if (mode === 'const') nz = this.params.get(`${l.name}.noise_const`);
      else if (mode === 'random') nz = tf.randomNormal([x.shape[0], l.res, l.res, 1], 0, 1, 'float32', seed);
      if (nz) y = addSpatial(y, tf.mul(nz, tf.mul(strength, SQRT2)));
    }
    return biasAct(y, tf.mul(this.params.get(`${l.name}.bias`), SQRT2), 'lrelu', 1, this.config.synthesis.convClamp) as tf.Tensor4D;
  }

  /** ToRGBLayer (networks.py:310-324). */
  private toRgb(x: tf.Tensor4D, w: tf.Tensor2D, l: RgbLayer): tf.Tensor4D {
    const styles = tf.mul(this.affine(w, l.name), 1 / Math.sqrt(l.inC)) as tf.Tensor2D;
    const y = modulatedConv2d(x, this.params.get(`${l.name}.weight`) as tf.Variable<tf.Rank.R4>, styles, { demodulate: false, up: 1 });
    return biasAct(y, this.params.get(`${l.name}.bias`), 'linear', 1, this.config.synthesis.convClamp) as tf.Tensor4D;
  }

  /**
   * Tracks the average w (training mode of the official mapping, `networks.py:232-234`):
   * `w̄ ← mean_N(w) + β·(w̄ − mean_N(w))`. Accepts the mapping output `[N, wDim]` or the
   * un-truncated ws `[N, numWs, wDim]` (row 0 is used).
   *
   * @example
   * G.updateWAvg(G.mapW(z));
   */
  updateWAvg(ws: tf.Tensor2D | tf.Tensor3D): void {
    this.check();
    const beta = this.config.mapping.wAvgBeta;
    const next = tf.tidy(() => {
      const w = ws.rank === 3 ? tf.reshape(tf.slice(ws, [0, 0, 0], [ws.shape[0], 1, this.wDim]), [ws.shape[0], this.wDim]) : ws;
      return lerpTowards(this.wAvg, tf.mean(w, 0), beta);
    });
    this.wAvg.assign(next);
    next.dispose();
  }

  /** Every parameter and buffer, under its official `state_dict` name (TF.js layouts). */
  variables(): Record<string, tf.Variable> {
    this.check();
    return this.params.variables();
  }

  /** The trainable parameters (not the `w_avg` / `noise_const` buffers). */
  trainableVariables(): tf.Variable[] {
    this.check();
    return this.params.trainableVariables();
  }

  /** Whether `variables()[name]` is a trainable parameter (false for buffers). */
  isTrainable(name: string): boolean {
    return this.params.isTrainable(name);
  }

  /** An independent copy (same config, copied weights and buffers). */
  clone(): Generator {
    this.check();
    const g = new Generator(this.config, null);
    g.params.copyFrom(this.params);
    return g;
  }

  /** Official `state_dict` (official names, layouts and shapes), incl. `resample_filter` buffers. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    this.check();
    const out = this.params.toOfficial();
    const f = this.config.synthesis.resampleFilter;
    const f2 = filter2d(f);
    for (let res = 4; res <= this.resolution; res *= 2) {
      const b = `synthesis.b${res}`;
      out[`${b}.resample_filter`] = f2;
      if (res > 4) out[`${b}.conv0.resample_filter`] = f2;
      out[`${b}.conv1.resample_filter`] = f2;
    }
    return out;
  }

  /**
   * Assigns an official-layout state dict (official names). Nothing is assigned unless every
   * name matches; `resample_filter` buffers are checked against the configured filter.
   */
  loadStateDict(tensors: Record<string, TensorRecord>, source = 'state dict'): LoadReport {
    this.check();
    checkResampleFilters(tensors, this.config.synthesis.resampleFilter, source);
    return this.params.assignOfficial(tensors, (n) => /^synthesis\.b\d+\.(conv[01]\.)?resample_filter$/.test(n), source);
  }

  /** Releases every variable and cached tensor. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
    this.fir.dispose();
  }

  private check(): void {
    if (this.disposed) throw new StyleGan2Error('STYLEGAN2_DISPOSED', 'Generator was disposed');
  }
}

/**
 * The official `setup_filter` 2-D buffer (outer product, normalised to sum 1).
 *
 * @example
 * filter2d([1, 3, 3, 1]); // { shape: [4, 4], data: [1/64, 3/64, …] }
 */
export function filter2d(f: readonly number[]): { shape: number[]; data: Float32Array } {
  const s = f.reduce((a, b) => a + b, 0);
  const data = new Float32Array(f.length * f.length);
  for (let i = 0; i < f.length; i++) for (let j = 0; j < f.length; j++) data[i * f.length + j] = (f[i] * f[j]) / (s * s);
  return { shape: [f.length, f.length], data };
}

/**
 * Throws if a `*.resample_filter` buffer differs from the configured filter.
 *
 * @example
 * checkResampleFilters(tensors, [1, 3, 3, 1], 'G.safetensors');
 */
export function checkResampleFilters(tensors: Record<string, TensorRecord>, f: readonly number[], source: string): void {
  const want = filter2d(f);
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.endsWith('resample_filter')) continue;
    const ok = tf.util.arraysEqual(t.shape, want.shape) && Array.from(t.data).every((v, i) => Math.abs(v - want.data[i]) <= 1e-6);
    if (!ok) {
      throw new StyleGan2Error(
        'STYLEGAN2_FILTER_MISMATCH',
        `${source}: buffer '${name}' does not match resampleFilter [${f.join(', ')}]; set resample_filter / resampleFilter in the config to the filter the weights were trained with.`,
      );
    }
  }
}

/**
 * Builds a generator with official random initialisation (raw weights ~ N(0, 1), mapping
 * weights ×1/lrMultiplier, biases 0, affine biases 1, noise strengths 0), deterministic in `seed`.
 *
 * @example
 * const G = createGenerator({ zDim: 64, wDim: 64, resolution: 32, mapping: { numLayers: 2 },
 *   synthesis: { channelBase: 512, channelMax: 64 } }, { seed: 1 });
 * const img = tf.tidy(() => G.synthesis(G.mapping(tf.randomNormal([2, 64]))));
 */
export function createGenerator(config: GeneratorConfigInput | GeneratorConfig, opts: { seed?: number } = {}): Generator {
  return new Generator(parseGeneratorConfig(config), opts.seed ?? 0);
}
