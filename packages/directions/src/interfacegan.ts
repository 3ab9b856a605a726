import { z } from 'zod';
import { DirectionsError, parseOptions } from './errors.js';
import { checkMatrix, choleskySolve, column, dot, norm, pick, predictRow, rSquared, splitRows, splitSystems } from './matrix.js';
import type { Matrix, RidgeSystem } from './matrix.js';

const name = z.string().min(1);

/**
 * How one measured value (one column of `measure`'s output) is fitted:
 * - `linear`: ridge least squares on the value (years, pixels, a fraction…);
 * - `circular`: an angle with `period` (degrees: 360), fitted as its (cos, sin) pair, so edits
 *   wrap correctly (a hue of 350° + 40° is 30°);
 * - `threshold`: a binary label `value > threshold`, fitted by L2-regularised logistic regression
 *   (InterFaceGAN's linear SVM boundary, with a probabilistic loss so edits have logit units).
 */
export const valueSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('linear'), attribute: name, value: name, unit: z.string().default('') }),
  z.object({
    kind: z.literal('circular'),
    attribute: name,
    value: name,
    unit: z.string().default('deg'),
    period: z.number().positive().default(360),
  }),
  z.object({ kind: z.literal('threshold'), attribute: name, value: name, unit: z.string().default(''), threshold: z.number() }),
]);
export type ValueSpecInput = z.input<typeof valueSpecSchema>;
export type ValueSpec = z.output<typeof valueSpecSchema>;

/** Options of `fitDirections`: one spec per column of the measured values, in column order. */
export const fitOptionsSchema = z.object({
  values: z.array(valueSpecSchema).min(1),
  /** Ridge strength relative to the mean variance of w (scale-free): λ = ridge · tr(Σ_w) · N / D. */
  ridge: z.number().nonnegative().default(1e-3),
  /** Fraction of samples held out to measure R² / accuracy (every ⌈1/holdout⌉-th sample); 0: none. */
  holdout: z.number().min(0).max(0.5).default(0.2),
  /** Newton iterations of the logistic fit (it usually converges in under 15). */
  maxIterations: z.number().int().positive().default(50),
});
export type FitOptionsInput = z.input<typeof fitOptionsSchema>;
type FitOptions = z.output<typeof fitOptionsSchema>;

/** A linear model `y ≈ intercept + slope · (normal · w)` with a unit `normal`. */
export interface LinearModel {
  /** Unit normal n = β/‖β‖ in w (length D). */
  readonly normal: readonly number[];
  /** ‖β‖: change of the modelled quantity per unit step of w along `normal`. */
  readonly slope: number;
  readonly intercept: number;
}

/** Common fields of every fitted direction. `attribute.value` is its key (`color.hue`). */
interface DirectionBase {
  readonly attribute: string;
  readonly value: string;
  readonly unit: string;
  /** Samples the final fit used. */
  readonly samples: number;
}

/** A continuous value: `model` predicts it in its unit; `r2` is R² on the held-out split. */
export interface LinearDirection extends DirectionBase {
  readonly kind: 'linear';
  readonly model: LinearModel;
  readonly r2: number;
}

/**
 * An angle: `cos` and `sin` predict (cos θ, sin θ), θ = 2π·value/period. `meanRadius` is the mean
 * length of the predicted (cos, sin) vector over the samples; `error` is the held-out mean
 * absolute angular error in the value's unit; `r2` the mean held-out R² of the two fits.
 */
export interface CircularDirection extends DirectionBase {
  readonly kind: 'circular';
  readonly period: number;
  readonly cos: LinearModel;
  readonly sin: LinearModel;
  readonly meanRadius: number;
  readonly r2: number;
  readonly error: number;
}

/** A binary label `value > threshold`: `model` predicts its logit; `accuracy` on the held-out split. */
export interface ThresholdDirection extends DirectionBase {
  readonly kind: 'threshold';
  readonly threshold: number;
  readonly model: LinearModel;
  readonly accuracy: number;
}

export type Direction = LinearDirection | CircularDirection | ThresholdDirection;

/**
 * `attribute.value`, the name a direction is asked for by (`--shift color.hue=+40`).
 *
 * @example
 * ```ts
 * const byKey = new Map(directions.map((d) => [directionKey(d), d]));
 * byKey.get('color.hue');
 * ```
 */
export function directionKey(d: { attribute: string; value: string }): string {
  return `${d.attribute}.${d.value}`;
}

function toModel(beta: Float64Array, intercept: number): LinearModel {
  const slope = norm(beta);
  if (!(slope > 0))
    throw new DirectionsError(
      'DIRECTIONS_DEGENERATE',
      'the fitted coefficients are all zero: the value does not vary with w in these samples',
    );
  return { normal: Array.from(beta, (b) => b / slope), slope, intercept };
}

function modelAt(m: LinearModel, w: ArrayLike<number>, offset: number): number {
  let s = 0;
  for (let a = 0; a < m.normal.length; a++) s += m.normal[a] * w[offset + a];
  return m.intercept + m.slope * s;
}

/**
 * L2-regularised logistic regression by Newton's method (IRLS) with step halving: minimises
 * Σ log(1 + e^{−s_i (βᵀx_i + b)}) + λ/2 ‖β‖², λ = ridge · tr(scatter)/D, the intercept
 * unpenalised. Deterministic: a fixed start (β = 0, or `start`), a fixed iteration order.
 */
function logisticFit(
  x: Matrix,
  labels: Uint8Array,
  rows: ArrayLike<number>,
  ridge: number,
  maxIterations: number,
  start?: { beta: Float64Array; intercept: number },
): { beta: Float64Array; intercept: number } {
  const D = x.cols;
  const K = D + 1;
  const mu = new Float64Array(D);
  for (let r = 0; r < rows.length; r++) for (let a = 0; a < D; a++) mu[a] += x.data[rows[r] * D + a];
  for (let a = 0; a < D; a++) mu[a] /= rows.length;
  let trace = 0;
  for (let r = 0; r < rows.length; r++) for (let a = 0; a < D; a++) trace += (x.data[rows[r] * D + a] - mu[a]) ** 2;
  const lambda = Math.max(ridge * (trace / D), 1e-12);
  const theta = new Float64Array(K);
  if (start) {
    theta.set(start.beta);
    theta[D] = start.intercept + dot(start.beta, mu);
  }
  const f = new Float64Array(K);
  const row = (i: number) => {
    for (let a = 0; a < D; a++) f[a] = x.data[i * D + a] - mu[a];
    f[D] = 1;
    return f;
  };
  const loss = (t: Float64Array) => {
    let l = 0;
    for (let r = 0; r < rows.length; r++) {
      const z = dot(t, row(rows[r]));
      const m = labels[rows[r]] ? z : -z;
      l += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    }
    let reg = 0;
    for (let a = 0; a < D; a++) reg += t[a] * t[a];
    return l + 0.5 * lambda * reg;
  };
  let current = loss(theta);
  for (let it = 0; it < maxIterations; it++) {
    const H = new Float64Array(K * K);
    const g = new Float64Array(K);
    for (let r = 0; r < rows.length; r++) {
      const v = row(rows[r]);
      const p = 1 / (1 + Math.exp(-dot(theta, v)));
      const wgt = p * (1 - p);
      const e = p - labels[rows[r]];
      for (let a = 0; a < K; a++) {
        g[a] += e * v[a];
        const va = wgt * v[a];
        if (va === 0) continue;
        for (let b = a; b < K; b++) H[a * K + b] += va * v[b];
      }
    }
    for (let a = 0; a < D; a++) {
      g[a] += lambda * theta[a];
      H[a * K + a] += lambda;
    }
    H[D * K + D] += 1e-12 * rows.length;
    for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) H[b * K + a] = H[a * K + b];
    const [step] = choleskySolve(H, K, [g]);
    let scale = 1;
    let next = theta;
    let nextLoss = current;
    for (let h = 0; h < 30; h++) {
      const t = Float64Array.from(theta, (v, a) => v - scale * step[a]);
      const l = loss(t);
      if (l <= current) {
        next = t;
        nextLoss = l;
        break;
      }
      scale /= 2;
    }
    const moved = Math.max(...Array.from(next, (v, a) => Math.abs(v - theta[a])));
    theta.set(next);
    const done = current - nextLoss <= 1e-12 * (1 + Math.abs(current)) || moved <= 1e-10;
    current = nextLoss;
    if (done) break;
  }
  const beta = theta.slice(0, D);
  return { beta, intercept: theta[D] - dot(beta, mu) };
}

/**
 * Fits one InterFaceGAN direction for a measured value `y` (one entry per row of `w`).
 *
 * InterFaceGAN (Shen et al., CVPR 2020, "Interpreting the Latent Space of GANs for Semantic Face
 * Editing", §2.2 and the official `utils/manipulator.py` `train_boundary`): a semantic is
 * separated by a hyperplane nᵀw + b = 0 in the latent space and edited by moving along its unit
 * normal n. The official code fits a linear SVM on the extreme samples; here a continuous value is
 * fitted by ridge least squares y ≈ b + βᵀw (n = β/‖β‖, slope ‖β‖ in the value's units per unit
 * of w), so edits have units; a `threshold` spec fits a logistic regression on `y > threshold`
 * (a linear classifier, like the SVM, whose margin is in logits). A `circular` value is fitted as
 * two ridge models of (cos θ, sin θ). R² / accuracy are measured on the held-out split by a fit on
 * the other samples; the returned direction is then refitted on all samples. Cost: one pass of
 * O(N·D²/2) shared by every linear and circular value of a `fitDirections` call, plus a Cholesky
 * solve (D³/6); a threshold value costs O(N·D²/2) per Newton step (≈ 10 + 3 steps).
 *
 * @example
 * ```ts
 * const d = fitDirection(matrix(w, 512), ages, { kind: 'linear', attribute: 'age', value: 'age', unit: 'years' });
 * d.model.slope; // years per unit of w along d.model.normal
 * ```
 */
export function fitDirection(
  w: Matrix,
  y: ArrayLike<number>,
  spec: ValueSpecInput,
  options: Omit<FitOptionsInput, 'values'> = {},
): Direction {
  const opts = parseOptions(fitOptionsSchema, { ...options, values: [spec] }, 'fitDirection');
  checkMatrix(w, 'fitDirection: w', { minRows: 3 });
  if (y.length !== w.rows)
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `fitDirection: ${y.length} values for ${w.rows} rows of w; measure each sampled w once, in order`,
    );
  for (let i = 0; i < y.length; i++)
    if (!Number.isFinite(y[i]))
      throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `fitDirection: value [${i}] is ${y[i]}; every value must be finite`);
  return fitOne(w, y, opts.values[0], opts, systemsFor(w, opts));
}

/** The factored ridge systems of one w, shared by every value fitted on it. */
type Systems = { train: Int32Array; test: Int32Array; get(): { train: RidgeSystem | null; all: RidgeSystem } };

function systemsFor(w: Matrix, opts: FitOptions): Systems {
  const { train, test } = splitRows(w.rows, opts.holdout);
  let cached: { train: RidgeSystem | null; all: RidgeSystem } | undefined;
  return { train, test, get: () => (cached ??= splitSystems(w, train, test, opts.ridge)) };
}

function fitOne(w: Matrix, y: ArrayLike<number>, spec: ValueSpec, opts: FitOptions, systems: Systems): Direction {
  const n = w.rows;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const { train, test } = systems;
  const base = { attribute: spec.attribute, value: spec.value, unit: spec.unit, samples: n };
  const where = `direction '${spec.attribute}.${spec.value}'`;
  try {
    if (spec.kind === 'linear') {
      let r2 = Number.NaN;
      const sys = systems.get();
      if (sys.train) {
        const [f] = sys.train.fit([y]);
        r2 = rSquared(
          pick(y, test),
          Array.from(test, (i) => predictRow(w, i, f.beta, f.intercept)),
        );
      }
      const [f] = sys.all.fit([y]);
      return { kind: 'linear', ...base, model: toModel(f.beta, f.intercept), r2 };
    }
    if (spec.kind === 'circular') {
      const k = (2 * Math.PI) / spec.period;
      const c = Float64Array.from({ length: n }, (_, i) => Math.cos(k * y[i]));
      const s = Float64Array.from({ length: n }, (_, i) => Math.sin(k * y[i]));
      let r2 = Number.NaN;
      let error = Number.NaN;
      const sys = systems.get();
      if (sys.train) {
        const [fc, fs] = sys.train.fit([c, s]);
        const pc = Array.from(test, (i) => predictRow(w, i, fc.beta, fc.intercept));
        const ps = Array.from(test, (i) => predictRow(w, i, fs.beta, fs.intercept));
        r2 = (rSquared(pick(c, test), pc) + rSquared(pick(s, test), ps)) / 2;
        let e = 0;
        test.forEach((i, r) => {
          const d = Math.atan2(ps[r], pc[r]) - k * y[i];
          e += Math.abs(Math.atan2(Math.sin(d), Math.cos(d)));
        });
        error = e / test.length / k;
      }
      const [fc, fs] = sys.all.fit([c, s]);
      let radius = 0;
      for (let i = 0; i < n; i++) radius += Math.hypot(predictRow(w, i, fc.beta, fc.intercept), predictRow(w, i, fs.beta, fs.intercept));
      return {
        kind: 'circular',
        ...base,
        period: spec.period,
        cos: toModel(fc.beta, fc.intercept),
        sin: toModel(fs.beta, fs.intercept),
        meanRadius: radius / n,
        r2,
        error,
      };
    }
    const labels = Uint8Array.from({ length: n }, (_, i) => (y[i] > spec.threshold ? 1 : 0));
    const positives = labels.reduce((a, b) => a + b, 0);
    if (positives === 0 || positives === n) {
      throw new DirectionsError(
        'DIRECTIONS_DEGENERATE',
        `${where}: all ${n} samples are ${positives ? 'above' : 'at or below'} the threshold ${spec.threshold}; pick a threshold inside the measured range`,
      );
    }
    let accuracy = Number.NaN;
    let start: { beta: Float64Array; intercept: number } | undefined;
    if (test.length) {
      const f = logisticFit(w, labels, train, opts.ridge, opts.maxIterations);
      let hits = 0;
      for (const i of test) hits += (predictRow(w, i, f.beta, f.intercept) > 0 ? 1 : 0) === labels[i] ? 1 : 0;
      accuracy = hits / test.length;
      start = f;
    }
    // The refit on all samples starts from the train fit: a couple of Newton steps instead of ten.
    const f = logisticFit(w, labels, all, opts.ridge, opts.maxIterations, start);
    return { kind: 'threshold', ...base, threshold: spec.threshold, model: toModel(f.beta, f.intercept), accuracy };
  } catch (e) {
    if (e instanceof DirectionsError && !e.message.startsWith(where))
      throw new DirectionsError(e.code, `${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Fits one direction per column of `values` (`[N, V]`, what the attribute plugins' `measure`
 * return, concatenated), `options.values[j]` describing column j. See `fitDirection`.
 *
 * @example
 * ```ts
 * const dirs = fitDirections(matrix(w, 512), matrix(y, 2), {
 *   values: [
 *     { kind: 'circular', attribute: 'color', value: 'hue', period: 360 },
 *     { kind: 'linear', attribute: 'size', value: 'size', unit: 'fraction' },
 *   ],
 * });
 * ```
 */
export function fitDirections(w: Matrix, values: Matrix, options: FitOptionsInput): Direction[] {
  const opts = parseOptions(fitOptionsSchema, options, 'fitDirections');
  checkMatrix(w, 'fitDirections: w', { minRows: 3 });
  checkMatrix(values, 'fitDirections: values', { rows: w.rows, cols: opts.values.length });
  const keys = new Set<string>();
  for (const v of opts.values) {
    const key = directionKey(v);
    if (keys.has(key))
      throw new DirectionsError(
        'DIRECTIONS_INVALID_OPTIONS',
        `fitDirections: '${key}' is listed twice in values; each column needs its own attribute.value`,
      );
    keys.add(key);
  }
  const systems = systemsFor(w, opts);
  return opts.values.map((spec, j) => fitOne(w, column(values, j), spec, opts, systems));
}

function rowsOf(d: Direction): { rows: LinearModel[] } {
  return { rows: d.kind === 'circular' ? [d.cos, d.sin] : [d.model] };
}

function dimOf(d: Direction): number {
  return d.kind === 'circular' ? d.cos.normal.length : d.model.normal.length;
}

function checkW(w: ArrayLike<number>, d: Direction, what: string): number {
  const D = dimOf(d);
  if (w.length === 0 || w.length % D !== 0) {
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `${what}: w has ${w.length} numbers, not a whole number of rows of ${D} (the dim '${directionKey(d)}' was fitted in)`,
    );
  }
  return w.length / D;
}

/**
 * The model's value for each row of `w` (row-major, N × D): a linear value in its unit, an angle
 * in [0, period), or the probability that a threshold label is 1.
 *
 * @example
 * ```ts
 * predict(w, hue); // Float64Array of N hues in degrees
 * ```
 */
export function predict(w: ArrayLike<number>, direction: Direction): Float64Array {
  const N = checkW(w, direction, 'predict');
  const D = dimOf(direction);
  return Float64Array.from({ length: N }, (_, i) => {
    if (direction.kind === 'circular') {
      const a = Math.atan2(modelAt(direction.sin, w, i * D), modelAt(direction.cos, w, i * D));
      const v = (a / (2 * Math.PI)) * direction.period;
      return v < 0 ? v + direction.period : v;
    }
    const z = modelAt(direction.model, w, i * D);
    return direction.kind === 'threshold' ? 1 / (1 + Math.exp(-z)) : z;
  });
}

/**
 * Gram–Schmidt: an orthonormal basis of the span of `vectors` (in order; a vector whose residual
 * is below 1e-9 of its length is dropped as dependent).
 */
function orthonormalBasis(vectors: readonly (readonly number[])[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const r = Float64Array.from(v);
    const len = norm(r);
    for (const q of basis) {
      const p = dot(r, q);
      for (let a = 0; a < r.length; a++) r[a] -= p * q[a];
    }
    const rn = norm(r);
    if (rn > 1e-9 * len) basis.push(r.map((x) => x / rn));
  }
  return basis;
}

/**
 * `vector` with its components along `others` removed (Gram–Schmidt on `others`, then one
 * projection): what InterFaceGAN's conditional manipulation does to a primal normal,
 * n₁ − Σ (n₁ᵀe_j) e_j over an orthonormal basis e of the conditions' normals (Shen et al. 2020,
 * §2.2 "Conditional Manipulation"; the official `project_boundary`). Not renormalised.
 *
 * @example
 * ```ts
 * projectOut(hue.cos.normal, [size.model.normal]); // orthogonal to the size normal
 * ```
 */
export function projectOut(vector: readonly number[], others: readonly (readonly number[])[]): number[] {
  const r = Float64Array.from(vector);
  for (const q of orthonormalBasis(others)) {
    const p = dot(r, q);
    for (let a = 0; a < r.length; a++) r[a] -= p * q[a];
  }
  return Array.from(r);
}

/**
 * The unit normal InterFaceGAN's conditional edit moves along: the direction's normal with the
 * normals of `keep` projected out, renormalised (for a circular direction, its cos normal).
 * Throws `DIRECTIONS_DEGENERATE` when nothing is left (the normal lies in the span of `keep`).
 *
 * @example
 * ```ts
 * const n = conditionalNormal(age, [glasses, pose]); // move age without glasses or pose
 * ```
 */
export function conditionalNormal(direction: Direction, keep: readonly Direction[]): number[] {
  const base = direction.kind === 'circular' ? direction.cos.normal : direction.model.normal;
  const v = projectOut(
    base,
    keep.flatMap((k) => rowsOf(k).rows.map((m) => m.normal)),
  );
  const n = norm(v);
  if (!(n > 1e-9))
    throw new DirectionsError(
      'DIRECTIONS_DEGENERATE',
      `conditionalNormal: '${directionKey(direction)}' lies in the span of the kept directions (${keep.map(directionKey).join(', ')}); keep fewer`,
    );
  return v.map((x) => x / n);
}

/** Options of the edits. */
export interface EditOptions {
  /**
   * Directions whose fitted values must not change (InterFaceGAN's conditional edit): their
   * normals are projected out of the move. The edited direction itself is ignored if listed.
   */
  readonly keep?: readonly Direction[];
  /**
   * Circular directions only: the smallest length of the predicted (cos, sin) vector an edit
   * aims for, as a fraction of the fit's `meanRadius` (default 0.25). Near the centre the angle
   * is ill-defined, so a w predicted there is moved out to this radius as well as around.
   */
  readonly minRadius?: number;
}

type Target = { shift: number } | { set: number };

/**
 * Moves every row of `w` (row-major, N × D) so that the direction's fitted model reaches the
 * target, by the smallest move in the span of its (projected) normals:
 * with B the rows of the model's coefficient vectors (one row; two for a circular value), P the
 * projector onto the orthogonal complement of the `keep` normals and p = a + Bw the prediction,
 * Δw = P Bᵀ u with (B P Bᵀ) u = t − p. For a linear value this is Δw = (t − p)/(slope·|Pn|²)·Pn,
 * InterFaceGAN's `w + α n` with α in value units; for a circular value the 2×2 system rotates
 * the predicted (cos, sin) to the requested angle exactly (keeping its length) — or, where its
 * two normals are parallel in the allowed span (a hue fitted on one GANSpace component), moves it
 * to the nearest point it can reach (least squares). Every kept direction's prediction is
 * unchanged, because its normals are orthogonal to the move.
 */
function edit(w: ArrayLike<number>, direction: Direction, target: Target, options: EditOptions, what: string): Float32Array {
  const N = checkW(w, direction, what);
  const D = dimOf(direction);
  const key = directionKey(direction);
  for (const k of options.keep ?? []) {
    if (dimOf(k) !== D)
      throw new DirectionsError(
        'DIRECTIONS_SHAPE_MISMATCH',
        `${what}: kept direction '${directionKey(k)}' has dim ${dimOf(k)}, '${key}' has ${D}; fit them on the same w`,
      );
  }
  const value = 'set' in target ? target.set : target.shift;
  if (!Number.isFinite(value))
    throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', `${what}: '${key}' target ${value} is not a finite number`);
  if ('set' in target && direction.kind === 'threshold' && !(value > 0 && value < 1)) {
    throw new DirectionsError(
      'DIRECTIONS_UNSUPPORTED_EDIT',
      `${what}: '${key}' is a threshold direction (a classifier of ${direction.value} > ${direction.threshold}); it has no absolute mapping to ${direction.value}, so setTo takes a probability in (0, 1), got ${value}. Fit it as 'linear' for absolute values, or use shift (logits)`,
    );
  }
  const models = rowsOf(direction).rows;
  const keep = (options.keep ?? []).filter((k) => directionKey(k) !== key);
  const basis = orthonormalBasis(keep.flatMap((k) => rowsOf(k).rows.map((m) => m.normal)));
  // B rows (β = slope · n) and their projections P β.
  const B = models.map((m) => Float64Array.from(m.normal, (x) => x * m.slope));
  const PB = B.map((b) => {
    const r = Float64Array.from(b);
    for (const q of basis) {
      const p = dot(r, q);
      for (let a = 0; a < D; a++) r[a] -= p * q[a];
    }
    return r;
  });
  const m = B.length;
  const G = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => dot(PB[i], PB[j])));
  const scale = Math.max(...B.map((b) => dot(b, b)));
  const det = m === 1 ? G[0][0] : G[0][0] * G[1][1] - G[0][1] * G[1][0];
  const trace = m === 1 ? G[0][0] : G[0][0] + G[1][1];
  if (!(trace > 1e-12 * scale)) {
    throw new DirectionsError(
      'DIRECTIONS_DEGENERATE',
      keep.length
        ? `${what}: '${key}' cannot move while keeping ${keep.map(directionKey).join(', ')} fixed: its normal lies in their span; keep fewer directions`
        : `${what}: '${key}' has a zero normal: its fitted value does not depend on w, so no move can change it; refit it on more varied samples`,
    );
  }
  // A circular value whose cos and sin normals are parallel in the allowed span (fitted on a
  // single GANSpace component, or with the other normal kept) can only move along one line of
  // the (cos, sin) plane: G has rank 1 and its pseudo-inverse G / tr(G)² gives the least-squares
  // move, to the point of that line nearest the requested angle.
  const rankOne = m === 2 && !(Math.abs(det) > 1e-12 * scale ** 2);
  const out = Float32Array.from(w);
  const minRadius = direction.kind === 'circular' ? (options.minRadius ?? 0.25) * direction.meanRadius : 0;
  for (let i = 0; i < N; i++) {
    const p = models.map((mod) => modelAt(mod, w, i * D));
    let t: number[];
    if (direction.kind === 'circular') {
      const k = (2 * Math.PI) / direction.period;
      const angle = 'set' in target ? k * value : Math.atan2(p[1], p[0]) + k * value;
      const r = Math.max(Math.hypot(p[0], p[1]), minRadius);
      t = [r * Math.cos(angle), r * Math.sin(angle)];
    } else if (direction.kind === 'threshold' && 'set' in target) {
      t = [Math.log(value / (1 - value))];
    } else {
      t = ['set' in target ? value : p[0] + value];
    }
    const e = t.map((x, j) => x - p[j]);
    const u =
      m === 1
        ? [e[0] / G[0][0]]
        : rankOne
          ? [(G[0][0] * e[0] + G[0][1] * e[1]) / trace ** 2, (G[1][0] * e[0] + G[1][1] * e[1]) / trace ** 2]
          : [(G[1][1] * e[0] - G[0][1] * e[1]) / det, (G[0][0] * e[1] - G[1][0] * e[0]) / det];
    for (let a = 0; a < D; a++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += PB[j][a] * u[j];
      out[i * D + a] = w[i * D + a] + s;
    }
  }
  return out;
}

/**
 * Relative edit: moves each row of `w` (row-major N × D) so the fitted value changes by `delta`
 * in the value's unit (degrees for an angle, wrapping; logits for a threshold direction). With
 * `keep`, the conditional edit: the kept directions' fitted values do not change.
 *
 * @example
 * ```ts
 * const edited = shift(w, hue, 40);                 // +40° of hue
 * const cond = shift(w, age, 10, { keep: [pose] }); // +10 years, pose held
 * ```
 */
export function shift(w: ArrayLike<number>, direction: Direction, delta: number, options: EditOptions = {}): Float32Array {
  return edit(w, direction, { shift: delta }, options, 'shift');
}

/**
 * Absolute edit: moves each row of `w` so the fitted value equals `value` (an angle in the
 * value's unit for a circular direction). A threshold direction has no absolute mapping to its
 * value; there `value` is the target probability of the label, in (0, 1).
 *
 * @example
 * ```ts
 * const red = setTo(w, hue, 0, { keep: [size] }); // hue 0°, size held
 * ```
 */
export function setTo(w: ArrayLike<number>, direction: Direction, value: number, options: EditOptions = {}): Float32Array {
  return edit(w, direction, { set: value }, options, 'setTo');
}
