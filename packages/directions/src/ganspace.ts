import { z } from 'zod';
import { DirectionsError, parseOptions } from './errors.js';
import { checkMatrix, column, columnMeans, pearson, scatter, symmetricEigen } from './matrix.js';
import type { Matrix } from './matrix.js';

/** Options of `pca`. */
export const pcaOptionsSchema = z.object({
  /** Principal directions to keep (GANSpace uses 80 for StyleGAN2's w; default 10). Capped at D. */
  components: z.number().int().positive().default(10),
});
export type PcaOptionsInput = z.input<typeof pcaOptionsSchema>;

/** Principal components of sampled w. */
export interface Pca {
  /** Mean of the samples (length D). */
  readonly mean: readonly number[];
  /** Unit principal directions, largest variance first (k × D). */
  readonly components: readonly (readonly number[])[];
  /** Variance of the samples along each component (the covariance eigenvalue). */
  readonly variance: readonly number[];
  /** variance / total variance of w. */
  readonly explained: readonly number[];
  /** tr(Σ_w). */
  readonly totalVariance: number;
  readonly samples: number;
}

/**
 * GANSpace's PCA of sampled w (Härkönen et al., NeurIPS 2020, "GANSpace: Discovering
 * Interpretable GAN Controls"; the official repository's `estimators.py`): the covariance
 * Σ_w = 1/N Σ (w − μ)(w − μ)ᵀ is eigen-decomposed and the top-k eigenvectors are the edit
 * directions, each scaled in units of its standard deviation √λ. The official code uses
 * scikit-learn's randomized PCA; here Σ_w is decomposed exactly by a deterministic symmetric
 * eigen-solver (Householder tridiagonalisation + implicit QL, no random start: the same result on
 * every run), signs fixed so each component's largest entry is positive. Cost O(N·D²/2 + 9·D³).
 *
 * @example
 * ```ts
 * const p = pca(matrix(w, 512), { components: 20 });
 * p.explained[0]; // share of w's variance along the first direction
 * ```
 */
export function pca(w: Matrix, options: PcaOptionsInput = {}): Pca {
  const opts = parseOptions(pcaOptionsSchema, options, 'pca');
  checkMatrix(w, 'pca: w', { minRows: 2 });
  const D = w.cols;
  const k = Math.min(opts.components, D);
  const mu = columnMeans(w);
  const S = scatter(
    w,
    Int32Array.from({ length: w.rows }, (_, i) => i),
    mu,
  );
  for (let i = 0; i < S.length; i++) S[i] /= w.rows;
  let total = 0;
  for (let a = 0; a < D; a++) total += S[a * D + a];
  if (!(total > 0))
    throw new DirectionsError('DIRECTIONS_DEGENERATE', `pca: the ${w.rows} samples of w are all identical; sample distinct latents`);
  const { values, vectors } = symmetricEigen(S, D);
  const variance = Array.from(values.slice(0, k), (v) => Math.max(v, 0));
  return {
    mean: Array.from(mu),
    components: vectors.slice(0, k).map((v) => Array.from(v)),
    variance,
    explained: variance.map((v) => v / total),
    totalVariance: total,
    samples: w.rows,
  };
}

/**
 * Scores of each row of `w` on the components: (w − μ)·v_c (row-major N × k).
 *
 * @example
 * ```ts
 * const s = projectComponents(matrix(w, 512), p); // s.data[i * k + c]
 * ```
 */
export function projectComponents(w: Matrix, p: Pca): Matrix & { data: Float64Array } {
  checkMatrix(w, 'projectComponents: w', { cols: p.mean.length });
  const k = p.components.length;
  const out = new Float64Array(w.rows * k);
  for (let i = 0; i < w.rows; i++) {
    for (let c = 0; c < k; c++) {
      const v = p.components[c];
      let s = 0;
      for (let a = 0; a < w.cols; a++) s += (w.data[i * w.cols + a] - p.mean[a]) * v[a];
      out[i * k + c] = s;
    }
  }
  return { data: out, rows: w.rows, cols: k };
}

/**
 * Moves each row of `w` (row-major N × D) along component `index` by `sigmas` standard
 * deviations of that component: w + sigmas·√λ_c·v_c (GANSpace's edit, applied to every layer).
 *
 * @example
 * ```ts
 * const edited = shiftComponent(w, p, 0, 2); // +2σ along the first principal direction
 * ```
 */
export function shiftComponent(w: ArrayLike<number>, p: Pca, index: number, sigmas: number): Float32Array {
  const D = p.mean.length;
  if (!(Number.isInteger(index) && index >= 0 && index < p.components.length)) {
    throw new DirectionsError(
      'DIRECTIONS_INVALID_OPTIONS',
      `shiftComponent: component ${index} does not exist; valid: 0…${p.components.length - 1}`,
    );
  }
  if (w.length === 0 || w.length % D !== 0)
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `shiftComponent: w has ${w.length} numbers, not a whole number of rows of ${D}`);
  const step = sigmas * Math.sqrt(p.variance[index]);
  const v = p.components[index];
  const out = Float32Array.from(w);
  for (let i = 0; i < out.length; i++) out[i] = w[i] + step * v[i % D];
  return out;
}

/** Describes a measured value column for `nameComponents` (`period` for an angle). */
export interface NamedValue {
  readonly attribute: string;
  readonly value: string;
  /** Set for an angle (360 for degrees): correlated as an angle, not as a number. */
  readonly period?: number;
}

/** One component's correlation with every measured value, and its best match. */
export interface ComponentName {
  readonly index: number;
  /** `attribute.value` of the best match with its sign, e.g. `+size.size`; `?` when no value correlates. */
  readonly label: string;
  readonly best: { readonly key: string; readonly r: number; readonly sign: 1 | -1 } | null;
  /** |r| (or the circular–linear correlation for an angle) with every value, in column order. */
  readonly correlations: readonly { readonly key: string; readonly r: number; readonly signed: number }[];
}

/**
 * Names each principal component by the measured value it correlates with best, as GANSpace
 * names its components by inspection — here by numbers: the Pearson r between the component's
 * scores (w − μ)·v_c and each value column, ranked by |r|. An angle is correlated as an angle,
 * with the circular–linear correlation (Mardia 1976; Mardia & Jupp, *Directional Statistics*):
 * R² = (r_xc² + r_xs² − 2 r_xc r_xs r_cs) / (1 − r_cs²), c = cos θ, s = sin θ; it has
 * no sign, reported as +. `minR` (default 0.1) is the least |r| that names a component.
 *
 * @example
 * ```ts
 * const names = nameComponents(p, matrix(w, 512), matrix(y, 2), [
 *   { attribute: 'color', value: 'hue', period: 360 }, { attribute: 'size', value: 'size' },
 * ]);
 * names[0].label; // '+size.size'
 * ```
 */
export function nameComponents(
  p: Pca,
  w: Matrix,
  values: Matrix,
  columns: readonly NamedValue[],
  options: { minR?: number } = {},
): ComponentName[] {
  checkMatrix(w, 'nameComponents: w', { cols: p.mean.length, minRows: 3 });
  checkMatrix(values, 'nameComponents: values', { rows: w.rows, cols: columns.length });
  const minR = options.minR ?? 0.1;
  const scores = projectComponents(w, p);
  const cols = columns.map((c, j) => {
    const y = column(values, j);
    if (c.period === undefined) return { key: `${c.attribute}.${c.value}`, y, c: null, s: null, rcs: 0 };
    const k = (2 * Math.PI) / c.period;
    const cos = y.map((v) => Math.cos(k * v));
    const sin = y.map((v) => Math.sin(k * v));
    return { key: `${c.attribute}.${c.value}`, y, c: cos, s: sin, rcs: pearson(cos, sin) };
  });
  return p.components.map((_, index) => {
    const x = column(scores, index);
    const correlations = cols.map((col) => {
      if (!col.c || !col.s) {
        const r = pearson(x, col.y);
        return { key: col.key, r: Math.abs(r), signed: r };
      }
      const rc = pearson(x, col.c);
      const rs = pearson(x, col.s);
      const den = 1 - col.rcs * col.rcs;
      const r =
        den > 1e-12 ? Math.sqrt(Math.max(0, (rc * rc + rs * rs - 2 * rc * rs * col.rcs) / den)) : Math.max(Math.abs(rc), Math.abs(rs));
      return { key: col.key, r: Math.min(r, 1), signed: Math.min(r, 1) };
    });
    let best: ComponentName['best'] = null;
    for (const c of correlations) if (c.r >= minR && (!best || c.r > best.r)) best = { key: c.key, r: c.r, sign: c.signed < 0 ? -1 : 1 };
    return { index, label: best ? `${best.sign < 0 ? '-' : '+'}${best.key}` : '?', best, correlations };
  });
}
