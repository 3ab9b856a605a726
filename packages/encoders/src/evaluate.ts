import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Attribute, ValueInfo } from '@gan-control/contrastive-loss';
import { EncodersError, parseOptions } from './errors.js';
import type { Controller, GenerateOptions } from './controller.js';
import { circularDiff, circularPeriod } from './model.js';
import type { AttributeBinding } from './model.js';

/** Options of `evaluateControl` (zod). */
export const evaluateOptionsSchema = z.object({
  /** Base samples per attribute: the rows of each grid. */
  seeds: z.number().int().positive().default(8),
  /** Requested values per attribute: the columns of each grid. */
  steps: z.number().int().min(2).default(7),
  /** Random samples used to measure each attribute's range. */
  rangeSamples: z.number().int().positive().default(256),
  /** Images per generator call while measuring ranges. */
  batchSize: z.number().int().positive().default(32),
  /** Requested values span the [margin, 1 − margin] quantiles of the random samples (linear values). */
  margin: z.number().min(0).lt(0.5).default(0.05),
  /** Seed of the random samples and base samples. */
  seed: z.number().int().nonnegative().default(0),
  /** Truncation ψ of the sampled groups (as in `Controller.generate`). */
  truncation: z.union([z.number().min(0).max(1), z.record(z.string(), z.number().min(0).max(1))]).optional(),
  /**
   * Folder for one PNG grid per attribute (`<gridDir>/<attribute>.png`); none when absent. Writing
   * files needs Node: use `evaluateControl` from `@gan-control/encoders/node` for this option.
   */
  gridDir: z.string().optional(),
  /** Evaluate only these controlled attributes (all attributes are still measured for leakage). */
  only: z.array(z.string()).optional(),
  /** Extra circular values, as in training (`circularPeriod`). */
  circular: z.record(z.string(), z.number().positive()).optional(),
});
/** Progress of `evaluateControl`: random samples first, then one step per (attribute, seed). */
export interface EvaluateProgress {
  readonly phase: 'range' | 'sweep';
  /** The attribute being swept (phase 'sweep'). */
  readonly attribute?: string;
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
  readonly etaMs: number;
}

export type EvaluateOptions = z.input<typeof evaluateOptionsSchema> & {
  readonly onProgress?: (p: EvaluateProgress) => void;
  /** Called once at the end with every measurement the report was computed from (for further metrics: DS, MIG, DCI). */
  readonly onMeasurements?: (m: EvaluateMeasurements) => void;
};

/**
 * Every measurement behind one evaluation (`EvaluateOptions.onMeasurements`), so that metrics over
 * the same images (DS, MIG and DCI of `@gan-control/directions`) need no second pass. Values are
 * rows of each attribute's `values`, as `measure` returned them (not finite where it failed).
 */
export interface EvaluateMeasurements {
  /** Every measured attribute (controlled or not), with the period of each circular value. */
  readonly attributes: readonly {
    readonly key: string;
    readonly values: readonly ValueInfo[];
    readonly periods: readonly (number | undefined)[];
  }[];
  /** The random samples of the range phase: one row per image, per attribute key. */
  readonly random: Readonly<Record<string, readonly (readonly number[])[]>>;
  /** One entry per (swept attribute, seed): the base image's values, the requested rows and the swept images' values. */
  readonly sweeps: readonly {
    readonly target: string;
    readonly seed: number;
    readonly requested: readonly (readonly number[])[];
    readonly base: Readonly<Record<string, readonly number[]>>;
    readonly swept: Readonly<Record<string, readonly (readonly number[])[]>>;
  }[];
}

/** Per value of a multi-valued attribute. */
export interface ValueControlReport {
  readonly unit: string;
  readonly range: [number, number];
  readonly meanError: number;
  readonly p90Error: number;
}

/** One attribute of the report. */
export interface AttributeControlReport {
  /** Unit of its values (joined with '/' when they differ). */
  readonly unit: string;
  /** [min, max] of its measured values over random samples (over all its values). */
  readonly range: [number, number];
  /** Mean |requested − measured| in its unit (averaged over its values; circular values wrap). */
  readonly meanError: number;
  /** 90th percentile of the same per-image error. */
  readonly p90Error: number;
  /** For every other attribute: mean |change| when this one is swept, divided by that attribute's range width. */
  readonly leakage: Record<string, number>;
  /** The same mean |change| in the other attribute's unit. */
  readonly leakageAbs: Record<string, number>;
  /** Per-value breakdown (when the attribute has more than one value, at most 8). */
  readonly values?: Record<string, ValueControlReport>;
  /** The requested values (steps × V), for the grid's columns. */
  readonly requested: number[][];
  /** Mean error at each requested value (over the seeds; NaN where nothing was measured): where control fails. */
  readonly stepErrors: number[];
  /** Edited images whose measurement was not finite (left out of the errors), when any. */
  readonly failedMeasurements?: number;
}

/** `evaluateControl`'s result, keyed by attribute (as in the `attributes` argument). Attributes measured but not controlled have no entry. */
export type ControlReport = Record<string, AttributeControlReport>;

/** An attribute bound for measuring (internal; shared with `calibrateEncoders`). */
export interface Measured {
  readonly key: string;
  readonly attribute: Attribute;
  readonly values: readonly ValueInfo[];
  readonly periods: (number | undefined)[];
}

/**
 * Control precision and leakage, the protocol of the paper (section 4, "control precision"
 * with the same attribute networks) plus the disentanglement check:
 * 1. measure every attribute on `rangeSamples` random images → its range per value;
 * 2. for each controlled attribute k, request `steps` values spread over its range (linear
 *    values: evenly between the `margin` quantiles, all values together; circular: evenly over
 *    the period; attributes with more than 4 values: measured vectors of random samples), on
 *    `seeds` base samples whose other sub-vectors stay fixed (`keep`), and measure;
 * 3. precision = |requested − measured| per image (mean over values, circular wrap);
 *    leakage into attribute j = mean |y_j(edited) − y_j(base)| / width of j's range.
 *
 * @example
 * const report = await evaluateControl(controller, { color, size, position }, { seeds: 8, steps: 7, gridDir: 'eval' });
 * console.log(formatControlReport(report));
 */
export async function evaluateControl(
  controller: Controller,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
): Promise<ControlReport> {
  return evaluateControlWith(controller, attributes, options);
}

/**
 * Writes the sweep grids of `evaluateControl` (`gridDir`): `prepare` once before the sweeps,
 * `write` per attribute with its `[seeds·steps, H, W, C]` images (not owned). The Node entry
 * provides the one that writes PNG files.
 */
export interface GridWriter {
  prepare(dir: string): Promise<void>;
  write(dir: string, attribute: string, images: tf.Tensor4D, grid: { rows: number; cols: number }): Promise<void>;
}

/**
 * A way of setting attribute values, measured by `evaluateMethod` with the protocol of
 * `evaluateControl`: the GAN-Control controller (`controllerMethod`), or a post-hoc method on
 * any generator (InterFaceGAN directions, …). Images are NHWC in [-1, 1], owned by the caller.
 */
export interface ControlMethod {
  /** One line per controlled attribute (for errors). */
  describe(): string;
  /** How many values the method sets for attribute `key`, or `undefined` when it does not control it. */
  valueCount(key: string): number | undefined;
  /** `count` random images of `seed`: the range phase, and (`count` 1) the base image of a seed. */
  sample(opts: { seed: number; count: number; truncation?: GenerateOptions['truncation'] }): tf.Tensor4D;
  /** The first latent of `seed` (the base image) with attribute `key` set to each row of `rows`: `rows.length` images. */
  setValues(opts: { seed: number; key: string; rows: number[][]; truncation?: GenerateOptions['truncation'] }): tf.Tensor4D;
}

/**
 * The GAN-Control controller as a `ControlMethod`: the encoder's w^k replaces the group's slice,
 * every other group is the base latent's (`keep`).
 *
 * @example
 * const report = await evaluateMethod(controllerMethod(controller), { color, size, position });
 */
export function controllerMethod(controller: Controller): ControlMethod {
  const encoderOf = (key: string) => {
    try {
      return controller.encoder(key);
    } catch {
      return undefined;
    }
  };
  return {
    describe: () => controller.describe(),
    valueCount: (key) => encoderOf(key)?.values.length,
    sample({ seed, count, truncation }) {
      const { images, ws } = controller.generate({ seed, count, truncation });
      ws.dispose();
      return images;
    },
    setValues({ seed, key, rows, truncation }) {
      const enc = controller.encoder(key);
      const keep = controller.groups.map((g) => g.name).filter((g) => g !== enc.group);
      const { images, ws } = controller.generate({ seed, count: rows.length, truncation, keep, set: { [key]: rows }, outOfRange: 'allow' });
      ws.dispose();
      return images;
    },
  };
}

/** `evaluateControl` with a grid writer (internal; the Node entry passes one). */
export async function evaluateControlWith(
  controller: Controller,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
  grids?: GridWriter,
): Promise<ControlReport> {
  return evaluateMethodWith(controllerMethod(controller), attributes, options, grids);
}

/**
 * `evaluateControl`'s protocol for any `ControlMethod`: the same requested values, seeds, errors
 * and leakage, so GAN-Control and post-hoc methods are measured alike.
 *
 * @example
 * const report = await evaluateMethod(myMethod, { color, size, position }, { seeds: 8, steps: 7 });
 */
export async function evaluateMethod(
  method: ControlMethod,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
): Promise<ControlReport> {
  return evaluateMethodWith(method, attributes, options);
}

/** `evaluateMethod` with a grid writer (internal; the Node entry passes one). */
export async function evaluateMethodWith(
  method: ControlMethod,
  attributes: AttributeBinding,
  options: EvaluateOptions = {},
  grids?: GridWriter,
): Promise<ControlReport> {
  const { onProgress, onMeasurements, ...rest } = options;
  const opts = parseOptions(evaluateOptionsSchema, rest, 'evaluateControl');
  if (opts.gridDir && !grids) {
    throw new EncodersError(
      'ENCODERS_INVALID_OPTIONS',
      "evaluateControl: gridDir writes PNG files, which needs Node; import evaluateControl from '@gan-control/encoders/node' for it",
    );
  }
  const measured = bindMeasured(attributes, opts.circular);
  const controlled = measured.filter((m) => method.valueCount(m.key) !== undefined);
  if (opts.only) {
    for (const name of opts.only) {
      if (method.valueCount(name) === undefined)
        throw new EncodersError('ENCODERS_UNKNOWN_ATTRIBUTE', `unknown attribute '${name}'; this model controls:\n${method.describe()}`);
      if (!controlled.some((m) => m.key === name)) {
        throw new EncodersError(
          'ENCODERS_NO_MEASURE',
          `evaluateControl: only names '${name}', but no attribute runtime with that name was given to measure it; given: ${measured.map((m) => m.key).join(', ')}`,
        );
      }
    }
  }
  const targets = opts.only ? controlled.filter((m) => opts.only!.includes(m.key)) : controlled;
  if (targets.length === 0) {
    throw new EncodersError(
      'ENCODERS_UNKNOWN_ATTRIBUTE',
      `evaluateControl: none of the attributes (${measured.map((m) => m.key).join(', ')}) has an encoder; the model controls:\n${method.describe()}`,
    );
  }
  for (const m of targets) {
    const n = method.valueCount(m.key)!;
    if (n !== m.values.length) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `attribute '${m.key}' measures ${m.values.length} values but its encoder takes ${n}`,
      );
    }
  }

  const start = Date.now();
  // Work units: one per random image, `1 + steps` per (attribute, seed) sweep.
  const total = opts.rangeSamples + targets.length * opts.seeds * (1 + opts.steps);
  let done = 0;
  const report = (phase: 'range' | 'sweep', units: number, attribute?: string) => {
    done += units;
    const elapsedMs = Date.now() - start;
    onProgress?.({ phase, ...(attribute ? { attribute } : {}), done, total, elapsedMs, etaMs: (elapsedMs / done) * (total - done) });
  };
  // 1. Ranges over random samples.
  const random: Record<string, number[][]> = Object.fromEntries(measured.map((m) => [m.key, [] as number[][]]));
  for (let b = 0; done < opts.rangeSamples; b++) {
    const count = Math.min(opts.batchSize, opts.rangeSamples - done);
    const rows = await measureImages(
      measured,
      method.sample({ seed: opts.seed * 1_000_003 + 1_000_000 + b, count, truncation: opts.truncation }),
    );
    for (const m of measured) random[m.key].push(...rows.y[m.key]);
    tf.dispose(rows.images);
    report('range', count);
  }
  const colRange = (key: string, c: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of random[key]) {
      if (!Number.isFinite(r[c])) continue; // a measurement that failed (e.g. nothing detected)
      lo = Math.min(lo, r[c]);
      hi = Math.max(hi, r[c]);
    }
    return [lo, hi];
  };
  const widths: Record<string, number[]> = Object.fromEntries(
    measured.map((m) => [
      m.key,
      m.values.map((_, c) => {
        const [lo, hi] = colRange(m.key, c);
        return hi - lo > 0 ? hi - lo : 1;
      }),
    ]),
  );

  if (opts.gridDir) await grids!.prepare(opts.gridDir);
  const result: ControlReport = {};
  const sweeps: EvaluateMeasurements['sweeps'][number][] = [];
  for (const target of targets) {
    const requested = requestValues(target, random[target.key], opts.steps, opts.margin);
    const errors: number[] = [];
    const stepErrors: number[][] = requested.map(() => []);
    const colErrors: number[][] = target.values.map(() => []);
    const changeSum: Record<string, number> = {};
    const changeAbsSum: Record<string, number> = {};
    let changeCount = 0;
    let failed = 0;
    const gridImages: tf.Tensor4D[] = [];
    try {
      for (let r = 0; r < opts.seeds; r++) {
        const seed = opts.seed * 1_000_003 + r;
        const base = await measureImages(measured, method.sample({ seed, count: 1, truncation: opts.truncation }));
        tf.dispose(base.images);
        const swept = await measureImages(
          measured,
          method.setValues({ seed, key: target.key, rows: requested, truncation: opts.truncation }),
        );
        if (onMeasurements)
          sweeps.push({
            target: target.key,
            seed,
            requested,
            base: Object.fromEntries(measured.map((m) => [m.key, base.y[m.key][0]])),
            swept: swept.y,
          });
        if (opts.gridDir) gridImages.push(swept.images);
        else tf.dispose(swept.images);
        for (let s = 0; s < opts.steps; s++) {
          const y = swept.y[target.key][s];
          if (!y.every(Number.isFinite)) {
            failed++;
            continue;
          }
          let e = 0;
          target.values.forEach((_, c) => {
            const p = target.periods[c];
            const d = Math.abs(p ? circularDiff(y[c], requested[s][c], p) : y[c] - requested[s][c]);
            colErrors[c].push(d);
            e += d;
          });
          errors.push(e / target.values.length);
          stepErrors[s].push(e / target.values.length);
          for (const other of measured) {
            if (other.key === target.key) continue;
            let rel = 0;
            let abs = 0;
            other.values.forEach((_, c) => {
              const p = other.periods[c];
              const a = swept.y[other.key][s][c];
              const b0 = base.y[other.key][0][c];
              const d = Math.abs(p ? circularDiff(a, b0, p) : a - b0);
              if (!Number.isFinite(d)) return;
              abs += d;
              rel += d / widths[other.key][c];
            });
            changeSum[other.key] = (changeSum[other.key] ?? 0) + rel / other.values.length;
            changeAbsSum[other.key] = (changeAbsSum[other.key] ?? 0) + abs / other.values.length;
          }
          changeCount++;
        }
        report('sweep', 1 + opts.steps, target.key);
      }
      if (opts.gridDir) {
        const grid = tf.concat(gridImages);
        try {
          await grids!.write(opts.gridDir, target.key, grid, { rows: opts.seeds, cols: opts.steps });
        } finally {
          grid.dispose();
        }
      }
    } finally {
      tf.dispose(gridImages);
    }
    const ranges = target.values.map((_, c) => colRange(target.key, c));
    const units = [...new Set(target.values.map((v) => v.unit))];
    const leakage: Record<string, number> = {};
    const leakageAbs: Record<string, number> = {};
    for (const k of Object.keys(changeSum)) {
      leakage[k] = changeSum[k] / changeCount;
      leakageAbs[k] = changeAbsSum[k] / changeCount;
    }
    result[target.key] = {
      unit: units.join('/'),
      range: [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))],
      meanError: mean(errors),
      p90Error: quantile(errors, 0.9),
      leakage,
      leakageAbs,
      ...(target.values.length > 1 && target.values.length <= 8
        ? {
            values: Object.fromEntries(
              target.values.map((v, c) => [
                v.name,
                { unit: v.unit, range: ranges[c], meanError: mean(colErrors[c]), p90Error: quantile(colErrors[c], 0.9) },
              ]),
            ),
          }
        : {}),
      requested,
      stepErrors: stepErrors.map(mean),
      ...(failed ? { failedMeasurements: failed } : {}),
    };
  }
  onMeasurements?.({ attributes: measured.map((m) => ({ key: m.key, values: m.values, periods: m.periods })), random, sweeps });
  return result;
}

export function bindMeasured(attributes: AttributeBinding, circular?: Record<string, number>): Measured[] {
  const entries: [string, Attribute][] = Array.isArray(attributes)
    ? (attributes as readonly Attribute[]).map((a) => [a.name, a])
    : Object.entries(attributes as Record<string, Attribute>);
  return entries.map(([key, attribute]) => {
    if (typeof attribute.measure !== 'function' || !attribute.values?.length) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `evaluateControl: attribute '${key}' has no measure()/values; evaluation measures every attribute it is given`,
      );
    }
    return { key, attribute, values: attribute.values, periods: attribute.values.map((v) => circularPeriod(attribute.name, v, circular)) };
  });
}

/** Requested values per step (`steps × V`). */
function requestValues(target: Measured, random: number[][], steps: number, margin: number): number[][] {
  const V = target.values.length;
  if (V > 4) {
    // High-dimensional values (an embedding): request vectors the generator actually produced.
    const finite = random.filter((r) => r.every(Number.isFinite));
    if (finite.length === 0) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `evaluateControl: '${target.key}' could not be measured on any random sample (all values not finite)`,
      );
    }
    const stride = Math.max(1, Math.floor(finite.length / steps));
    return Array.from({ length: steps }, (_, s) => [...finite[(s * stride) % finite.length]]);
  }
  const cols = target.values.map((_, c) => {
    const p = target.periods[c];
    if (p) return Array.from({ length: steps }, (_, s) => (s * p) / steps);
    const sorted = random
      .map((r) => r[c])
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const lo = quantileSorted(sorted, margin);
    const hi = quantileSorted(sorted, 1 - margin);
    return Array.from({ length: steps }, (_, s) => lo + ((hi - lo) * s) / (steps - 1));
  });
  return Array.from({ length: steps }, (_, s) => cols.map((col) => col[s]));
}

export async function generateAndMeasure(
  controller: Controller,
  measured: readonly Measured[],
  opts: Parameters<Controller['generate']>[0],
): Promise<{ images: tf.Tensor4D; y: Record<string, number[][]> }> {
  const { images, ws } = controller.generate(opts);
  ws.dispose();
  return measureImages(measured, images);
}

/** Measures every attribute on `images` (taken over: disposed on error, else returned with the values). */
async function measureImages(
  measured: readonly Measured[],
  images: tf.Tensor4D,
): Promise<{ images: tf.Tensor4D; y: Record<string, number[][]> }> {
  const y: Record<string, number[][]> = {};
  try {
    for (const m of measured) {
      const t = tf.tidy(() => m.attribute.measure!(images));
      let data: Float32Array;
      try {
        data = (await t.data()) as Float32Array;
      } finally {
        t.dispose();
      }
      const V = m.values.length;
      if (data.length !== images.shape[0] * V) {
        throw new EncodersError(
          'ENCODERS_SHAPE_MISMATCH',
          `attribute '${m.key}': measure returned ${data.length} numbers for ${images.shape[0]} images × ${V} values`,
        );
      }
      y[m.key] = Array.from({ length: images.shape[0] }, (_, r) => Array.from(data.subarray(r * V, r * V + V)));
    }
  } catch (e) {
    images.dispose();
    throw e;
  }
  return { images, y };
}

/** One requested row of an attribute's values, whose column `c` is set to knot `k`. */
export interface KnotRequest {
  readonly c: number;
  readonly k: number;
  readonly row: number[];
}

/**
 * Renders every request (in batches; `seedOf(b)` seeds the b-th) and returns the signed errors
 * measured − requested of column `c` per (column, knot): `knots[c]` knots, `null` for a column
 * without knots; circular differences where `periods[c]` is set; measurements that are not finite
 * are left out. Used by calibration and by the refinement's probe.
 */
export async function knotErrors(
  controller: Controller,
  m: Measured,
  requests: readonly KnotRequest[],
  knots: readonly (number | null)[],
  periods: readonly (number | undefined)[],
  opts: {
    batchSize: number;
    seedOf: (batch: number) => number;
    truncation?: GenerateOptions['truncation'];
    onBatch?: (done: number) => void;
  },
): Promise<(number[][] | null)[]> {
  const errs = knots.map((n) => (n ? Array.from({ length: n }, () => [] as number[]) : null));
  for (let i = 0, b = 0; i < requests.length; i += opts.batchSize, b++) {
    const batch = requests.slice(i, i + opts.batchSize);
    const r = await generateAndMeasure(controller, [m], {
      seed: opts.seedOf(b),
      count: batch.length,
      truncation: opts.truncation,
      set: { [m.key]: batch.map((q) => q.row) },
      outOfRange: 'allow',
    });
    tf.dispose(r.images);
    batch.forEach((q, j) => {
      const y = r.y[m.key][j][q.c];
      const p = periods[q.c];
      if (Number.isFinite(y)) errs[q.c]![q.k].push(p ? circularDiff(y, q.row[q.c], p) : y - q.row[q.c]);
    });
    opts.onBatch?.(Math.min(i + opts.batchSize, requests.length));
  }
  return errs;
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

function quantile(xs: readonly number[], q: number): number {
  return quantileSorted(
    [...xs].sort((a, b) => a - b),
    q,
  );
}

/**
 * The report as a text table: attribute, unit, range, mean and p90 error, and the two largest
 * leakages.
 *
 * @example
 * console.log(formatControlReport(await evaluateControl(controller, attributes)));
 */
export function formatControlReport(report: ControlReport): string {
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));
  const rows = [['attribute', 'unit', 'range', 'mean err', 'p90 err', 'leakage (largest, fraction of range)']];
  for (const [name, r] of Object.entries(report)) {
    const leaks = Object.entries(r.leakage)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(', ');
    rows.push([name, r.unit, `[${f(r.range[0])}, ${f(r.range[1])}]`, f(r.meanError), f(r.p90Error), leaks || '—']);
    if (r.values) {
      for (const [v, vr] of Object.entries(r.values))
        rows.push([`  ${v}`, vr.unit, `[${f(vr.range[0])}, ${f(vr.range[1])}]`, f(vr.meanError), f(vr.p90Error), '']);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
