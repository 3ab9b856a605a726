import { DirectionsError } from './errors';

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
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `matrix: ${data.length} numbers do not split into rows of ${cols}; pass the row width (the latent dim, or the number of measured values)`);
  }
  return { data, rows: data.length / cols, cols };
}

/** Checks a matrix's shape and that every entry is finite; `what` names it in the error. */
export function checkMatrix(m: Matrix, what: string, expect?: { rows?: number; cols?: number; minRows?: number }): void {
  if (!m || typeof m !== 'object' || !m.data || !Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols <= 0) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: expected a matrix { data, rows, cols } (row-major); use matrix(data, cols)`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: data has ${m.data.length} numbers but rows × cols = ${m.rows} × ${m.cols} = ${m.rows * m.cols}`);
  }
  if (expect?.rows !== undefined && m.rows !== expect.rows) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: ${m.rows} rows, expected ${expect.rows} (one per sample, in the same order)`);
  }
  if (expect?.cols !== undefined && m.cols !== expect.cols) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: ${m.cols} columns, expected ${expect.cols}`);
  }
  if (expect?.minRows !== undefined && m.rows < expect.minRows) {
    throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: ${m.rows} rows, need at least ${expect.minRows}; sample more`);
  }
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      throw new DirectionsError('DIRECTIONS_SHAPE_MISMATCH', `${what}: entry [${Math.floor(i / m.cols)}, ${i % m.cols}] is ${m.data[i]}; every entry must be finite`);
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
 * Solves `A x = b` for symmetric positive-definite `A` (`k × k`, row-major) by Cholesky,
 * for each right-hand side in `bs`. Throws `DIRECTIONS_DEGENERATE` when A is not positive definite.
 */
export function choleskySolve(A: Float64Array, k: number, bs: readonly Float64Array[]): Float64Array[] {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      for (let p = 0; p < j; p++) s -= L[i * k + p] * L[j * k + p];
      if (i === j) {
        if (!(s > 0)) throw new DirectionsError('DIRECTIONS_DEGENERATE', `the system is singular (pivot ${i} is ${s}); the samples do not span the latent space: sample more, or raise \`ridge\``);
        L[i * k + i] = Math.sqrt(s);
      } else L[i * k + j] = s / L[j * k + j];
    }
  }
  return bs.map((b) => {
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
  });
}

/**
 * Eigen-decomposition of a symmetric `k × k` matrix by the cyclic Jacobi method (Golub & Van
 * Loan, *Matrix Computations*, §8.5): rotations in a fixed (p, q) order until the off-diagonal
 * mass is below 1e-24 of the total, so the result depends on nothing but the input. Eigenvalues
 * descending (ties keep index order); each eigenvector's largest-magnitude entry is made positive
 * (ties: the first), fixing the sign. Cost ≈ 3k³ flops per sweep, typically 6–10 sweeps.
 */
export function symmetricEigen(S: ArrayLike<number>, k: number): { values: Float64Array; vectors: Float64Array[] } {
  const A = Float64Array.from(S);
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  let total = 0;
  for (let i = 0; i < k * k; i++) total += A[i] * A[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += 2 * A[p * k + q] ** 2;
    if (off <= 1e-24 * total || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q];
        if (apq === 0) continue;
        const theta = (A[q * k + q] - A[p * k + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = A[r * k + p];
          const arq = A[r * k + q];
          A[r * k + p] = c * arp - s * arq;
          A[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = A[p * k + r];
          const aqr = A[q * k + r];
          A[p * k + r] = c * apr - s * aqr;
          A[q * k + r] = s * apr + c * aqr;
        }
        A[p * k + q] = 0;
        A[q * k + p] = 0;
        for (let r = 0; r < k; r++) {
          const vrp = V[r * k + p];
          const vrq = V[r * k + q];
          V[r * k + p] = c * vrp - s * vrq;
          V[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => A[b * k + b] - A[a * k + a] || a - b);
  const values = Float64Array.from(order, (i) => A[i * k + i]);
  const vectors = order.map((j) => {
    const v = new Float64Array(k);
    let big = 0;
    for (let r = 0; r < k; r++) {
      v[r] = V[r * k + j];
      if (Math.abs(v[r]) > Math.abs(v[big])) big = r;
    }
    if (v[big] < 0) for (let r = 0; r < k; r++) v[r] = -v[r];
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
 * Ridge least squares with intercept on the given rows: minimises
 * Σ (y − b − βᵀx)² + λ‖β‖², λ = `ridge` · tr(scatter)/k (scale-free). Returns β and b per target.
 */
export function ridgeFit(
  x: Matrix,
  targets: readonly ArrayLike<number>[],
  rows: ArrayLike<number>,
  ridge: number,
  cols?: ArrayLike<number>,
): { beta: Float64Array; intercept: number }[] {
  const k = cols ? cols.length : x.cols;
  const mu = new Float64Array(k);
  for (let r = 0; r < rows.length; r++) for (let a = 0; a < k; a++) mu[a] += x.data[rows[r] * x.cols + (cols ? cols[a] : a)];
  for (let a = 0; a < k; a++) mu[a] /= rows.length;
  const S = scatter(x, rows, mu, cols);
  let trace = 0;
  for (let a = 0; a < k; a++) trace += S[a * k + a];
  const lambda = ridge * (trace / k || 1);
  for (let a = 0; a < k; a++) S[a * k + a] += lambda;
  const ymeans = targets.map((y) => {
    let s = 0;
    for (let r = 0; r < rows.length; r++) s += y[rows[r]];
    return s / rows.length;
  });
  const rhs = targets.map((y, t) => {
    const b = new Float64Array(k);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const dy = y[i] - ymeans[t];
      for (let a = 0; a < k; a++) b[a] += (x.data[i * x.cols + (cols ? cols[a] : a)] - mu[a]) * dy;
    }
    return b;
  });
  const betas = choleskySolve(S, k, rhs);
  return betas.map((beta, t) => ({ beta, intercept: ymeans[t] - dot(beta, mu) }));
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
