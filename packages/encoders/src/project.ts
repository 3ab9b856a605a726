import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createRng, sampleLatents } from '@gan-control/latent';
import { pairwiseDistances } from '@gan-control/contrastive-loss';
import type { Attribute, Features } from '@gan-control/contrastive-loss';
// Importing the generator package (through the controller) registers the gradients tf.grad needs.
import { broadcastW, mapToW } from './controller.js';
import type { Controller } from './controller.js';
import { EncodersError, parseOptions } from './errors.js';
import { latentCodeSchema } from './latent-code.js';
import type { LatentCode, ProjectionMode } from './latent-code.js';
import { bindAttributes, resolveGroups } from './model.js';
import type { AttributeBinding, GeneratorLike, GroupSlice, LayoutLike } from './model.js';

/** Options of `projectImage` (zod). Defaults are NVIDIA `projector.py`'s unless said otherwise. */
export const projectOptionsSchema = z.object({
  /** Adam steps (`num_steps`). */
  steps: z.number().int().positive().default(1000),
  /**
   * What is optimised: `'w'` one w (projector.py), `'groups'` one w per latent group, each group
   * with its own spread for the latent noise (GAN-Control's partitioned W; the default), `'w+'`
   * one w per style input (better fit, weaker edits in the literature).
   */
  mode: z.enum(['w', 'groups', 'w+']).default('groups'),
  /** Also optimise the synthesis noise buffers (with projector.py's noise regularisation). */
  noise: z.boolean().default(false),
  /** `initial_learning_rate`, `lr_rampup_length`, `lr_rampdown_length`. */
  learningRate: z.number().positive().default(0.1),
  rampUp: z.number().min(0).max(1).default(0.05),
  rampDown: z.number().min(0).max(1).default(0.25),
  /** `initial_noise_factor` (× w_std) and `noise_ramp_length`. */
  latentNoise: z.number().min(0).default(0.05),
  latentNoiseRamp: z.number().positive().max(1).default(0.75),
  /** `regularize_noise_weight` (used only with `noise: true`). */
  noiseRegularize: z.number().min(0).default(1e5),
  /**
   * Downsampling factors of the multi-scale pixel loss (each term: MSE between the two images
   * average-pooled by the factor). Default: 1, 2, 4, … while the pooled side is at least 4 px.
   */
  scales: z.array(z.number().int().positive()).min(1).optional(),
  /** Weight of the pixel loss. */
  pixelWeight: z.number().min(0).default(1),
  /**
   * Perceptual/identity terms from the attribute plugins, by attribute (or group) name: weight ×
   * d_k(embed_k(G(w)), embed_k(target)) / τ+_k — the attribute's own embedding and distance,
   * 1 at its same-attribute threshold (for faces: face-id keeps the identity, as pSp's ArcFace term).
   */
  attributeWeights: z.record(z.string(), z.number().min(0)).default({}),
  /**
   * Weight of a pull toward the latent distribution: mean over w's elements of ((w − w̄)/σ)², σ
   * each element's spread over `statsSamples` mapped latents (not in projector.py; 0 = off). It
   * trades reconstruction for editability: the encoders were trained on latents from that
   * distribution.
   */
  latentPrior: z.number().min(0).default(0),
  /** Latents sampled for the mean w and w_std (`w_avg_samples`). */
  statsSamples: z.number().int().min(2).default(10000),
  /**
   * Where the optimisation starts: the mean w (projector.py; default), a given latent code, e.g.
   * `encoderStart(...)` (the controller's encoders applied to the target's measured values), or
   * several (e.g. `encoderStarts(...)`): each is optimised for `screenSteps` steps, and the one
   * whose latent then reconstructs the target best (the loss without latent noise) continues for
   * `steps` steps. Several starts find what no encoder sets (a shape's kind, a background) where one
   * start's gradient descent stays with the wrong one.
   */
  start: z.union([latentCodeSchema, z.array(latentCodeSchema).min(1)]).optional(),
  /**
   * Steps each of several starts gets before the best is kept (its own learning-rate schedule and
   * latent noise over these steps; the synthesis noise buffers, with `noise`, stay at their start).
   */
  screenSteps: z.number().int().positive().default(20),
  /** Seed of the latent noise, the noise buffers' start and the statistics' samples. */
  seed: z.number().int().nonnegative().default(0),
});

/** One step of a projection, as `onProgress` receives it. */
export interface ProjectProgress {
  /** Steps done so far, the screening of several starts included. */
  readonly step: number;
  /** Steps in all: `steps`, plus `screenSteps` per start when several are given. */
  readonly steps: number;
  /** The loss minimised at this step (with latent noise added to w). */
  readonly loss: number;
  readonly learningRate: number;
  readonly elapsedMs: number;
}

export type ProjectOptions = z.input<typeof projectOptionsSchema> & {
  /** Latent layout (default: the generator's partitioned mapping groups). */
  readonly layout?: LayoutLike;
  /** Attribute runtimes for `attributeWeights` (keyed by group, or an array bound by name). Not owned. */
  readonly attributes?: AttributeBinding;
  readonly onProgress?: (p: ProjectProgress) => void;
  readonly signal?: AbortSignal;
};

/** What `projectImage` returns; the caller disposes `image`. */
export interface ProjectionResult {
  /** The latent found, for `Controller.generate({ latent })` and `latent.json`. */
  readonly latent: LatentCode;
  /** G(latent), NHWC `[1, R, R, C]` in [-1, 1]. */
  readonly image: tf.Tensor4D;
  /** Mean squared error to the target, pixel values scaled to [0, 1]. */
  readonly mse: number;
  /** 10·log10(1 / mse) in dB (the 8-bit PSNR). */
  readonly psnr: number;
  /** The loss of the last step. */
  readonly loss: number;
  /** Steps of the final optimisation (`steps`; the screening of several starts not counted). */
  readonly steps: number;
  /** The starts screened (1 with none or one given) and which of them was kept (its index). */
  readonly starts: number;
  readonly startKept: number;
}

/**
 * Projects an image into a generator's latent (NVIDIA stylegan2-ada-pytorch `projector.py`,
 * `project()`), with GAN-Control's partitioned W:
 *
 * - start: the mean w of `statsSamples` mapped latents (or `start`, e.g. `encoderStart`; with several
 *   starts, `screenSteps` steps from each and the lowest noise-free loss continues — not in projector.py);
 *   w_std = √(Σ‖w − w̄‖² / N) (per group in mode `'groups'`, over the group's slice);
 * - step t = i / steps: lr = lr₀ · min(1, t / rampUp) · (½ − ½·cos(π · min(1, (1 − t) / rampDown))),
 *   Adam (β 0.9, 0.999, ε 1e-8); latent noise N(0, 1) · w_std · latentNoise · max(0, 1 − t / latentNoiseRamp)²
 *   added to w before synthesis;
 * - loss = pixelWeight · mean_s MSE(pool_s(G(w)), pool_s(x)) + Σ_k λ_k · d_k(embed_k(G(w)), embed_k(x)) / τ+_k
 *   (+ latentPrior · mean((w − w̄)/σ)², off by default) (+ noiseRegularize · Σ_buffers Σ_octaves (mean(n·roll(n, 1, x))² + mean(n·roll(n, 1, y))²) with
 *   `noise`; the buffers are renormalised to zero mean, unit variance after each step).
 *
 * Deviation: projector.py's LPIPS (VGG16 features) is replaced by the multi-scale pixel loss plus
 * the attribute plugins' own embeddings, which are what the model was trained to disentangle
 * (and need no extra network). The target must already be at the model's resolution
 * (`prepareImage`).
 *
 * @example
 * const target = prepareImage(await decodeImage(await readFile('photo.png'), { channels: 4 }), 32);
 * const { latent, image, psnr } = await projectImage(controller.generator, target, { steps: 300 });
 * const edited = controller.generate({ latent, set: { color: 200 } });
 * tf.dispose([target, image, edited.images, edited.ws]);
 */
export async function projectImage(generator: GeneratorLike, target: tf.Tensor4D, options: ProjectOptions = {}): Promise<ProjectionResult> {
  const { layout, attributes, onProgress, signal, ...rest } = options;
  const opts = parseOptions(projectOptionsSchema, rest, 'projectImage');
  const G = generator;
  const groups = opts.mode === 'groups' ? resolveGroups(G, layout) : [{ name: 'w', offset: 0, size: G.wDim }];
  const terms = attributeTerms(attributes, opts.attributeWeights);
  const rng = createRng(opts.seed);
  const { mean, std, columnStd } = wStats(G, groups, opts.statsSamples, rng.nextUint32());

  const owned: tf.Tensor[] = [];
  try {
    const rows = opts.mode === 'w+' ? G.numWs : 1;
    const starts = Array.isArray(opts.start) ? opts.start : [opts.start];
    const inits = starts.map((st) => startRows(G, st, mean, rows));
    /** One variable per group (one group `w` in modes 'w' and 'w+'), each [rows, size], at `init`. */
    const variables = (init: number[][]): tf.Variable[] =>
      groups.map((g) => {
        const v0 = tf.tensor2d(
          init.flatMap((r) => r.slice(g.offset, g.offset + g.size)),
          [rows, g.size],
        );
        const v = tf.variable(v0, true);
        v0.dispose(); // the variable holds its own reference to the data
        return v;
      });
    const noiseVars = opts.noise ? noiseBuffers(G, rng) : [];
    owned.push(...noiseVars);
    const assemble = (vars: tf.Variable[], latentNoise?: tf.Tensor2D[]): tf.Tensor3D =>
      tf.tidy(() => {
        const parts = vars.map((v, i) => (latentNoise ? tf.add(v, latentNoise[i]) : v));
        const w = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
        return (rows === 1 ? broadcastW(w as tf.Tensor2D, G.numWs) : tf.reshape(w, [1, G.numWs, G.wDim])) as tf.Tensor3D;
      });
    // A clamped generator's background passes no gradient: straight-through, so a misplaced shape can move.
    const synth = (ws: tf.Tensor3D) =>
      G.synthesis(ws, {
        ...(noiseVars.length ? { noise: noiseVars as tf.Tensor4D[] } : { noiseMode: 'const' as const }),
        clampGradient: 'straight-through',
      });

    // The target's pooled pyramid and embeddings are fixed: computed once, released at the end.
    const probe = tf.tidy(() => synth(broadcastW(tf.tensor2d(mean, [1, G.wDim]), G.numWs) as tf.Tensor3D));
    const shape = probe.shape;
    probe.dispose();
    if (target.rank !== 4 || target.shape[0] !== 1 || target.shape.slice(1).join() !== shape.slice(1).join()) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `projectImage: the target is [${target.shape.join(', ')}], but this generator makes [1, ${shape.slice(1).join(', ')}] images; resize it first (prepareImage)`,
      );
    }
    const scales = opts.scales ?? defaultScales(shape[1]);
    for (const s of scales) {
      if (shape[1] % s !== 0)
        throw new EncodersError(
          'ENCODERS_INVALID_OPTIONS',
          `projectImage: scale ${s} does not divide the image side ${shape[1]}; the scales are pooling factors`,
        );
    }
    const targetPyramid = tf.tidy(() => scales.map((s) => tf.clone(pool(target, s)))); // never the caller's tensor itself
    owned.push(...targetPyramid);
    const targetFeatures = tf.tidy(() => terms.map((t) => lastFeatures(t.attribute.embed(target))));
    owned.push(...targetFeatures);
    // The prior's centre and scale, per group variable: [1, size] each.
    const prior =
      opts.latentPrior > 0
        ? groups.map((g) => {
            const c = tf.tensor2d(mean.subarray(g.offset, g.offset + g.size), [1, g.size]);
            const inv = tf.tensor2d(
              columnStd.subarray(g.offset, g.offset + g.size).map((x) => 1 / Math.max(x, 1e-8)),
              [1, g.size],
            );
            owned.push(c, inv);
            return { c, inv };
          })
        : [];

    const loss = (vars: tf.Variable[], ws: tf.Tensor3D): tf.Scalar =>
      tf.tidy(() => {
        const image = synth(ws);
        let total: tf.Tensor = tf.mul(
          tf.addN(scales.map((s, i) => tf.mean(tf.squaredDifference(pool(image, s), targetPyramid[i])))),
          opts.pixelWeight / scales.length,
        );
        terms.forEach((t, i) => {
          const d = pairwiseDistances(tf.concat([lastFeatures(t.attribute.embed(image)), targetFeatures[i]], 0), t.attribute.distance);
          total = tf.add(total, tf.mul(tf.reshape(tf.slice(d, [0, 1], [1, 1]), []), t.weight / t.attribute.thresholds.tauPlus));
        });
        if (noiseVars.length && opts.noiseRegularize > 0)
          total = tf.add(total, tf.mul(noiseRegularization(noiseVars as tf.Tensor4D[]), opts.noiseRegularize));
        if (prior.length) {
          const sq = vars.map((v, i) => tf.sum(tf.square(tf.mul(tf.sub(v, prior[i].c), prior[i].inv))));
          total = tf.add(total, tf.mul(tf.addN(sq), opts.latentPrior / (rows * G.wDim)));
        }
        return total as tf.Scalar;
      });

    const clock = performance.now();
    const screening = inits.length > 1 ? opts.screenSteps : 0;
    const totalSteps = screening * inits.length + opts.steps;
    let done = 0;
    /**
     * projector.py's loop from `init` for `steps` steps (its own schedule over them); `withNoise`
     * also optimises the noise buffers. Returns the latent variables (the caller disposes them) and
     * the last step's loss.
     */
    const optimise = async (init: number[][], steps: number, withNoise: boolean): Promise<{ vars: tf.Variable[]; last: number }> => {
      const vars = variables(init);
      const optimizer = tf.train.adam(opts.learningRate, 0.9, 0.999, 1e-8);
      const varList = withNoise ? [...vars, ...noiseVars] : vars;
      let last = NaN;
      try {
        for (let step = 0; step < steps; step++) {
          if (signal?.aborted) throw new EncodersError('ENCODERS_ABORTED', `projectImage aborted at step ${done} of ${totalSteps}`);
          const t = step / steps;
          const lr = opts.learningRate * learningRateRamp(t, opts.rampUp, opts.rampDown);
          // tf.train.adam reads `learningRate` at every applyGradients: this is projector.py's
          // `param_group['lr'] = lr` (tfjs keeps the field protected, hence the cast).
          (optimizer as unknown as { learningRate: number }).learningRate = lr;
          const fade = Math.max(0, 1 - t / opts.latentNoiseRamp) ** 2;
          const latentNoise =
            fade > 0 && opts.latentNoise > 0
              ? groups.map(
                  (g, i) =>
                    tf.tidy(() =>
                      tf.mul(
                        tf.tensor2d(rng.fillNormal(new Float32Array(rows * g.size)), [rows, g.size]),
                        std[i] * opts.latentNoise * fade,
                      ),
                    ) as tf.Tensor2D,
                )
              : undefined;
          try {
            const cost = optimizer.minimize(() => loss(vars, assemble(vars, latentNoise)), true, varList)!;
            try {
              last = (await cost.data())[0];
            } finally {
              cost.dispose();
            }
          } finally {
            tf.dispose(latentNoise);
          }
          if (withNoise && noiseVars.length) normalizeNoise(noiseVars);
          done++;
          onProgress?.({ step: done, steps: totalSteps, loss: last, learningRate: lr, elapsedMs: performance.now() - clock });
        }
        return { vars, last };
      } catch (e) {
        tf.dispose(vars);
        throw e;
      } finally {
        optimizer.dispose();
      }
    };

    // Several starts: a short optimisation from each; the lowest loss without latent noise goes on.
    let init = inits[0];
    let kept = 0;
    if (inits.length > 1) {
      let best = Infinity;
      for (const [k, from] of inits.entries()) {
        const { vars } = await optimise(from, screening, false);
        try {
          const cost = tf.tidy(() => loss(vars, assemble(vars)));
          let value: number;
          try {
            value = (await cost.data())[0];
          } finally {
            cost.dispose();
          }
          if (value < best) {
            best = value;
            kept = k;
            init = await latentRows(vars, rows);
          }
        } finally {
          tf.dispose(vars);
        }
      }
    }

    const { vars, last } = await optimise(init, opts.steps, true);
    owned.push(...vars);
    const latent: LatentCode = {
      format: 'gan-control-latent',
      version: 1,
      mode: opts.mode as ProjectionMode,
      ws: await latentRows(vars, rows),
      ...(noiseVars.length
        ? {
            noise: await Promise.all(
              noiseVars.map(async (v) => ({ shape: v.shape as [number, number, number, number], data: Array.from(await v.data()) })),
            ),
          }
        : {}),
    };
    const image = tf.tidy(() => synth(assemble(vars)));
    const mseT = tf.tidy(() => tf.mean(tf.squaredDifference(image, target)));
    try {
      const mse = (await mseT.data())[0] / 4; // [-1, 1] → [0, 1] scale
      return { latent, image, mse, psnr: 10 * Math.log10(1 / mse), loss: last, steps: opts.steps, starts: inits.length, startKept: kept };
    } catch (e) {
      image.dispose();
      throw e;
    } finally {
      mseT.dispose();
    }
  } finally {
    tf.dispose(owned);
  }
}

/**
 * A start for `projectImage` from GAN-Control's encoders: every controlled attribute is measured on
 * the target (its runtime's `measure`) and encoded to its group's w^k (E_k, as `Controller.generate`
 * sets a value); groups without an encoder (or whose measurement is not finite) start at the
 * generator's mean w (truncation ψ = 0). The pixel loss then starts near the right hue, position
 * and size instead of the average picture. It is `encoderStarts(…)[0]`.
 *
 * @example
 * const start = encoderStart(controller, target, { color, position, size });
 * const r = await projectImage(controller.generator, target, { start });
 */
export function encoderStart(controller: Controller, target: tf.Tensor4D, attributes: AttributeBinding): LatentCode {
  return encoderStarts(controller, target, attributes, { count: 1 })[0];
}

/**
 * Several starts for `projectImage` (which screens them, `screenSteps` each): all share the
 * encoders' sub-vectors of the target's measured values (as `encoderStart`); the first has the
 * other groups at the mean w, the rest draw them from `seed` (truncation 1). What no encoder sets
 * — a shape's kind, a face's hair — then starts in several places, not only at the average.
 *
 * @example
 * const start = encoderStarts(controller, target, { color, position, size }, { count: 8 });
 * const r = await projectImage(controller.generator, target, { start, steps: 150 });
 */
export function encoderStarts(
  controller: Controller,
  target: tf.Tensor4D,
  attributes: AttributeBinding,
  options: { readonly count?: number; readonly seed?: number } = {},
): LatentCode[] {
  const count = options.count ?? 8;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || seed < 0)
    throw new EncodersError(
      'ENCODERS_INVALID_OPTIONS',
      `encoderStarts: count must be a positive integer and seed a non-negative integer (got count ${count}, seed ${seed})`,
    );
  const bound = bindAttributes(attributes, controller.groups);
  const set: Record<string, number[][]> = {};
  for (const enc of controller.encoders) {
    const a = bound.find((b) => b.group === enc.group)?.attribute;
    if (!a) continue;
    const y = tf.tidy(() => a.measure!(target));
    const row = Array.from(y.dataSync()).slice(0, enc.values.length);
    y.dispose();
    if (row.length === enc.values.length && row.every(Number.isFinite)) set[enc.group] = [row];
  }
  const wRows = (options: { count?: number; seed?: number; truncation?: Record<string, number> }): number[][] => {
    const r = controller.generate({ set, outOfRange: 'allow', ...options });
    try {
      const n = options.count ?? 1;
      const wDim = controller.generator.wDim;
      const data = tf.tidy(() => tf.slice(r.ws, [0, 0, 0], [n, 1, wDim]).dataSync());
      return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * wDim, (i + 1) * wDim)));
    } finally {
      tf.dispose([r.images, r.ws]);
    }
  };
  const atMean = Object.fromEntries(controller.groups.filter((g) => !(g.name in set)).map((g) => [g.name, 0]));
  const rows = [...wRows({ truncation: atMean }), ...(count > 1 ? wRows({ count: count - 1, seed }) : [])];
  return rows.map((row) => ({ format: 'gan-control-latent', version: 1, mode: 'w', ws: [row] }));
}

/** The starting rows `[rows][wDim]`: the mean w, or the given latent (one row broadcast to every style input). */
function startRows(G: GeneratorLike, start: LatentCode | undefined, mean: Float32Array, rows: number): number[][] {
  if (!start) return Array.from({ length: rows }, () => Array.from(mean));
  const ok = start.ws.every((r) => r.length === G.wDim) && (start.ws.length === 1 || start.ws.length === G.numWs);
  if (!ok)
    throw new EncodersError(
      'ENCODERS_SHAPE_MISMATCH',
      `projectImage: start.ws is [${start.ws.length}, ${start.ws[0]?.length}], but this generator takes [1, ${G.wDim}] or [${G.numWs}, ${G.wDim}]`,
    );
  if (start.ws.length === rows) return start.ws;
  if (start.ws.length === 1) return Array.from({ length: rows }, () => start.ws[0]);
  // A W+ start for a one-w mode: the mean over style inputs (GAN-Control's per-group averaging of W+).
  return [Array.from({ length: G.wDim }, (_, j) => start.ws.reduce((a, r) => a + r[j], 0) / start.ws.length)];
}

/** projector.py's learning-rate ramp at t ∈ [0, 1): linear warm-up, cosine ramp-down. */
export function learningRateRamp(t: number, rampUp: number, rampDown: number): number {
  const down = rampDown > 0 ? Math.min(1, (1 - t) / rampDown) : 1;
  const up = rampUp > 0 ? Math.min(1, t / rampUp) : 1;
  return (0.5 - 0.5 * Math.cos(down * Math.PI)) * up;
}

/** Pooling factors 1, 2, 4, … while the pooled side stays at least 4 px. */
function defaultScales(side: number): number[] {
  const out = [1];
  while (side / (out[out.length - 1] * 2) >= 4 && side % (out[out.length - 1] * 2) === 0) out.push(out[out.length - 1] * 2);
  return out;
}

function pool(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return s === 1 ? x : tf.avgPool(x, s, s, 'valid');
}

/** Mean w and w_std = √(Σ‖w − w̄‖² / N) per group (projector.py's `w_avg`, `w_std`). */
function wStats(
  G: GeneratorLike,
  groups: readonly GroupSlice[],
  samples: number,
  seed: number,
): { mean: Float32Array; std: number[]; columnStd: Float32Array } {
  const [meanT, sq] = tf.tidy(() => {
    const w = mapToW(G, sampleLatents(G.zDim, samples, createRng(seed)));
    const m = tf.mean(w, 0);
    return [m, tf.div(tf.sum(tf.square(tf.sub(w, m)), 0), samples)];
  });
  const mean = meanT.dataSync() as Float32Array;
  const perColumn = sq.dataSync() as Float32Array;
  tf.dispose([meanT, sq]);
  const std = groups.map((g) => Math.sqrt(perColumn.subarray(g.offset, g.offset + g.size).reduce((a: number, x: number) => a + x, 0)));
  return { mean: Float32Array.from(mean), std, columnStd: Float32Array.from(perColumn, (v) => Math.sqrt(v)) };
}

/** The noise buffers to optimise, N(0, 1) from `rng` (projector.py: `randn`, requires_grad). */
function noiseBuffers(G: GeneratorLike, rng: ReturnType<typeof createRng>): tf.Variable[] {
  const shapes = G.noiseShapes?.() ?? [];
  if (shapes.length === 0) {
    throw new EncodersError(
      'ENCODERS_INVALID_OPTIONS',
      'projectImage: noise: true, but this generator has no noise inputs (e.g. a model trained without them); project the latent only',
    );
  }
  return shapes.map(({ shape }) => {
    const n0 = tf.tensor4d(rng.fillNormal(new Float32Array(shape[1] * shape[2] * shape[3])), [1, shape[1], shape[2], shape[3]]);
    const v = tf.variable(n0, true);
    n0.dispose();
    return v;
  });
}

/** projector.py's noise regularisation: squared autocorrelation at lag 1 over an octave pyramid. */
function noiseRegularization(buffers: tf.Tensor4D[]): tf.Scalar {
  return tf.tidy(() => {
    const terms: tf.Tensor[] = [];
    for (const b of buffers) {
      let n = b;
      for (;;) {
        const [, h, w] = n.shape;
        const rollX = tf.concat([tf.slice(n, [0, 0, w - 1, 0], [-1, -1, 1, -1]), tf.slice(n, [0, 0, 0, 0], [-1, -1, w - 1, -1])], 2);
        const rollY = tf.concat([tf.slice(n, [0, h - 1, 0, 0], [-1, 1, -1, -1]), tf.slice(n, [0, 0, 0, 0], [-1, h - 1, -1, -1])], 1);
        terms.push(tf.square(tf.mean(tf.mul(n, rollX))), tf.square(tf.mean(tf.mul(n, rollY))));
        if (h <= 8) break;
        n = tf.avgPool(n, 2, 2, 'valid');
      }
    }
    return tf.addN(terms) as tf.Scalar;
  });
}

function normalizeNoise(buffers: tf.Variable[]): void {
  tf.tidy(() => {
    for (const b of buffers) {
      const c = tf.sub(b, tf.mean(b));
      b.assign(tf.mul(c, tf.rsqrt(tf.mean(tf.square(c)))));
    }
  });
}

async function latentRows(vars: tf.Variable[], rows: number): Promise<number[][]> {
  const w = tf.tidy(() => (vars.length === 1 ? vars[0].clone() : tf.concat(vars, 1)));
  try {
    const data = await w.data();
    const d = w.shape[1]!;
    return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * d, (r + 1) * d)));
  } finally {
    w.dispose();
  }
}

/** The final layer of `embed`'s output (the contrastive loss's last layer). */
function lastFeatures(out: Features): tf.Tensor {
  return out instanceof tf.Tensor ? out : out[out.length - 1];
}

/** The attribute terms asked for, each with its runtime (an error names what is missing). */
function attributeTerms(
  binding: AttributeBinding | undefined,
  weights: Record<string, number>,
): { attribute: Attribute; weight: number }[] {
  const names = Object.keys(weights).filter((k) => weights[k] > 0);
  if (names.length === 0) return [];
  const entries: [string, Attribute][] = !binding
    ? []
    : Array.isArray(binding)
      ? (binding as readonly Attribute[]).map((a) => [a.name, a])
      : Object.entries(binding as Record<string, Attribute>);
  return names.map((name) => {
    const hit = entries.find(([key, a]) => key === name || a.name === name);
    if (!hit) {
      throw new EncodersError(
        'ENCODERS_UNKNOWN_ATTRIBUTE',
        `projectImage: attributeWeights names '${name}', but no attribute runtime of that name was passed in \`attributes\`` +
          (entries.length
            ? `; given: ${entries.map(([k]) => k).join(', ')}`
            : '; pass attributes (e.g. { color: await createAttribute(color) })'),
      );
    }
    return { attribute: hit[1], weight: weights[name] };
  });
}
