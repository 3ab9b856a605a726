import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Calibration } from './calibration.js';
import type { Controller } from './controller.js';
import { EncodersError, parseOptions } from './errors.js';
import { valueEncoderTargets } from './targets.js';
import { generateAndMeasure, knotErrors, quantileSorted } from './evaluate.js';
import type { KnotRequest } from './evaluate.js';
import type { AttributeBinding } from './model.js';

/** Options of `calibrateEncoders` (zod). */
export const calibrateOptionsSchema = z.object({
  /** Knots per value column (circular values: evenly over the period; linear: between the margin quantiles). */
  knots: z.number().int().min(2).max(512).default(24),
  /** Images per knot in every pass. */
  samples: z.number().int().positive().default(32),
  /** Correction passes; one more pass measures the result (`fit.errorAfter`). */
  iterations: z.number().int().min(1).max(50).default(2),
  /** Random images measured first: the linear values' ranges and the other columns' requests. */
  rangeSamples: z.number().int().min(2).default(256),
  /** Linear knots span the [margin, 1 − margin] quantiles of the random images' values. */
  margin: z.number().min(0).lt(0.5).default(0.01),
  /** Images per generator call. */
  batchSize: z.number().int().positive().default(32),
  /** Seed; the streams are disjoint from `evaluateControl`'s (which uses the seeds below 5·10⁶ for seed 0). */
  seed: z.number().int().nonnegative().default(0),
  /** Calibrate only these attributes (default: every attribute with an encoder and at most 4 values). */
  only: z.array(z.string()).optional(),
  /** Truncation ψ of the sampled groups (as in `Controller.generate`). */
  truncation: z.union([z.number().min(0).max(1), z.record(z.string(), z.number().min(0).max(1))]).optional(),
});
export type CalibrateOptions = z.input<typeof calibrateOptionsSchema> & {
  readonly onProgress?: (p: { readonly attribute: string; readonly pass: number; readonly done: number; readonly total: number }) => void;
};

/** Per attribute: the mean |requested − measured| at the knots per value, before and after. */
export interface CalibrationReport {
  readonly values: readonly string[];
  readonly errorBefore: readonly number[];
  readonly errorAfter: readonly number[];
  readonly images: number;
}

/**
 * Fits each encoder's input calibration so that the images it generates measure, on average, the
 * value that was requested. For every value column, `knots` requested values are rendered on
 * `samples` random latents each (the other columns set to values measured on random images);
 * the mean signed error at each knot (circular mean wrap for angles) is subtracted from that
 * knot's input offset; this repeats `iterations` times, then one more pass measures the result.
 * Of the measured passes (the first one measures no calibration), each column keeps the offsets
 * with the smallest mean error — a correction that makes things worse is not kept.
 * The encoders (the controller's `AttributeEncoder`s) are changed in place; `saveEncoder` stores
 * the calibration with them. Encoders of more than 4 values (embeddings) are left alone.
 *
 * It corrects the bias of E_k (the L1 regression lands on the median of the w^k that give a
 * value, which need not give that value); the spread caused by the other sub-vectors is the
 * generator's and stays.
 *
 * @example
 * const report = await calibrateEncoders(controller, { color, position, size });
 * for (const enc of controller.encoders) await saveEncoder(enc as AttributeEncoder, 'model/encoders');
 */
export async function calibrateEncoders(
  controller: Controller,
  attributes: AttributeBinding,
  options: CalibrateOptions = {},
): Promise<Record<string, CalibrationReport>> {
  const { onProgress, ...rest } = options;
  const opts = parseOptions(calibrateOptionsSchema, rest, 'calibrateEncoders');
  const targets = valueEncoderTargets(controller, attributes, opts.only, 'calibrateEncoders', 'calibrated');

  const base = opts.seed * 1_000_003 + 5_000_000;
  // 1. Random images: ranges of the linear values, and realistic values for the other columns.
  const random: Record<string, number[][]> = Object.fromEntries(targets.map((t) => [t.m.key, [] as number[][]]));
  for (let done = 0, b = 0; done < opts.rangeSamples; b++) {
    const count = Math.min(opts.batchSize, opts.rangeSamples - done);
    const rows = await generateAndMeasure(
      controller,
      targets.map((t) => t.m),
      { seed: base + b, count, truncation: opts.truncation },
    );
    tf.dispose(rows.images);
    for (const t of targets) random[t.m.key].push(...rows.y[t.m.key].filter((r) => r.every(Number.isFinite)));
    done += count;
  }

  const out: Record<string, CalibrationReport> = {};
  let stream = 0;
  for (const { m, enc } of targets) {
    const pool = random[m.key];
    if (pool.length === 0) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `calibrateEncoders: '${m.key}' could not be measured on any random sample (all values not finite)`,
      );
    }
    const V = enc.values.length;
    const periods = enc.values.map((v) => (v.kind === 'circular' ? v.period : undefined));
    const knots = periods.map((p, c) => {
      if (p) return Array.from({ length: opts.knots }, (_, k) => (k * p) / opts.knots);
      const sorted = pool.map((r) => r[c]).sort((a, b) => a - b);
      const lo = quantileSorted(sorted, opts.margin);
      const hi = quantileSorted(sorted, 1 - opts.margin);
      if (!(hi > lo)) return null;
      return Array.from({ length: opts.knots }, (_, k) => lo + ((hi - lo) * k) / (opts.knots - 1));
    });
    const offsets = knots.map((k) => (k ? new Array<number>(k.length).fill(0) : null));
    const calibration = (): Calibration => ({
      method: 'input-offset',
      columns: knots.map((k, c) => (k ? { knots: [...k], offsets: [...offsets[c]!] } : null)),
    });
    enc.calibration = undefined;
    // Requests of one pass: (column, knot, sample) → a row of values.
    const requests: KnotRequest[] = [];
    knots.forEach((ks, c) => {
      if (!ks) return;
      ks.forEach((kv, k) => {
        for (let s = 0; s < opts.samples; s++) {
          const row = [...pool[(c * 7919 + k * 104_729 + s * 31) % pool.length]];
          row[c] = kv;
          requests.push({ c, k, row });
        }
      });
    });
    const passes = opts.iterations + 1;
    const errorBefore: number[] = new Array(V).fill(NaN);
    const errorAfter: number[] = new Array(V).fill(NaN);
    const best: (number[] | null)[] = new Array(V).fill(null);
    let images = 0;
    for (let pass = 0; pass < passes; pass++) {
      // Signed errors of this pass per (column, knot).
      const errs = await knotErrors(
        controller,
        m,
        requests,
        knots.map((ks) => ks?.length ?? null),
        periods,
        {
          batchSize: opts.batchSize,
          truncation: opts.truncation,
          seedOf: () => base + 1_000 + stream++,
          onBatch: (done) => onProgress?.({ attribute: m.key, pass, done: done + pass * requests.length, total: passes * requests.length }),
        },
      );
      images += requests.length;
      errs.forEach((perKnot, c) => {
        if (!perKnot) return;
        const e = meanAbs(perKnot.flat());
        if (pass === 0) errorBefore[c] = e;
        // Keep the offsets with the smallest measured error (none, when no pass improved on pass 0).
        if (Number.isFinite(e) && !(e >= errorAfter[c])) {
          errorAfter[c] = e;
          best[c] = [...offsets[c]!];
        }
        if (pass < passes - 1) perKnot.forEach((ds, k) => ds.length && (offsets[c]![k] -= meanError(ds, periods[c])));
      });
      if (pass < passes - 1) enc.calibration = calibration();
    }
    best.forEach((b, c) => b && offsets[c]!.splice(0, b.length, ...b));
    enc.calibration = {
      ...calibration(),
      fit: {
        knots: opts.knots,
        samples: opts.samples,
        iterations: opts.iterations,
        seed: opts.seed,
        rangeSamples: opts.rangeSamples,
        images,
        errorBefore: finiteOrNull(errorBefore),
        errorAfter: finiteOrNull(errorAfter),
      },
    };
    out[m.key] = { values: enc.values.map((v) => v.name), errorBefore, errorAfter, images };
  }
  return out;
}

/** Mean of signed errors; for a circular value, the circular mean (an angle in (−p/2, p/2]). */
function meanError(ds: readonly number[], period?: number): number {
  if (!period) return ds.reduce((a, b) => a + b, 0) / ds.length;
  const t = (2 * Math.PI) / period;
  return (
    Math.atan2(
      ds.reduce((a, d) => a + Math.sin(t * d), 0),
      ds.reduce((a, d) => a + Math.cos(t * d), 0),
    ) / t
  );
}

function meanAbs(ds: readonly number[]): number {
  return ds.length ? ds.reduce((a, d) => a + Math.abs(d), 0) / ds.length : NaN;
}

function finiteOrNull(xs: readonly number[]): (number | null)[] {
  return xs.map((x) => (Number.isFinite(x) ? x : null));
}
