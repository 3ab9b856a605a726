import * as tf from '@tensorflow/tfjs-core';
import {
  createRng,
  restoreRng,
  buildContrastiveBatch,
  sampleLatents,
  LatentLayout,
  type ContrastiveBatch,
  type Rng,
  type RngState,
} from '@gan-control/latent';
import { createAttribute, FactorizedContrastiveLoss, type Attribute, type AttributePlugin } from '@gan-control/contrastive-loss';
import {
  createDiscriminator,
  createGenerator,
  discriminatorLogistic,
  emaBeta,
  generatorLogisticNS,
  lazyRegularizationAdam,
  mixStyles,
  PathLengthRegularizer,
  r1Penalty,
  sampleMixingCutoff,
  updateEma,
  type Discriminator,
  type Generator,
  type GeneratorConfigInput,
  type DiscriminatorConfigInput,
} from '@gan-control/stylegan2';
import { Adam } from './adam.js';
import { parseTrainConfig, TrainerError, type TrainConfig } from './config.js';
import { createDataset, type ProceduralDataset, type TrainingDataset } from './datasets.js';

/** Scalars of one training step (NaN where a term did not run this step). */
export interface StepMetrics {
  step: number;
  /** Images shown to D after this step. */
  images: number;
  /** Non-saturating G loss. */
  gAdv: number;
  /** λ · factorized contrastive loss (sum over attributes). */
  gContrastive: number;
  /** Per attribute: its contrastive loss (before λ). */
  perAttribute: Record<string, number>;
  /** D logistic loss (real + fake). */
  d: number;
  dReal: number;
  dFake: number;
  /** Mean R1 penalty (before γ/2), on steps that ran it. */
  r1: number;
  /** Path-length penalty (before weight), on steps that ran it, and the running mean. */
  pl: number;
  plMean: number;
}

/**
 * Wall-clock milliseconds per phase of `step()`, accumulated into when passed as
 * `step({ phases })` (the benchmark's profile). The CPU backends run kernels synchronously, so
 * wall clock between two points is the work done between them.
 */
export type StepPhases = Record<string, number>;

/** Adds the time since the previous mark to `phases[name]`; a no-op without `phases`. */
function phaseClock(phases: StepPhases | undefined): (name: string) => void {
  if (!phases) return () => {};
  let last = performance.now();
  return (name) => {
    const now = performance.now();
    phases[name] = (phases[name] ?? 0) + (now - last);
    last = now;
  };
}

/** The generator and discriminator configs a training config implies. */
export function networkConfigs(config: TrainConfig): { generator: GeneratorConfigInput; discriminator: DiscriminatorConfigInput } {
  const layout = LatentLayout.parse(config.latent);
  const g = config.generator;
  const d = config.discriminator;
  return {
    generator: {
      zDim: layout.dim,
      wDim: layout.dim,
      resolution: config.resolution,
      mapping: {
        numLayers: g.mappingLayers,
        layerFeatures: g.mappingHidden,
        lrMultiplier: g.mappingLrMultiplier,
        groups: layout.groups.map((x) => ({ name: x.name, size: x.size })),
      },
      synthesis: { channelBase: g.channelBase, channelMax: g.channelMax, useNoise: g.useNoise, clampOutput: g.clampOutput },
    },
    discriminator: {
      resolution: config.resolution,
      channelBase: d.channelBase,
      channelMax: d.channelMax,
      mbstdGroupSize: d.mbstdGroupSize,
    },
  };
}

/** Resolves `config.attributes` to runtimes, from the plugins passed in (by name). */
export async function setupAttributes(config: TrainConfig, plugins: readonly AttributePlugin[]): Promise<Attribute[]> {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  const out: Attribute[] = [];
  for (const a of config.attributes) {
    const plugin = byName.get(a.name);
    if (!plugin) {
      out.forEach((x) => x.dispose());
      throw new TrainerError(
        'TRAINER_UNKNOWN_ATTRIBUTE',
        `trainer: config.attributes names "${a.name}", but no plugin of that name was given. Plugins: ${[...byName.keys()].join(', ') || '(none)'}. Pass it in train(config, { plugins: [...] }).`,
      );
    }
    out.push(await createAttribute(plugin, a.options as never));
  }
  return out;
}

function nameMap(vars: Record<string, tf.Variable>): { params: Record<string, tf.Variable>; byTfName: Map<string, string> } {
  const byTfName = new Map<string, string>();
  const params: Record<string, tf.Variable> = {};
  for (const [name, v] of Object.entries(vars)) {
    if (!v.trainable) continue;
    params[name] = v;
    byTfName.set(v.name, name);
  }
  return { params, byTfName };
}

function rename(grads: tf.NamedTensorMap, byTfName: Map<string, string>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) {
    const n = byTfName.get(k);
    if (n) out[n] = g;
  }
  return out;
}

/** Adam for a network regularised lazily every `interval` steps (StyleGAN2 App. B; `lazyRegularizationAdam`). */
function lazyAdam(lr: number, config: TrainConfig, interval: number | null): Adam {
  const s = lazyRegularizationAdam({ learningRate: lr, beta1: config.optim.betas[0], beta2: config.optim.betas[1], interval });
  return new Adam({ lr: s.learningRate, betas: [s.beta1, s.beta2], eps: config.optim.eps });
}

/**
 * The GAN-Control training loop (StyleGAN2-ADA `training_loop.py` + `loss.py` phases, with the
 * factorized contrastive loss of GAN-Control added to every G main step):
 *
 * 1. **G main**: a contrastive batch (rows (2i, 2i+1) share one latent group) → images →
 *    `softplus(−D(G(z)))` + λ·Σ_k contrastive_k(images) (same fake batch), Adam on G.
 * 2. **G reg** every `gRegInterval` steps: path length on `batch / plBatchShrink` fresh latents,
 *    loss × interval.
 * 3. **D main**: `softplus(D(G(z))) + softplus(−D(x))` with fresh latents and real images.
 * 4. **D reg** every `dRegInterval` steps: R1 `γ/2 · Σ(∂D(x)/∂x)²` × interval, on the same reals.
 * 5. **EMA** of G into G_ema (`ema_kimg`, ramp-up).
 *
 * Every random number comes from JS-side generators whose state is part of a checkpoint, so a
 * resumed run repeats an uninterrupted one exactly (on the same backend).
 *
 * @example
 * const t = await GanControlTrainer.create(preset('tiny-8'), { plugins: shapesPlugins, datasets: shapesDatasets });
 * const m = await t.step(); // { gAdv, gContrastive, d, ... }
 * t.dispose();
 */
export class GanControlTrainer {
  readonly config: TrainConfig;
  readonly layout: LatentLayout;
  readonly G: Generator;
  readonly D: Discriminator;
  readonly G_ema: Generator;
  readonly attributes: readonly Attribute[];
  readonly dataset: TrainingDataset;
  private readonly loss: FactorizedContrastiveLoss | null;
  private readonly optG: Adam;
  private readonly optD: Adam;
  private readonly pl: PathLengthRegularizer;
  private rng: Rng;
  stepCount = 0;
  images = 0;

  private constructor(config: TrainConfig, attributes: Attribute[], dataset: TrainingDataset) {
    this.config = config;
    this.layout = LatentLayout.parse(config.latent);
    const nets = networkConfigs(config);
    this.G = createGenerator(nets.generator, { seed: config.seed });
    this.D = createDiscriminator(nets.discriminator, { seed: config.seed + 1 });
    this.G_ema = this.G.clone();
    this.attributes = attributes;
    this.dataset = dataset;
    this.loss = attributes.length ? new FactorizedContrastiveLoss({ layout: this.layout, attributes }) : null;
    this.optG = lazyAdam(config.optim.gLr, config, config.gRegInterval);
    this.optD = lazyAdam(config.optim.dLr, config, config.dRegInterval);
    this.pl = new PathLengthRegularizer({ decay: config.plDecay, weight: config.plWeight });
    this.rng = createRng(config.seed + 2);
  }

  /**
   * Builds G, D, G_ema (seeded from `config.seed`), the attributes (from `plugins`, by name)
   * and the dataset (an image folder, or one of `datasets` by the config's `dataset.name`).
   */
  static async create(
    input: unknown,
    options: { plugins?: readonly AttributePlugin[]; datasets?: Readonly<Record<string, ProceduralDataset>> } = {},
  ): Promise<GanControlTrainer> {
    const config = parseTrainConfig(input);
    const attributes = await setupAttributes(config, options.plugins ?? []);
    try {
      const dataset = await createDataset(config, options.datasets);
      if (dataset.resolution !== config.resolution) {
        throw new TrainerError(
          'TRAINER_DATASET',
          `trainer: dataset resolution ${dataset.resolution} ≠ config.resolution ${config.resolution}`,
        );
      }
      return new GanControlTrainer(config, attributes, dataset);
    } catch (err) {
      attributes.forEach((a) => a.dispose());
      throw err;
    }
  }

  private noiseSeed(): number | undefined {
    return this.config.generator.useNoise ? this.rng.nextUint32() & 0x7fffffff : undefined;
  }

  private normalNoise(shape: number[], scale: number): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = this.rng.fillNormal(new Float32Array(n));
    if (scale !== 1) for (let i = 0; i < n; i++) data[i] *= scale;
    return tf.tensor(data, shape);
  }

  /**
   * One iteration (G main, G reg, D main, D reg, EMA). Returns its scalars. With
   * `options.phases`, adds the milliseconds of each phase to it (see `StepPhases`).
   */
  async step(options: { phases?: StepPhases } = {}): Promise<StepMetrics> {
    const mark = phaseClock(options.phases);
    const c = this.config;
    const B = c.batchSize;
    const step = this.stepCount;
    const m: StepMetrics = {
      step: step + 1,
      images: 0,
      gAdv: NaN,
      gContrastive: NaN,
      perAttribute: {},
      d: NaN,
      dReal: NaN,
      dFake: NaN,
      r1: NaN,
      pl: NaN,
      plMean: this.pl.mean,
    };
    const G = this.nameG();
    const D = this.nameD();

    // 1. G main: adversarial + contrastive on the same fake batch.
    {
      // Without a controlled group (a plain StyleGAN2) there are no pairs to build: i.i.d. latents.
      const batch: Pick<ContrastiveBatch, 'z' | 'masks'> = this.layout.controlled.length
        ? buildContrastiveBatch(this.layout, { batchSize: B, pairsPerGroup: c.pairsPerGroup, rng: this.rng })
        : { z: sampleLatents(this.layout.dim, B, this.rng), masks: {} };
      mark('G batch');
      const noiseSeed = this.noiseSeed();
      let mix: { z2: tf.Tensor2D; cutoff: number } | null = null;
      if (c.styleMixingProb > 0) {
        const cutoff = sampleMixingCutoff(this.G.numWs, c.styleMixingProb, () => this.rng.nextFloat());
        mix = { z2: sampleLatents(this.layout.dim, B, this.rng), cutoff };
      }
      const useContrastive = this.loss !== null && c.contrastive.weight > 0 && step % c.contrastive.interval === 0;
      const kept: tf.Tensor[] = [];
      const per: Record<string, tf.Scalar> = {};
      let adv: tf.Scalar | null = null;
      let con: tf.Scalar | null = null;
      let mapped: tf.Tensor3D | null = null;
      const { value, grads } = tf.variableGrads(() => {
        let ws = this.G.mapping(batch.z);
        // The running mean follows the w of this forward pass (before the update), as NVIDIA's
        // mapping network does; the mixing latents do not move it (skip_w_avg_update there).
        mapped = tf.keep(ws);
        kept.push(mapped);
        if (mix) ws = mixStyles(ws, this.G.mapping(mix.z2), mix.cutoff);
        const img = this.G.synthesis(ws, { noiseMode: 'random', noiseSeed });
        adv = tf.keep(generatorLogisticNS(this.D.logits(img)) as tf.Scalar);
        kept.push(adv);
        mark('G forward (G, D, loss)');
        // A separate tensor from `adv`, which is read after `value` is disposed.
        if (!useContrastive) return tf.clone(adv);
        const res = this.loss!.compute(img, batch.masks);
        for (const [k, t] of Object.entries(res.perAttribute)) {
          per[k] = tf.keep(t.loss);
          kept.push(per[k]);
        }
        con = tf.keep(tf.mul(res.total, c.contrastive.weight) as tf.Scalar);
        kept.push(con);
        const total = tf.add(adv, con) as tf.Scalar;
        mark('G contrastive forward');
        return total;
      }, G.list);
      mark('G backward');
      this.optG.apply(G.params, rename(grads, G.byTfName));
      tf.dispose([value, ...Object.values(grads)]);
      mark('G optimiser');
      this.G.updateWAvg(mapped!);
      mark('G w_avg');
      m.gAdv = (await adv!.data())[0];
      m.gContrastive = con ? (await (con as tf.Scalar).data())[0] : NaN;
      for (const [k, t] of Object.entries(per)) m.perAttribute[k] = (await t.data())[0];
      tf.dispose(kept);
      tf.dispose([batch.z, ...Object.values(batch.masks)]);
      if (mix) mix.z2.dispose();
      mark('G readback');
    }

    // 2. G reg: path length (lazy).
    if (c.gRegInterval && c.plWeight > 0 && step % c.gRegInterval === 0) {
      const n = Math.max(1, Math.floor(B / c.plBatchShrink));
      const z = sampleLatents(this.layout.dim, n, this.rng);
      const plNoise = this.normalNoise([n, c.resolution, c.resolution, this.G.imgChannels], 1 / c.resolution) as tf.Tensor4D;
      const noiseSeed = this.noiseSeed();
      let penalty: tf.Tensor | null = null;
      let mapped: tf.Tensor3D | null = null;
      const interval = c.gRegInterval;
      const { value, grads } = tf.variableGrads(() => {
        const ws = this.G.mapping(z);
        mapped = tf.keep(ws);
        const r = this.pl.loss(this.G, ws, { plNoise, synthesis: { noiseMode: 'random', noiseSeed } });
        penalty = tf.keep(tf.mean(r.penalty));
        return tf.mul(r.loss, interval) as tf.Scalar;
      }, G.list);
      this.optG.apply(G.params, rename(grads, G.byTfName));
      this.G.updateWAvg(mapped!);
      m.pl = (await penalty!.data())[0];
      m.plMean = this.pl.mean;
      tf.dispose([value, ...Object.values(grads), z, plNoise, penalty!, mapped!]);
      mark('G path length');
    }

    // 3. D main; 4. D reg on the same reals.
    const reals = this.dataset.next(B);
    mark('D reals');
    {
      const z = sampleLatents(this.layout.dim, B, this.rng);
      const noiseSeed = this.noiseSeed();
      const fakes = tf.tidy(() => {
        const ws = this.G.mapping(z);
        this.G.updateWAvg(ws);
        return this.G.synthesis(ws, { noiseMode: 'random', noiseSeed });
      });
      mark('D fakes (G forward)');
      let parts: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const r = discriminatorLogistic(this.D.logits(reals), this.D.logits(fakes), { reduction: 'none' });
        const lr = tf.keep(tf.mean(r.real));
        const lf = tf.keep(tf.mean(r.fake));
        parts = [lr, lf];
        const total = tf.add(lr, lf) as tf.Scalar;
        mark('D forward');
        return total;
      }, D.list);
      mark('D backward');
      this.optD.apply(D.params, rename(grads, D.byTfName));
      mark('D optimiser');
      m.d = (await value.data())[0];
      m.dReal = (await parts[0].data())[0];
      m.dFake = (await parts[1].data())[0];
      tf.dispose([value, ...Object.values(grads), z, fakes, ...parts]);
      mark('D readback');
    }
    if (c.dRegInterval && c.r1Gamma > 0 && step % c.dRegInterval === 0) {
      let pen: tf.Tensor | null = null;
      const factor = (c.r1Gamma / 2) * c.dRegInterval;
      const { value, grads } = tf.variableGrads(() => {
        const r = r1Penalty((x) => this.D.logits(x), reals);
        pen = tf.keep(tf.mean(r.penalty));
        return tf.mul(pen, factor) as tf.Scalar;
      }, D.list);
      mark('R1 (forward, double backward)');
      this.optD.apply(D.params, rename(grads, D.byTfName));
      mark('D optimiser');
      m.r1 = (await pen!.data())[0];
      tf.dispose([value, ...Object.values(grads), pen!]);
      mark('D readback');
    }
    reals.dispose();

    // 5. EMA.
    this.images += B;
    this.stepCount += 1;
    updateEma(this.G_ema, this.G, emaBeta({ batchSize: B, emaKimg: c.emaKimg, emaRampup: c.emaRampup, curNimg: this.images }));
    mark('EMA');
    m.images = this.images;
    return m;
  }

  private cacheG: (ReturnType<typeof nameMap> & { list: tf.Variable[] }) | null = null;
  private cacheD: (ReturnType<typeof nameMap> & { list: tf.Variable[] }) | null = null;
  private nameG() {
    if (!this.cacheG) {
      const n = nameMap(this.G.variables());
      this.cacheG = { ...n, list: Object.values(n.params) };
    }
    return this.cacheG;
  }
  private nameD() {
    if (!this.cacheD) {
      const n = nameMap(this.D.variables());
      this.cacheD = { ...n, list: Object.values(n.params) };
    }
    return this.cacheD;
  }

  /** Every tensor of the training state, by checkpoint name (views; do not dispose). */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(this.G.variables())) out[`G/${k}`] = v;
    for (const [k, v] of Object.entries(this.D.variables())) out[`D/${k}`] = v;
    for (const [k, v] of Object.entries(this.G_ema.variables())) out[`G_ema/${k}`] = v;
    for (const [k, v] of Object.entries(this.optG.state().tensors)) out[`optG/${k}`] = v;
    for (const [k, v] of Object.entries(this.optD.state().tensors)) out[`optD/${k}`] = v;
    return out;
  }

  /** The JSON part of the training state. */
  stateJson(): { step: number; images: number; rng: RngState; dataset: unknown; plMean: number; optGStep: number; optDStep: number } {
    return {
      step: this.stepCount,
      images: this.images,
      rng: this.rng.state(),
      dataset: this.dataset.state(),
      plMean: this.pl.mean,
      optGStep: this.optG.step,
      optDStep: this.optD.step,
    };
  }

  /** Restores `stateTensors()` + `stateJson()` from a checkpoint (tensors are copied, not kept). */
  restore(state: ReturnType<GanControlTrainer['stateJson']>, tensors: Record<string, tf.Tensor>): void {
    const assign = (prefix: string, vars: Record<string, tf.Variable>) => {
      for (const [k, v] of Object.entries(vars)) {
        const t = tensors[`${prefix}/${k}`];
        if (!t)
          throw new TrainerError(
            'TRAINER_RESUME',
            `trainer: the checkpoint has no tensor "${prefix}/${k}"; it was written for another configuration.`,
          );
        if (!tf.util.arraysEqual(t.shape, v.shape))
          throw new TrainerError(
            'TRAINER_RESUME',
            `trainer: checkpoint tensor "${prefix}/${k}" has shape [${t.shape}], the network expects [${v.shape}]; the config differs from the checkpoint's.`,
          );
        v.assign(t);
      }
    };
    assign('G', this.G.variables());
    assign('D', this.D.variables());
    assign('G_ema', this.G_ema.variables());
    const pick = (prefix: string) =>
      Object.fromEntries(
        Object.entries(tensors)
          .filter(([k]) => k.startsWith(`${prefix}/`))
          .map(([k, t]) => [k.slice(prefix.length + 1), t]),
      );
    this.optG.restore(state.optGStep, pick('optG'));
    this.optD.restore(state.optDStep, pick('optD'));
    this.stepCount = state.step;
    this.images = state.images;
    this.rng = restoreRng(state.rng);
    this.dataset.restore(state.dataset);
    this.pl.mean = state.plMean;
  }

  dispose(): void {
    this.G.dispose();
    this.D.dispose();
    this.G_ema.dispose();
    this.optG.dispose();
    this.optD.dispose();
    this.attributes.forEach((a) => a.dispose());
  }
}
