import { DirectionsError } from './errors.js';
import { checkMatrix, column, pick, predictRow, rSquared, ridgeSystem, splitRows, splitSystems, std } from './matrix.js';
import type { Matrix } from './matrix.js';

/** One column of a measurement matrix: the attribute it belongs to, and `period` for an angle. */
export interface FactorColumn {
  readonly attribute: string;
  /** The value's name (default: the attribute's). `attribute.value` names the column in reports. */
  readonly value?: string;
  /** Set for an angle (360 for degrees): spreads and bins are circular. */
  readonly period?: number;
}

/** A latent group: a contiguous run of `size` dims of the code, in order (a `LatentLayout`'s groups fit). */
export interface CodeGroup {
  readonly name: string;
  readonly size: number;
}

const keyOf = (c: FactorColumn) => `${c.attribute}.${c.value ?? c.attribute}`;

/** Spread of a column: the standard deviation, or for an angle the circular standard deviation √(−2 ln R̄)·period/2π. */
function spread(y: ArrayLike<number>, period?: number): number {
  if (period === undefined) return std(y);
  const k = (2 * Math.PI) / period;
  let c = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    c += Math.cos(k * y[i]);
    s += Math.sin(k * y[i]);
  }
  const R = Math.min(1, Math.hypot(c, s) / Math.max(y.length, 1));
  return R >= 1 ? 0 : Math.sqrt(-2 * Math.log(Math.max(R, 1e-300))) / k;
}

function checkColumns(columns: readonly FactorColumn[], m: Matrix, what: string): void {
  checkMatrix(m, what, { cols: columns.length });
}

/** Result of `disentanglementScore`. */
export interface DisentanglementScore {
  /** Attributes in first-appearance order of `columns`. */
  readonly attributes: readonly string[];
  /** The varied attributes (those with a `varied` entry), rows of `sigma`. */
  readonly varied: readonly string[];
  /** sigma[i][j]: normalised σ of attribute j when only attribute i's group varies. */
  readonly sigma: readonly (readonly number[])[];
  /** DS_i per varied attribute. */
  readonly scores: readonly number[];
  /** log10 DS_i (DS grows as a product, so this is the readable form). */
  readonly log10: readonly number[];
  /** Mean of log10 DS_i. */
  readonly meanLog10: number;
}

/**
 * The disentanglement score of DiscoFaceGAN (Deng et al., CVPR 2020, "Disentangled and
 * Controllable Face Image Generation via 3D Imitative-Contrastive Learning", its disentanglement
 * evaluation) that GAN-Control reports in its comparison with DiscoFaceGAN (Shoshan et al., ICCV 2021):
 *
 *   DS_i = Π_{j≠i} σ_i / σ_j,
 *
 * where, with only the latent group controlling attribute i varied and every other group fixed,
 * σ_j is the standard deviation of measured attribute j divided by its standard deviation over
 * the whole (freely sampled) dataset. A disentangled control moves only its own attribute
 * (σ_j ≈ 0, DS large); a fully entangled one moves all alike (DS ≈ 1).
 *
 * Adaptations, all documented in the result: `varied[attribute]` is a list of sets (each set:
 * the group varied, the rest fixed to one anchor) and σ is averaged over sets (one set is the
 * papers' protocol); an attribute with several columns (position x, y) uses the root mean square
 * of its columns' normalised σ; an angle's σ is the circular standard deviation; the product runs
 * over every measured attribute, including ones with no group of their own (so leakage into an
 * uncontrolled factor counts); σ_j is floored at `epsilon` (default 1e-6) so DS stays finite.
 *
 * @example
 * ```ts
 * const ds = disentanglementScore({
 *   columns: [{ attribute: 'color', period: 360 }, { attribute: 'size' }],
 *   dataset: matrix(yFree, 2),
 *   varied: { color: [matrix(yHueVaried, 2)], size: [matrix(ySizeVaried, 2)] },
 * });
 * ds.log10; // per varied attribute
 * ```
 */
export function disentanglementScore(input: {
  readonly columns: readonly FactorColumn[];
  readonly dataset: Matrix;
  readonly varied: Readonly<Record<string, readonly Matrix[]>>;
  readonly epsilon?: number;
}): DisentanglementScore {
  const { columns, dataset } = input;
  const eps = input.epsilon ?? 1e-6;
  checkColumns(columns, dataset, 'disentanglementScore: dataset');
  const attributes = [...new Set(columns.map((c) => c.attribute))];
  const dataSigma = columns.map((c, j) => spread(column(dataset, j), c.period));
  dataSigma.forEach((s, j) => {
    if (!(s > 0))
      throw new DirectionsError(
        'DIRECTIONS_DEGENERATE',
        `disentanglementScore: '${keyOf(columns[j])}' does not vary over the dataset; drop the column or sample more`,
      );
  });
  const varied = Object.keys(input.varied);
  for (const a of varied) {
    if (!attributes.includes(a))
      throw new DirectionsError(
        'DIRECTIONS_INVALID_OPTIONS',
        `disentanglementScore: varied '${a}' is not an attribute of columns; valid: ${attributes.join(', ')}`,
      );
    const sets = input.varied[a];
    if (!sets.length)
      throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', `disentanglementScore: varied '${a}' has no sets of measurements`);
    sets.forEach((m, s) => checkMatrix(m, `disentanglementScore: varied.${a}[${s}]`, { cols: columns.length, minRows: 2 }));
  }
  const sigma = varied.map((a) => {
    const colSigma = columns.map((c, j) => {
      let sum = 0;
      for (const m of input.varied[a]) sum += spread(column(m, j), c.period);
      return sum / input.varied[a].length / dataSigma[j];
    });
    return attributes.map((b) => {
      const cols = columns.map((c, j) => (c.attribute === b ? colSigma[j] : -1)).filter((v) => v >= 0);
      return Math.sqrt(cols.reduce((s, v) => s + v * v, 0) / cols.length);
    });
  });
  const log10 = varied.map((a, i) => {
    const own = sigma[i][attributes.indexOf(a)];
    let l = 0;
    attributes.forEach((b, j) => {
      if (b !== a) l += Math.log10(Math.max(own, eps) / Math.max(sigma[i][j], eps));
    });
    return l;
  });
  return {
    attributes,
    varied,
    sigma,
    scores: log10.map((l) => 10 ** l),
    log10,
    meanLog10: log10.length ? log10.reduce((s, v) => s + v, 0) / log10.length : Number.NaN,
  };
}

function groupColumns(groups: readonly CodeGroup[], D: number, what: string): Int32Array[] {
  let offset = 0;
  const out = groups.map((g) => {
    if (!(Number.isInteger(g.size) && g.size > 0))
      throw new DirectionsError('DIRECTIONS_INVALID_OPTIONS', `${what}: group '${g.name}' size ${g.size} must be a positive integer`);
    const cols = Int32Array.from({ length: g.size }, (_, i) => offset + i);
    offset += g.size;
    return cols;
  });
  if (offset !== D)
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `${what}: groups cover ${offset} dims (${groups.map((g) => `${g.name}:${g.size}`).join(', ')}) but the code has ${D}`,
    );
  return out;
}

/** Equal-width bins over [min, max] (np.histogram's edges, as disentanglement_lib's `_histogram_discretize`), or over the period for an angle. */
function discretize(y: ArrayLike<number>, bins: number, period?: number): Int32Array {
  const out = new Int32Array(y.length);
  if (period !== undefined) {
    for (let i = 0; i < y.length; i++) {
      const t = (((y[i] % period) + period) % period) / period;
      out[i] = Math.min(bins - 1, Math.floor(t * bins));
    }
    return out;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < y.length; i++) {
    lo = Math.min(lo, y[i]);
    hi = Math.max(hi, y[i]);
  }
  const width = (hi - lo) / bins;
  for (let i = 0; i < y.length; i++) out[i] = width > 0 ? Math.min(bins - 1, Math.floor((y[i] - lo) / width)) : 0;
  return out;
}

function entropy(a: Int32Array, bins: number): number {
  const counts = new Float64Array(bins);
  for (const v of a) counts[v]++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / a.length) * Math.log(c / a.length);
  return h;
}

/** Discrete mutual information in nats (sklearn's `mutual_info_score` on two labelings). */
function mutualInformation(a: Int32Array, b: Int32Array, bins: number): number {
  const joint = new Float64Array(bins * bins);
  const pa = new Float64Array(bins);
  const pb = new Float64Array(bins);
  for (let i = 0; i < a.length; i++) {
    joint[a[i] * bins + b[i]]++;
    pa[a[i]]++;
    pb[b[i]]++;
  }
  const n = a.length;
  let mi = 0;
  for (let x = 0; x < bins; x++) {
    for (let y = 0; y < bins; y++) {
      const c = joint[x * bins + y];
      if (c > 0) mi += (c / n) * Math.log((c * n) / (pa[x] * pb[y]));
    }
  }
  return Math.max(mi, 0);
}

/** Targets a factor column is regressed on: the value, or (cos, sin) of an angle. */
function targetsOf(y: Float64Array, period?: number): Float64Array[] {
  if (period === undefined) return [y];
  const k = (2 * Math.PI) / period;
  return [y.map((v) => Math.cos(k * v)), y.map((v) => Math.sin(k * v))];
}

/** Result of `mig`. */
export interface MigResult {
  /** Mean normalised gap over factors, in [0, 1]. */
  readonly score: number;
  readonly factors: readonly {
    readonly key: string;
    /** I(g; v) in nats for each group, in group order. */
    readonly mutualInformation: readonly number[];
    /** H(v) in nats (of the discretised factor). */
    readonly entropy: number;
    /** (I₁ − I₂)/H(v): the top two groups' gap, normalised. */
    readonly gap: number;
    readonly best: string;
    readonly second: string;
  }[];
}

/**
 * The Mutual Information Gap (Chen et al., NeurIPS 2018, "Isolating Sources of Disentanglement in
 * VAEs"; disentanglement_lib `evaluation/metrics/mig.py`), adapted to latent groups:
 *
 *   MIG = 1/K Σ_k (I(g_(1); v_k) − I(g_(2); v_k)) / H(v_k),
 *
 * g_(1), g_(2) the groups with the largest and second-largest mutual information with factor v_k.
 * The original ranks single latent dims; a group has several, so each group is summarised for
 * factor k by its best linear predictor of v_k (ridge least squares on the group's dims; for an
 * angle, the angle of the predicted (cos, sin)). Predictor and factor are discretised into
 * `bins` (default 20, as disentanglement_lib) equal-width bins (an angle: over its period) and I
 * is the discrete mutual information in nats. A perfectly disentangled code gives ≈ 1 (less the
 * small positive bias of binned MI), a code where every group carries every factor alike ≈ 0.
 *
 * @example
 * ```ts
 * const r = mig({ codes: matrix(w, 512), groups: layout.groups, factors: matrix(y, 2), columns });
 * r.score;
 * ```
 */
export function mig(input: {
  readonly codes: Matrix;
  readonly groups: readonly CodeGroup[];
  readonly factors: Matrix;
  readonly columns: readonly FactorColumn[];
  readonly bins?: number;
  readonly ridge?: number;
}): MigResult {
  const { codes, groups, factors, columns } = input;
  const bins = input.bins ?? 20;
  const ridge = input.ridge ?? 1e-3;
  checkMatrix(codes, 'mig: codes', { minRows: 3 });
  checkColumns(columns, factors, 'mig: factors');
  checkMatrix(factors, 'mig: factors', { rows: codes.rows });
  if (groups.length < 2)
    throw new DirectionsError(
      'DIRECTIONS_INVALID_OPTIONS',
      `mig: needs at least 2 groups (a gap between the best two), got ${groups.length}`,
    );
  const gcols = groupColumns(groups, codes.cols, 'mig');
  const all = Int32Array.from({ length: codes.rows }, (_, i) => i);
  const systems = gcols.map((cols) => ridgeSystem(codes, all, ridge, cols));
  const result = columns.map((c, k) => {
    const y = column(factors, k);
    const v = discretize(y, bins, c.period);
    const h = entropy(v, bins);
    const mi = gcols.map((cols, g) => {
      const fits = systems[g].fit(targetsOf(y, c.period));
      const pred = Float64Array.from(all, (i) => {
        const p = fits.map((f) => predictRow(codes, i, f.beta, f.intercept, cols));
        return c.period === undefined ? p[0] : (Math.atan2(p[1], p[0]) / (2 * Math.PI)) * c.period;
      });
      return mutualInformation(discretize(pred, bins, c.period), v, bins);
    });
    const order = mi.map((_, g) => g).sort((a, b) => mi[b] - mi[a] || a - b);
    const gap = h > 0 ? (mi[order[0]] - mi[order[1]]) / h : 0;
    return { key: keyOf(c), mutualInformation: mi, entropy: h, gap, best: groups[order[0]].name, second: groups[order[1]].name };
  });
  return { score: result.reduce((s, r) => s + r.gap, 0) / Math.max(result.length, 1), factors: result };
}

/** Result of `dci`. */
export interface DciResult {
  /** D = Σ_g ρ_g (1 − H_K(P_g·)), in [0, 1]. */
  readonly disentanglement: number;
  /** C = 1/K Σ_k (1 − H_G(P̃_·k)), in [0, 1]. */
  readonly completeness: number;
  /** I = mean held-out R² of the regressors (1 − NRMSE²; 1 is perfect). */
  readonly informativeness: number;
  /** R[g][k]: importance of group g for factor k. */
  readonly importance: readonly (readonly number[])[];
  readonly groups: readonly { readonly name: string; readonly disentanglement: number; readonly weight: number }[];
  readonly factors: readonly { readonly key: string; readonly completeness: number; readonly r2: number }[];
}

function normalisedEntropy(p: readonly number[], base: number): number {
  const s = p.reduce((a, b) => a + b, 0);
  if (!(s > 0) || base < 2) return 0;
  let h = 0;
  for (const v of p) if (v > 0) h -= (v / s) * Math.log(v / s);
  return h / Math.log(base);
}

/**
 * DCI (Eastwood & Williams, ICLR 2018, "A Framework for the Quantitative Evaluation of
 * Disentangled Representations"; disentanglement_lib `evaluation/metrics/dci.py`), adapted
 * to latent groups. A regressor predicts each factor k from the whole code; R_gk is the
 * importance of group g for factor k; with P_gk = R_gk / Σ_k R_gk and P̃_gk = R_gk / Σ_g R_gk:
 *
 *   D_g = 1 − H_K(P_g·),  D = Σ_g ρ_g D_g,  ρ_g = Σ_k R_gk / Σ_gk R_gk;
 *   C_k = 1 − H_G(P̃_·k),  C = mean_k C_k;
 *   I   = mean_k held-out R² of the regressor for k,
 *
 * H_K the entropy in base K (factors), H_G in base G (groups). The paper uses lasso and random
 * forests, disentanglement_lib gradient-boosted trees; here (the documented alternative the
 * issue allows) the regressor is ridge least squares on the standardised code and standardised
 * factor, and the importance of a group is the sum of |standardised coefficient| over its dims;
 * an angle is regressed as (cos, sin) and its importances summed. With one factor D_g = 1, with
 * one group C_k = 1 (their entropies are taken as 0). The regressor behind I is fitted on the
 * non-held-out samples (every ⌈1/holdout⌉-th is held out, default 0.2); R from all samples.
 *
 * @example
 * ```ts
 * const r = dci({ codes: matrix(w, 512), groups: layout.groups, factors: matrix(y, 2), columns });
 * r.disentanglement; r.completeness; r.informativeness;
 * ```
 */
export function dci(input: {
  readonly codes: Matrix;
  readonly groups: readonly CodeGroup[];
  readonly factors: Matrix;
  readonly columns: readonly FactorColumn[];
  readonly ridge?: number;
  readonly holdout?: number;
}): DciResult {
  const { codes, groups, factors, columns } = input;
  const ridge = input.ridge ?? 1e-3;
  checkMatrix(codes, 'dci: codes', { minRows: 4 });
  checkColumns(columns, factors, 'dci: factors');
  checkMatrix(factors, 'dci: factors', { rows: codes.rows });
  const gcols = groupColumns(groups, codes.cols, 'dci');
  const N = codes.rows;
  const D = codes.cols;
  // Standardise the code: coefficients then compare across dims of different scales.
  const z = new Float64Array(N * D);
  for (let a = 0; a < D; a++) {
    const col = column(codes, a);
    const m = col.reduce((s, v) => s + v, 0) / N;
    const s = std(col) || 1;
    for (let i = 0; i < N; i++) z[i * D + a] = (col[i] - m) / s;
  }
  const zc: Matrix = { data: z, rows: N, cols: D };
  const { train, test } = splitRows(N, input.holdout ?? 0.2);
  const systems = splitSystems(zc, train, test, ridge);
  const importance = groups.map(() => columns.map(() => 0));
  const factorR2 = columns.map((c, k) => {
    const targets = targetsOf(column(factors, k), c.period).map((t) => {
      const s = std(t) || 1;
      const m = t.reduce((a, b) => a + b, 0) / N;
      return t.map((v) => (v - m) / s);
    });
    systems.all.fit(targets).forEach((f) => {
      gcols.forEach((cols, g) => {
        for (const a of cols) importance[g][k] += Math.abs(f.beta[a]);
      });
    });
    if (!systems.train) return Number.NaN;
    const fits = systems.train.fit(targets);
    const r2 = fits.map((f, t) =>
      rSquared(
        pick(targets[t], test),
        Array.from(test, (i) => predictRow(zc, i, f.beta, f.intercept)),
      ),
    );
    return r2.reduce((a, b) => a + b, 0) / r2.length;
  });
  const total = importance.flat().reduce((a, b) => a + b, 0);
  if (!(total > 0))
    throw new DirectionsError('DIRECTIONS_DEGENERATE', 'dci: every importance is zero; the factors do not vary with the code');
  const perGroup = groups.map((g, gi) => {
    const row = importance[gi];
    const weight = row.reduce((a, b) => a + b, 0) / total;
    return { name: g.name, disentanglement: columns.length < 2 ? 1 : 1 - normalisedEntropy(row, columns.length), weight };
  });
  const perFactor = columns.map((c, k) => ({
    key: keyOf(c),
    completeness:
      groups.length < 2
        ? 1
        : 1 -
          normalisedEntropy(
            importance.map((r) => r[k]),
            groups.length,
          ),
    r2: factorR2[k],
  }));
  return {
    disentanglement: perGroup.reduce((s, g) => s + g.weight * g.disentanglement, 0),
    completeness: perFactor.reduce((s, f) => s + f.completeness, 0) / perFactor.length,
    informativeness: perFactor.reduce((s, f) => s + f.r2, 0) / perFactor.length,
    importance,
    groups: perGroup,
    factors: perFactor,
  };
}

/** Result of `ksStatistic`. */
export interface KsResult {
  /** D = sup_x |F_a(x) − F_b(x)| of the two empirical distribution functions, in [0, 1]. */
  readonly statistic: number;
  /** The two-sample test's critical value at α = 0.05 (large-sample): 1.358·√((n+m)/(n·m)). */
  readonly critical05: number;
  readonly n: number;
  readonly m: number;
}

/**
 * The two-sample Kolmogorov–Smirnov statistic D = sup_x |F_a(x) − F_b(x)| (Smirnov 1948; the
 * realism measure per factor of this project's shapes models: a factor measured on generated
 * images against the same factor on dataset images). Values that are not finite are left out;
 * an angle is compared on its measured scale (the statistic of a circular value depends on where
 * the circle is cut, so cut both samples at the same place, as the measures do at 0).
 *
 * @example
 * ```ts
 * ksStatistic([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]).statistic; // 0
 * ksStatistic([0, 1], [2, 3]).statistic;                    // 1
 * ```
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const x = Array.from(a)
    .filter(Number.isFinite)
    .sort((p, q) => p - q);
  const y = Array.from(b)
    .filter(Number.isFinite)
    .sort((p, q) => p - q);
  if (x.length === 0 || y.length === 0)
    throw new DirectionsError('DIRECTIONS_DEGENERATE', `ksStatistic: needs finite values in both samples, got ${x.length} and ${y.length}`);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const n = x.length;
  const m = y.length;
  return { statistic: d, critical05: 1.358 * Math.sqrt((n + m) / (n * m)), n, m };
}
