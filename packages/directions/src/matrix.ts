import { DirectionsError } from './errors.js';

/**
 * A row-major matrix: `rows` samples × `cols` dims in `data` (`data[i * cols + j]`). What
 * `await tensor.data()` gives for a `[rows, cols]` tensor, so callers need no conversion:
 * `{ data: await w.data(), rows: w.shape[0], cols: w.shape[1] }`.
 */
export interface Matrix {
  readonly data: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Wraps a row-major array as a `Matrix` with `cols` columns (rows = length / cols).
 *
 * @example
 * ```ts
 * const w = matrix(new Float32Array([1, 2, 3, 4, 5, 6]), 3); // 2 × 3
 * ```
 */
export function matrix(data: ArrayLike<number>, cols: number): Matrix {
  if (!Number.isInteger(cols) || cols <= 0 || data.length % cols !== 0) {
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `matrix: ${data.length} numbers do not split into rows of ${cols}; pass the row width (the latent dim, or the number of measured values)`,
    );
  }
  return { data, rows: data.length / cols, cols };
}

/** Checks a matrix's shape and that every entry is finite; `what` names it in the error. */
export function checkMatrix(m: Matrix, what: string, expect?: { rows?: number; cols?: number; minRows?: number }): void {
  if (!m || typeof m !== 'object' || !m.data || !Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols <= 0) {
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `${what}: expected a matrix { data, rows, cols } (row-major); use matrix(data, cols)`,
    );
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `${what}: data has ${m.data.length} numbers but rows × cols = ${m.rows} × ${m.cols} = ${m.rows * m.cols}`,
    );
  }
  if (expect?.rows !== undefined && m.rows !== expect.rows) {
    throw new DirectionsError(
      'DIRECTIONS_SHAPE_MISMATCH',
      `${what}: ${m.rows} rows, expected ${expect.rows} (one per sample, in the same order)`,
    );
  }
  if (expect?.cols !== undefined && m.cols !== expect.cols) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: ${m.cols} columns, expected ${expect.cols}`);
  }
  if (expect?.minRows !== undefined && m.rows < expect.minRows) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: ${m.rows} rows, need at least ${expect.minRows}; sample more`);
  }
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      throw new DirectionsError(
        'DIRECTIONS_SHAPE_MISMATCH',
        `${what}: entry [${Math.floor(i / m.cols)}, ${i % m.cols}] is ${m.data[i]}; every entry must be finite`,
      );
    }
  }
}

/** Column `j` of `m` as a Float64Array. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

/** Column means of the given rows (all rows when `rows` is omitted). */
export function columnMeans(m: Matrix, rows?: ArrayLike<number>): Float64Array {
  const mean = new Float64Array(m.cols);
  const n = rows ? rows.length : m.rows;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r] : r;
    for (let j = 0; j < m.cols; j++) mean[j] += m.data[i * m.cols + j];
  }
  for (let j = 0; j < m.cols; j++) mean[j] /= Math.max(n, 1);
  return mean;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : 0;
}

/** Population standard deviation. */
export function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
  return a.length ? Math.sqrt(s / a.length) : 0;
}

/** Pearson correlation; 0 when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * Σ (x − c)(x − c)ᵀ over the given rows and selected columns (a full symmetric `k × k` matrix),
 * with `c` the given centre: callers pass the column means, so the sum is the scatter matrix.
 */
export function scatter(m: Matrix, rows: ArrayLike<number>, centre: ArrayLike<number>, cols?: ArrayLike<number>): Float64Array {
  const k = cols ? cols.length : m.cols;
  const s = new Float64Array(k * k);
  const x = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * m.cols;
    for (let a = 0; a < k; a++) x[a] = m.data[base + (cols ? cols[a] : a)] - centre[a];
    for (let a = 0; a < k; a++) {
      const xa = x[a];
      if (xa === 0) continue;
      const off = a * k;
      for (let b = a; b < k; b++) s[off + b] += xa * x[b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) s[b * k + a] = s[a * k + b];
  return s;
}

/**
 * Cholesky factor L (lower, row-major) of a symmetric positive-definite `k × k` matrix. Throws
 * `DIRECTIONS_DEGENERATE` when A is not positive definite.
 */
export function cholesky(A: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      const li = i * k;
      const lj = j * k;
      for (let p = 0; p < j; p++) s -= L[li + p] * L[lj + p];
      if (i === j) {
        if (!(s > 0))
          throw new DirectionsError(
            'DIRECTIONS_DEGENERATE',
            `the system is singular (pivot ${i} is ${s}); the samples do not span the latent space: sample more, or raise \`ridge\``,
          );
        L[li + i] = Math.sqrt(s);
      } else L[li + j] = s / L[lj + j];
    }
  }
  return L;
}

/** Solves L Lᵀ x = b given the Cholesky factor L. */
export function choleskySolveWith(L: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= L[i * k + p] * y[p];
    y[i] = s / L[i * k + i];
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < k; p++) s -= L[p * k + i] * x[p];
    x[i] = s / L[i * k + i];
  }
  return x;
}

/** Solves `A x = b` for symmetric positive-definite `A`, for each right-hand side in `bs`. */
export function choleskySolve(A: Float64Array, k: number, bs: readonly Float64Array[]): Float64Array[] {
  const L = cholesky(A, k);
  return bs.map((b) => choleskySolveWith(L, k, b));
}

/**
 * Eigen-decomposition of a symmetric `k × k` matrix (row-major): Householder reduction to
 * tridiagonal form, then the implicit QL method — the Handbook for Automatic Computation
 * `tred2`/`tql2` (Wilkinson & Reinsch 1971) as JAMA's `EigenvalueDecomposition` implements them.
 * No random start and a fixed operation order, so the result depends on nothing but the input;
 * ≈ 9k³ flops (a cyclic Jacobi solver is exact too but ~5× slower at k = 512). Eigenvalues
 * descending (ties keep index order); each eigenvector's largest-magnitude entry is made positive
 * (ties: the first), fixing the sign.
 */
export function symmetricEigen(S: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array[] } {
  const V = Float64Array.from(S);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // tred2: V[i][j] is V[i * n + j].
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // tql2 on the transpose (T[i * n + k] = V[k][i]), so each rotation runs over contiguous memory.
  const T = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) T[c * n + r] = V[r * n + c];
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100)
          throw new DirectionsError(
            'DIRECTIONS_DEGENERATE',
            `symmetricEigen: no convergence at eigenvalue ${l} after 100 QL iterations; the matrix has non-finite or extreme entries`,
          );
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const a = i * n;
          const b = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const t = T[b + k];
            T[b + k] = s * T[a + k] + c * t;
            T[a + k] = c * T[a + k] - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a] || a - b);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = order.map((j) => {
    const v = T.slice(j * n, (j + 1) * n);
    let big = 0;
    for (let r = 1; r < n; r++) if (Math.abs(v[r]) > Math.abs(v[big])) big = r;
    if (v[big] < 0) for (let r = 0; r < n; r++) v[r] = -v[r];
    return v;
  });
  return { values, vectors };
}

/** Rows held out for validation: every ⌈1/fraction⌉-th sample (deterministic, no RNG). */
export function splitRows(n: number, holdout: number): { train: Int32Array; test: Int32Array } {
  if (holdout <= 0 || n < 4) return { train: Int32Array.from({ length: n }, (_, i) => i), test: new Int32Array(0) };
  const every = Math.max(2, Math.round(1 / holdout));
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) (i % every === every - 1 ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/**
 * The factored ridge system of `x` on some rows: its column means `mu`, λ = `ridge` · tr(S)/k
 * (S the scatter matrix; scale-free) and the Cholesky factor of S + λI. `fit` solves
 * min Σ (y − b − βᵀx)² + λ‖β‖² for any number of targets at O(N·k + k²) each.
 */
export interface RidgeSystem {
  readonly mu: Float64Array;
  readonly lambda: number;
  readonly rows: ArrayLike<number>;
  readonly cols?: ArrayLike<number>;
  /** Cholesky factor of S + λI. */
  readonly L: Float64Array;
  fit(targets: readonly ArrayLike<number>[]): { beta: Float64Array; intercept: number }[];
}

/** Builds a `RidgeSystem` from the scatter `S` (about `mu`) of `rows`. Consumes `S`. */
function systemFrom(
  x: Matrix,
  rows: ArrayLike<number>,
  mu: Float64Array,
  S: Float64Array,
  ridge: number,
  cols?: ArrayLike<number>,
): RidgeSystem {
  const k = mu.length;
  let trace = 0;
  for (let a = 0; a < k; a++) trace += S[a * k + a];
  const lambda = ridge * (trace / k || 1);
  for (let a = 0; a < k; a++) S[a * k + a] += lambda;
  const L = cholesky(S, k);
  return {
    mu,
    lambda,
    rows,
    cols,
    L,
    fit(targets) {
      return targets.map((y) => {
        let ym = 0;
        for (let r = 0; r < rows.length; r++) ym += y[rows[r]];
        ym /= rows.length;
        const b = new Float64Array(k);
        for (let r = 0; r < rows.length; r++) {
          const i = rows[r];
          const dy = y[i] - ym;
          const base = i * x.cols;
          for (let a = 0; a < k; a++) b[a] += (x.data[base + (cols ? cols[a] : a)] - mu[a]) * dy;
        }
        const beta = choleskySolveWith(L, k, b);
        return { beta, intercept: ym - dot(beta, mu) };
      });
    },
  };
}

function meansOf(x: Matrix, rows: ArrayLike<number>, cols?: ArrayLike<number>): Float64Array {
  const k = cols ? cols.length : x.cols;
  const mu = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) for (let a = 0; a < k; a++) mu[a] += x.data[rows[r] * x.cols + (cols ? cols[a] : a)];
  for (let a = 0; a < k; a++) mu[a] /= Math.max(rows.length, 1);
  return mu;
}

/** A `RidgeSystem` on `rows` (optionally only the columns `cols`). */
export function ridgeSystem(x: Matrix, rows: ArrayLike<number>, ridge: number, cols?: ArrayLike<number>): RidgeSystem {
  const mu = meansOf(x, rows, cols);
  return systemFrom(x, rows, mu, scatter(x, rows, mu, cols), ridge, cols);
}

/**
 * The ridge systems of a train/test split and of all rows from one pass over the data: the two
 * scatters about the overall mean m add up to the overall scatter, and the train scatter about
 * its own mean μ is S_train(m) − n (μ − m)(μ − m)ᵀ.
 */
export function splitSystems(
  x: Matrix,
  train: ArrayLike<number>,
  test: ArrayLike<number>,
  ridge: number,
): { train: RidgeSystem | null; all: RidgeSystem } {
  const allRows = Int32Array.from({ length: x.rows }, (_, i) => i);
  if (!test.length) return { train: null, all: ridgeSystem(x, allRows, ridge) };
  const k = x.cols;
  const m = meansOf(x, allRows);
  const Str = scatter(x, train, m);
  const Ste = scatter(x, test, m);
  const Sall = Float64Array.from(Str, (v, i) => v + Ste[i]);
  const mu = meansOf(x, train);
  const n = train.length;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) Str[a * k + b] -= n * (mu[a] - m[a]) * (mu[b] - m[b]);
  return { train: systemFrom(x, train, mu, Str, ridge), all: systemFrom(x, allRows, m, Sall, ridge) };
}

/** Ridge least squares with intercept on the given rows (see `RidgeSystem`). */
export function ridgeFit(
  x: Matrix,
  targets: readonly ArrayLike<number>[],
  rows: ArrayLike<number>,
  ridge: number,
  cols?: ArrayLike<number>,
): { beta: Float64Array; intercept: number }[] {
  return ridgeSystem(x, rows, ridge, cols).fit(targets);
}

/** βᵀx + b for row `i` of `x` (optionally only the columns `cols`). */
export function predictRow(x: Matrix, i: number, beta: ArrayLike<number>, intercept: number, cols?: ArrayLike<number>): number {
  let s = intercept;
  const base = i * x.cols;
  for (let a = 0; a < beta.length; a++) s += beta[a] * x.data[base + (cols ? cols[a] : a)];
  return s;
}

/** Coefficient of determination of predictions `p` for `y` (1 − SS_res / SS_tot; NaN when y is constant). */
export function rSquared(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const m = mean(y);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i] - p[i]) ** 2;
    tot += (y[i] - m) ** 2;
  }
  return tot > 0 ? 1 - res / tot : Number.NaN;
}

/** Takes the entries of `a` at `rows`. */
export function pick(a: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: rows.length }, (_, r) => a[rows[r]]);
}
