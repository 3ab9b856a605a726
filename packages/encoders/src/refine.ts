import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createRng, sampleLatents } from '@gan-control/latent';
import { pairwiseDistances } from '@gan-control/contrastive-loss';
import type { Attribute } from '@gan-control/contrastive-loss';
import type { AttributeEncoder } from './encoder.js';
import { broadcastW, mapToW } from './controller.js';
import type { Controller } from './controller.js';
import { EncodersError, parseOptions } from './errors.js';
import { valueEncoderTargets } from './targets.js';
import { generateAndMeasure, knotErrors } from './evaluate.js';
import type { KnotRequest, Measured } from './evaluate.js';
import type { AttributeBinding } from './model.js';

/** Options of `refineEncoders` (zod). */
export const refineOptionsSchema = z.object({
  /** Adam steps per encoder. */
  steps: z.number().int().positive().default(1000),
  /** Images per step (each step renders `batchSize` targets and `batchSize` cycle images). */
  batchSize: z.number().int().min(2).default(16),
  /** Adam learning rate (the encoder is already trained: smaller than training's). */
  learningRate: z.number().positive().default(3e-4),
  /** Weight of the L1 pull toward the target image's own w^k (keeps E_k near the latents G was trained on). */
  anchor: z.number().min(0).default(0.01),
  /**
   * Seams of circular values: `'auto'` gives each circular value without one a seam at the knot
   * where the probe before refining measures the largest error (`AttributeEncoder.addSeam`; its
   * new weights start at zero, so it costs nothing where no jump is needed); `'none'` adds none.
   */
  seam: z.enum(['auto', 'none']).default('auto'),
  /** Knots of the probe of each circular value (evenly over the period), and images per knot. */
  probeKnots: z.number().int().min(4).max(720).default(36),
  probeSamples: z.number().int().positive().default(8),
  /** Fixed batches (disjoint seeds) on which the cycle loss is reported before and after. */
  checkBatches: z.number().int().min(1).default(4),
  /** Seed of the latent streams (disjoint from `calibrateEncoders`' and `evaluateControl`'s). */
  seed: z.number().int().nonnegative().default(0),
  /** Refine only these attributes (default: every attribute with an `AttributeEncoder` of at most 4 values). */
  only: z.array(z.string()).optional(),
});
export type RefineOptions = z.input<typeof refineOptionsSchema> & {
  readonly onProgress?: (p: { readonly attribute: string; readonly step: number; readonly steps: number; readonly loss: number }) => void;
  readonly signal?: AbortSignal;
};

/** The probe of one circular value: mean |requested − measured| per knot, in the value's unit. */
export interface ProbeReport {
  readonly knots: readonly number[];
  readonly errors: readonly number[];
  readonly mean: number;
  readonly max: number;
}

/** Per attribute: the cycle loss (mean d/τ+) on the fixed check batches, and the probes of its circular values, before and after refining. */
export interface RefineReport {
  readonly cycleBefore: number;
  readonly cycleAfter: number;
  /** Per value: the probe before / after (`null` for linear values). */
  readonly probeBefore: readonly (ProbeReport | null)[];
  readonly probeAfter: readonly (ProbeReport | null)[];
  /** Per value: the seam added by this call (`null`: none added). */
  readonly seams: readonly (number | null)[];
  readonly steps: number;
  readonly images: number;
}

/**
 * Refines each encoder through the generator (a cycle loss). E_k is first trained by L1
 * regression onto the w^k of random images, which returns the median of the w^k that give a
 * value y; where several separate regions of the latent space give y (a hue reached by two
 * branches of w_color), that median lies between them and renders something else. Refining
 * minimises, for random images x = G(w) with measured y = M_k(x),
 *
 *     d_k(embed_k(G(w' with w'^k = E_k(y))), embed_k(x)) / τ+_k  +  anchor · |E_k(y) − w^k|₁
 *
 * where w' takes every other sub-vector from an unrelated random latent — so E_k(y) must give
 * y whatever the other attributes are — and d_k, τ+_k are the attribute's own distance and
 * same-attribute threshold (the loss is 1 at the threshold). Only the encoder's weights move.
 * The input calibration is removed (it belonged to the old weights): calibrate afterwards.
 *
 * @example
 * const report = await refineEncoders(controller, { color, position, size }, { steps: 2000 });
 * await calibrateEncoders(controller, { color, position, size });
 */
export async function refineEncoders(
  controller: Controller,
  attributes: AttributeBinding,
  options: RefineOptions = {},
): Promise<Record<string, RefineReport>> {
  const { onProgress, signal, ...rest } = options;
  const opts = parseOptions(refineOptionsSchema, rest, 'refineEncoders');
  const targets = valueEncoderTargets(controller, attributes, opts.only, 'refineEncoders', 'refined');

  const base = opts.seed * 1_000_003 + 9_000_000;
  const out: Record<string, RefineReport> = {};
  for (const [t, { m, enc }] of targets.entries()) {
    const { key, attribute } = m;
    enc.calibration = undefined;
    const stream = base + t * 100_000;
    const probe = () => probeEncoder(controller, m, enc, opts.probeKnots, opts.probeSamples, stream + 50_000);
    const probeBefore = await probe();
    const seams = probeBefore.map((p, c) => {
      if (!p || opts.seam === 'none' || (enc.values[c].kind === 'circular' && enc.values[c].seam !== undefined)) return null;
      const at = p.knots[p.errors.indexOf(p.max)];
      enc.addSeam(c, at);
      return at;
    });
    const checkLoss = async (): Promise<number> => {
      let sum = 0;
      for (let b = 0; b < opts.checkBatches; b++) {
        const batch = targetBatch(controller, attribute, enc, stream + b, opts.batchSize);
        try {
          sum += await scalarOf(tf.tidy(() => cycleLoss(controller, attribute, enc, batch, 0)));
        } finally {
          disposeBatch(batch);
        }
      }
      return sum / opts.checkBatches;
    };
    const cycleBefore = await checkLoss();
    const optimizer = tf.train.adam(opts.learningRate, 0.9, 0.999, 1e-8);
    const vars = enc.variables();
    let images = 0;
    try {
      for (let step = 1; step <= opts.steps; step++) {
        if (signal?.aborted) throw new EncodersError('ENCODERS_ABORTED', `refining of encoder '${key}' aborted at step ${step}`);
        const batch = targetBatch(controller, attribute, enc, stream + 1_000 + step, opts.batchSize);
        try {
          const cost = optimizer.minimize(() => cycleLoss(controller, attribute, enc, batch, opts.anchor), true, vars)!;
          const loss = await scalarOf(cost);
          images += 2 * batch.rows;
          onProgress?.({ attribute: key, step, steps: opts.steps, loss });
        } finally {
          disposeBatch(batch);
        }
      }
    } finally {
      optimizer.dispose();
    }
    const cycleAfter = await checkLoss();
    out[key] = { cycleBefore, cycleAfter, probeBefore, probeAfter: await probe(), seams, steps: opts.steps, images };
  }
  return out;
}

/**
 * Mean |requested − measured| at `knots` values evenly over the period of each circular value
 * (`samples` random latents each; the attribute's other values are taken from random images).
 */
async function probeEncoder(
  controller: Controller,
  m: Measured,
  enc: AttributeEncoder,
  knots: number,
  samples: number,
  seed: number,
): Promise<(ProbeReport | null)[]> {
  const circular = m.periods.map((p, c) => (enc.values[c].kind === 'circular' ? p : undefined));
  if (circular.every((p) => p === undefined)) return circular.map(() => null);
  const random = await generateAndMeasure(controller, [m], { seed, count: samples });
  random.images.dispose();
  const pool = random.y[m.key];
  const rows: KnotRequest[] = [];
  circular.forEach((p, c) => {
    if (p === undefined) return;
    for (let k = 0; k < knots; k++) {
      for (let s = 0; s < samples; s++) {
        const row = pool[s].map((v) => (Number.isFinite(v) ? v : 0));
        row[c] = (k * p) / knots;
        rows.push({ c, k, row });
      }
    }
  });
  const errs = await knotErrors(
    controller,
    m,
    rows,
    circular.map((p) => (p === undefined ? null : knots)),
    circular,
    { batchSize: 32, seedOf: (b) => seed + 1 + b },
  );
  return circular.map((p, c) => {
    if (p === undefined) return null;
    const errors = errs[c]!.map((ds) => (ds.length ? ds.reduce((a, d) => a + Math.abs(d), 0) / ds.length : NaN));
    const finite = errors.filter(Number.isFinite);
    return {
      knots: Array.from({ length: knots }, (_, k) => (k * p) / knots),
      errors,
      mean: finite.reduce((a, e) => a + e, 0) / finite.length,
      max: Math.max(...finite),
    };
  });
}

/** One batch of targets: y measured on G(w_a), its final embedding, w_a^k, and unrelated latents w_b. */
interface TargetBatch {
  readonly rows: number;
  readonly y: tf.Tensor2D;
  readonly features: tf.Tensor;
  readonly wk: tf.Tensor2D;
  readonly wOther: tf.Tensor2D;
}

function targetBatch(controller: Controller, attribute: Attribute, enc: AttributeEncoder, seed: number, n: number): TargetBatch {
  const G = controller.generator;
  return tf.tidy(() => {
    const z = sampleLatents(G.zDim, 2 * n, createRng(seed));
    const w = mapToW(G, z);
    const wA = tf.slice(w, [0, 0], [n, G.wDim]) as tf.Tensor2D;
    const images = G.synthesis(broadcastW(wA, G.numWs), { noiseMode: 'const' });
    const y = attribute.measure!(images);
    // Rows whose measure failed (not finite) are left out.
    const yv = y.arraySync();
    const keep = yv.flatMap((r, i) => (r.every(Number.isFinite) ? [i] : []));
    if (keep.length < 2)
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `refineEncoders: '${attribute.name}' could be measured on only ${keep.length} of ${n} images of a batch`,
      );
    const idx = tf.tensor1d(keep, 'int32');
    const f = lastFeatures(attribute.embed(images));
    return {
      rows: keep.length,
      y: tf.gather(y, idx) as tf.Tensor2D,
      features: tf.gather(f, idx),
      wk: tf.gather(tf.slice(wA, [0, enc.wSlice.offset], [n, enc.wSlice.size]), idx) as tf.Tensor2D,
      wOther: tf.slice(w, [n, 0], [keep.length, G.wDim]) as tf.Tensor2D,
    };
  });
}

function disposeBatch(b: TargetBatch): void {
  tf.dispose([b.y, b.features, b.wk, b.wOther]);
}

/** Mean d/τ+ between the cycle images' and the targets' embeddings, plus anchor·L1 to w^k. */
function cycleLoss(controller: Controller, attribute: Attribute, enc: AttributeEncoder, b: TargetBatch, anchor: number): tf.Scalar {
  return tf.tidy(() => {
    const G = controller.generator;
    const { offset, size } = enc.wSlice;
    const n = b.rows;
    const wk = enc.forward(enc.features(b.y));
    const parts: tf.Tensor2D[] = [];
    if (offset > 0) parts.push(tf.slice(b.wOther, [0, 0], [n, offset]) as tf.Tensor2D);
    parts.push(wk);
    if (offset + size < G.wDim) parts.push(tf.slice(b.wOther, [0, offset + size], [n, G.wDim - offset - size]) as tf.Tensor2D);
    const w = tf.concat(parts, 1) as tf.Tensor2D;
    const images = G.synthesis(broadcastW(w, G.numWs), { noiseMode: 'const' });
    const f = lastFeatures(attribute.embed(images));
    const d = pairwiseDistances(tf.concat([f, b.features], 0), attribute.distance);
    const cross = tf.slice(d, [0, n], [n, n]);
    const cycle = tf.div(tf.sum(tf.mul(cross, tf.eye(n))), n * attribute.thresholds.tauPlus);
    if (anchor === 0) return cycle as tf.Scalar;
    const diff = tf.sub(wk, b.wk);
    return tf.add(cycle, tf.mul(tf.mean(tf.maximum(diff, tf.neg(diff))), anchor)) as tf.Scalar;
  });
}

function lastFeatures(out: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
  return out instanceof tf.Tensor ? out : out[out.length - 1];
}

async function scalarOf(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}
