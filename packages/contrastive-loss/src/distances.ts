import * as tf from '@tensorflow/tfjs-core';
import { ContrastiveLossError } from './errors.js';
import type { DistanceFn, DistanceName } from './contract.js';

/** The built-in distance names, in documentation order. */
export const DISTANCE_NAMES: readonly DistanceName[] = Object.freeze(['squared-l2', 'l1-mean', 'mse-mean', 'l2', 'cosine']);

/** True when `value` is a built-in distance name or a function. */
export function isDistance(value: unknown): value is DistanceName | DistanceFn {
  return typeof value === 'function' || (typeof value === 'string' && (DISTANCE_NAMES as readonly string[]).includes(value));
}

// Above this many elements in the [B, B, F] difference tensor, distances are computed one row
// at a time (same numbers, B× less peak memory, slower). The Gram-matrix shortcut
// |a|² + |b|² − 2ab is avoided on purpose: it cancels for close pairs (the positives, compared
// with small τ+) and its gradient missed the official values by more than 1e-5.
const BROADCAST_LIMIT = 1 << 24;

type Reduce = 'sum-square' | 'mean-abs';

/**
 * Pairwise `[B, F]` → `[B, B]` with entry (i, j) = Σ_k or mean_k of op(f_ik − f_jk).
 * The `[B·B, F]` pair differences are laid out with `concat` (a row copy on every backend;
 * broadcasting is several times slower on the tfjs `cpu` backend), and the gradient is one
 * batched product instead of autodiff through the layout:
 * ∂/∂f_a Σ_ij M_ij D_ij = Σ_j (M + Mᵀ)_aj ∂d/∂(f_a − f_j).
 */
function pairwiseKernel(how: Reduce): (f: tf.Tensor2D) => tf.Tensor2D {
  const fn = (f: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [B, F] = f.shape;
    const copies = new Array<tf.Tensor2D>(B).fill(f);
    const others = tf.concat(copies, 0); // row i·B + j = f_j
    const selves = tf.reshape(tf.concat(copies, 1), [B * B, F]); // row i·B + j = f_i
    const diff = tf.sub(selves, others);
    // Reductions are sums and the 1/F and 2 factors are applied to the small results: on the
    // tfjs cpu backend mean() and tensor-by-scalar ops over [B·B, F] are many times slower.
    const value =
      how === 'sum-square' ? tf.reshape(tf.sum(tf.square(diff), 1), [B, B]) : tf.mul(tf.reshape(tf.sum(tf.abs(diff), 1), [B, B]), 1 / F);
    save([diff]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // ∂d/∂(f_a − f_j) = 2·diff for Σ (·)², sign(diff)/F for mean |·|
        const d = how === 'sum-square' ? saved[0] : tf.sign(saved[0]);
        const m = tf.reshape(tf.add(dy, tf.transpose(dy)), [B, 1, B]);
        const g = tf.reshape(tf.matMul(m, tf.reshape(d, [B, B, F]) as tf.Tensor3D), [B, F]);
        return tf.mul(g, how === 'sum-square' ? 2 : 1 / F);
      },
    };
  };
  return tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (f: tf.Tensor2D) => tf.Tensor2D;
}
const kernels: Record<Reduce, (f: tf.Tensor2D) => tf.Tensor2D> = {
  'sum-square': pairwiseKernel('sum-square'),
  'mean-abs': pairwiseKernel('mean-abs'),
};

/** Row-at-a-time variant for very large `B·B·F` (plain autodiff, bounded memory). */
function pairwiseByRow(f: tf.Tensor2D, how: Reduce): tf.Tensor2D {
  const [B, F] = f.shape;
  const rows: tf.Tensor[] = [];
  for (let i = 0; i < B; i++) {
    const diff = tf.sub(tf.slice(f, [i, 0], [1, F]), f);
    rows.push(how === 'sum-square' ? tf.sum(tf.square(diff), 1) : tf.mean(tf.abs(diff), 1));
  }
  return tf.stack(rows) as tf.Tensor2D;
}

function pairwise(f: tf.Tensor2D, how: Reduce, limit: number): tf.Tensor2D {
  const [B, F] = f.shape;
  return B * B * F <= limit ? kernels[how](f) : pairwiseByRow(f, how);
}

/**
 * √x with gradient 0 (instead of ∞, which becomes NaN after ·0) where x = 0: on the
 * diagonal and for identical rows.
 */
const safeSqrt = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.sqrt(x);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const root = saved[0];
      const positive = tf.greater(root, 0);
      return tf.where(positive, tf.div(dy, tf.mul(tf.where(positive, root, tf.onesLike(root)), 2)), tf.zerosLike(root));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

function checkSquare(d: tf.Tensor, B: number, what: string): void {
  if (d.rank !== 2 || d.shape[0] !== B || d.shape[1] !== B) {
    throw new ContrastiveLossError(
      'DISTANCE_SHAPE_MISMATCH',
      `${what} returned a tensor of shape [${d.shape.join(', ')}]; a distance must return [B, B] = [${B}, ${B}] for ${B} feature rows.`,
    );
  }
}

/** Memory tuning of {@link pairwiseDistances}. */
export interface PairwiseOptions {
  /**
   * Largest `B·B·F` for which the `[B, B, F]` difference tensor is formed at once (default
   * 2^24); above it the matrix is built one row at a time (same numbers, less memory, slower).
   */
  readonly maxBroadcastElements?: number;
}

/**
 * Pairwise distance matrix `D[i, j] = d(f_i, f_j)` over the batch of `features` (`[B, ...]`,
 * any rank ≥ 2, reduced over every non-batch element). Built-ins, as in the official
 * GAN-Control criteria:
 *
 * | kind | d(a, b) | official criterion |
 * |---|---|---|
 * | `'squared-l2'` | Σ (a−b)² | ArcFace / DogFaceNet (`sq_l2_sum`) |
 * | `'l1-mean'` | mean \|a−b\| | DeepAge, 3DMM, ImageNet, Hopenet, ESR9, intermediate maps |
 * | `'mse-mean'` | mean (a−b)² | (Gram-matrix style ×1e5 via {@link scaledDistance}) |
 * | `'l2'` | √Σ (a−b)² (gradient 0 at 0 instead of NaN) | — |
 * | `'cosine'` | 1 − cos(a, b), zero diagonal | — |
 *
 * A custom {@link DistanceFn} is called with the features as they are and must return `[B, B]`.
 * Synchronous and differentiable; the result is symmetric with a zero diagonal. The caller
 * owns the returned tensor. Throws `GanControlError` `DISTANCE_INVALID` for an unknown name
 * or rank < 2 and `DISTANCE_SHAPE_MISMATCH` when a custom distance returns another shape.
 *
 * @example
 * ```ts
 * const d = pairwiseDistances(tf.tensor2d([[0, 0], [3, 4]]), 'l2'); // [[0, 5], [5, 0]]
 * ```
 */
export function pairwiseDistances(features: tf.Tensor, kind: DistanceName | DistanceFn, options: PairwiseOptions = {}): tf.Tensor2D {
  const limit = options.maxBroadcastElements ?? BROADCAST_LIMIT;
  if (features.rank < 2) {
    throw new ContrastiveLossError(
      'DISTANCE_INVALID',
      `pairwiseDistances: features must be [B, ...] with rank ≥ 2 (batch first), got shape [${features.shape.join(', ')}].`,
    );
  }
  const B = features.shape[0];
  if (typeof kind === 'function') {
    const d = tf.tidy(() => kind(features));
    try {
      checkSquare(d, B, `the custom distance "${kind.name || 'anonymous'}"`);
    } catch (error) {
      d.dispose();
      throw error;
    }
    return d;
  }
  if (!isDistance(kind)) {
    throw new ContrastiveLossError(
      'DISTANCE_INVALID',
      `pairwiseDistances: unknown distance "${String(kind)}". Use one of ${DISTANCE_NAMES.join(', ')}, or pass a function (features) => [B, B].`,
    );
  }
  return tf.tidy(() => {
    const flat = tf.reshape(features.dtype === 'float32' ? features : tf.cast(features, 'float32'), [B, -1]) as tf.Tensor2D;
    const [, F] = flat.shape;
    switch (kind) {
      case 'squared-l2':
        return pairwise(flat, 'sum-square', limit);
      case 'mse-mean':
        return tf.div(pairwise(flat, 'sum-square', limit), F) as tf.Tensor2D;
      case 'l1-mean':
        return pairwise(flat, 'mean-abs', limit);
      case 'l2':
        return safeSqrt(pairwise(flat, 'sum-square', limit));
      case 'cosine': {
        const norm = tf.maximum(tf.norm(flat, 'euclidean', 1, true), 1e-12);
        const unit = tf.div(flat, norm);
        const cos = tf.matMul(unit, unit, false, true);
        const offDiagonal = tf.sub(1, tf.eye(B));
        return tf.mul(tf.sub(1, cos), offDiagonal) as tf.Tensor2D;
      }
    }
  });
}

/**
 * A custom distance: `factor ×` a built-in one. The official painting-style criterion is
 * `scaledDistance('mse-mean', 1e5)` applied to Gram matrices.
 *
 * @example
 * ```ts
 * const gramMse = scaledDistance('mse-mean', 1e5);
 * const d = pairwiseDistances(grams, gramMse);
 * ```
 */
export function scaledDistance(kind: DistanceName, factor: number): DistanceFn {
  if (!isDistance(kind) || typeof kind !== 'string' || !Number.isFinite(factor)) {
    throw new ContrastiveLossError(
      'DISTANCE_INVALID',
      `scaledDistance(kind, factor): kind must be one of ${DISTANCE_NAMES.join(', ')} and factor finite, got ${String(kind)}, ${factor}.`,
    );
  }
  const fn: DistanceFn = (features) => tf.tidy(() => tf.mul(pairwiseDistances(features, kind), factor) as tf.Tensor2D);
  Object.defineProperty(fn, 'name', { value: `${kind}×${factor}` });
  return fn;
}
