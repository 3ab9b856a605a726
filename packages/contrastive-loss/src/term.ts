import * as tf from '@tensorflow/tfjs-core';
import { ContrastiveLossError } from './errors.js';

/** τ+, τ− and λ of one contrastive term. */
export interface TermOptions {
  readonly tauPlus: number;
  readonly tauMinus: number;
  /** λ; defaults to 1. */
  readonly weight?: number;
}

/** One contrastive term; every field a scalar the caller owns. */
export interface ContrastiveTerm {
  /** weight · (same + notSame) */
  readonly loss: tf.Scalar;
  /** (1/C+) Σ_P max(D − τ+, 0) */
  readonly same: tf.Scalar;
  /** (1/C−) Σ_Q max(τ− − D, 0) */
  readonly notSame: tf.Scalar;
  /** |P|, the number of positive unordered pairs. */
  readonly cPlus: tf.Scalar;
  /** |Q| = B(B−1)/2 − |P|. */
  readonly cMinus: tf.Scalar;
}

const upperCache = new Map<number, Float32Array>();
function strictUpper(B: number): Float32Array {
  let data = upperCache.get(B);
  if (!data) {
    data = new Float32Array(B * B);
    for (let i = 0; i < B; i++) for (let j = i + 1; j < B; j++) data[i * B + j] = 1;
    if (upperCache.size < 64) upperCache.set(B, data);
  }
  return data;
}

function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ContrastiveLossError('TERM_INVALID', `contrastiveTerm: ${name} must be a finite number, got ${String(value)}.`);
  }
  return value;
}

/**
 * The official GAN-Control contrastive term for one attribute and one feature layer
 * (`LossModelClass.calc_mini_batch_loss`, amazon-science/gan-control `losses/loss_model.py`):
 * over **unordered** pairs {i, j}, i ≠ j (strict upper triangle; the diagonal is never used),
 * with positives P = pairs where `positives` is 1 and negatives Q = every other pair,
 *
 *     same    = (1/|P|) Σ_P max(D − τ+, 0)
 *     notSame = (1/|Q|) Σ_Q max(τ− − D, 0)
 *     loss    = weight · (same + notSame)
 *
 * (linear hinges, two separate means). An empty P or Q contributes 0 instead of the official
 * NaN. Synchronous and differentiable with respect to `distances`; the caller owns the result.
 * Throws `GanControlError` `TERM_INVALID` for shape mismatches or non-finite settings.
 *
 * @example
 * ```ts
 * const { loss, cPlus } = contrastiveTerm(D, masks.id, { tauPlus: 0.5, tauMinus: 1.8, weight: 0.25 });
 * ```
 */
export function contrastiveTerm(distances: tf.Tensor2D, positives: tf.Tensor2D, options: TermOptions): ContrastiveTerm {
  const B = distances.shape[0];
  if (distances.rank !== 2 || distances.shape[1] !== B || positives.rank !== 2 || positives.shape[0] !== B || positives.shape[1] !== B) {
    throw new ContrastiveLossError(
      'TERM_INVALID',
      `contrastiveTerm: distances and positives must both be [B, B]; got distances [${distances.shape.join(', ')}] and positives [${positives.shape.join(', ')}].`,
    );
  }
  const tauPlus = checkNumber(options?.tauPlus, 'tauPlus');
  const tauMinus = checkNumber(options?.tauMinus, 'tauMinus');
  const weight = checkNumber(options?.weight ?? 1, 'weight');
  return tf.tidy(() => {
    const upper = tf.tensor2d(strictUpper(B), [B, B]);
    const pos = positives.dtype === 'float32' ? positives : tf.cast(positives, 'float32');
    const P = tf.mul(pos, upper);
    const Q = tf.mul(tf.sub(1, pos), upper);
    const cPlus = tf.sum(P) as tf.Scalar;
    const cMinus = tf.sum(Q) as tf.Scalar;
    const same = tf.div(tf.sum(tf.mul(tf.relu(tf.sub(distances, tauPlus)), P)), tf.maximum(cPlus, 1)) as tf.Scalar;
    const notSame = tf.div(tf.sum(tf.mul(tf.relu(tf.sub(tauMinus, distances)), Q)), tf.maximum(cMinus, 1)) as tf.Scalar;
    const loss = tf.mul(tf.add(same, notSame), weight) as tf.Scalar;
    return { loss, same, notSame, cPlus, cMinus };
  });
}
