import * as tf from '@tensorflow/tfjs-core';
import { LatentError } from './errors.js';
import { LatentLayout, type LatentLayoutInput } from './layout.js';
import { toRng, type Rng } from './rng.js';

/** Options of {@link buildContrastiveBatch} and {@link planContrastiveBatch}. */
export interface ContrastiveBatchOptions {
  /**
   * Rows in the batch. Default: 16 (the official batch), or 2 × the number of groups when that
   * is larger. Rows beyond the pairs are fully independent.
   */
  readonly batchSize?: number;
  /**
   * Pairs per group. A number gives every group that many; a record sets listed groups and
   * gives the others 1. When omitted, ⌊batchSize/2⌋ pairs are dealt round-robin over the groups
   * in latent order (for the official FFHQ layout and batch 16 that is exactly the official
   * layout: id 2 pairs, the other six groups 1 each).
   */
  readonly pairsPerGroup?: number | Readonly<Record<string, number>>;
}

/** Which rows share which sub-vector: the part of a contrastive batch that needs no tensors. */
export interface ContrastiveBatchPlan {
  readonly batchSize: number;
  /** Per group (every group of the layout, the uncontrolled one included), its row pairs. */
  readonly pairs: Record<string, [number, number][]>;
}

/** The result of {@link buildContrastiveBatch}. The caller owns (and disposes) the tensors. */
export interface ContrastiveBatch extends ContrastiveBatchPlan {
  /** `[B, dim]` latents; rows of a pair share exactly one group's sub-vector. */
  readonly z: tf.Tensor2D;
  /** Per group, `[B, B]` float32 0/1: 1 where rows i ≠ j share that group's sub-vector. */
  readonly masks: Record<string, tf.Tensor2D>;
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new LatentError('LATENT_BATCH_INVALID', `buildContrastiveBatch: ${what} must be an integer ≥ 0, got ${String(value)}.`);
  }
}

/**
 * Decides which rows pair up for which group, without sampling anything. Pairs are
 * consecutive rows (2i, 2i+1), groups in latent order, each group's pairs together — the
 * official `MiniBatchUtils` arrangement (id (0,1),(2,3); expression (4,5); … other (14,15)).
 *
 * Throws `GanControlError` `LATENT_BATCH_INVALID` for unknown group names, negative or
 * fractional counts, pairs that do not fit in `batchSize`, or (when `pairsPerGroup` is
 * omitted) a batch too small to give every group a pair.
 *
 * @example
 * ```ts
 * planContrastiveBatch(officialFfhqLayout()).pairs.id; // [[0, 1], [2, 3]]
 * ```
 */
export function planContrastiveBatch(
  layoutInput: LatentLayout | LatentLayoutInput,
  options: ContrastiveBatchOptions = {},
): ContrastiveBatchPlan {
  const layout = LatentLayout.parse(layoutInput);
  const names = layout.groups.map((g) => g.name);
  const counts = new Map<string, number>();
  const { pairsPerGroup } = options;
  let batchSize = options.batchSize;
  if (batchSize !== undefined) {
    checkCount(batchSize, 'batchSize');
    if (batchSize < 2) throw new LatentError('LATENT_BATCH_INVALID', `buildContrastiveBatch: batchSize must be ≥ 2, got ${batchSize}.`);
  }

  if (pairsPerGroup === undefined) {
    const rows = batchSize ?? Math.max(16, 2 * names.length);
    const pairCount = Math.floor(rows / 2);
    if (pairCount < names.length) {
      throw new LatentError(
        'LATENT_BATCH_INVALID',
        `buildContrastiveBatch: batchSize ${rows} gives ${pairCount} row pairs but the layout has ${names.length} groups (${names.join(', ')}), so some group would have no positive pair and its contrastive term would be undefined. Use batchSize ≥ ${2 * names.length}, or pass pairsPerGroup explicitly (0 allowed).`,
      );
    }
    names.forEach((n) => counts.set(n, 0));
    for (let p = 0; p < pairCount; p++) counts.set(names[p % names.length], counts.get(names[p % names.length])! + 1);
    batchSize = rows;
  } else {
    if (typeof pairsPerGroup === 'number') {
      checkCount(pairsPerGroup, 'pairsPerGroup');
      names.forEach((n) => counts.set(n, pairsPerGroup));
    } else {
      const unknown = Object.keys(pairsPerGroup).filter((k) => !layout.has(k));
      if (unknown.length) {
        throw new LatentError(
          'LATENT_BATCH_INVALID',
          `buildContrastiveBatch: pairsPerGroup names unknown group(s) ${unknown.join(', ')}; the layout has ${names.join(', ')}.`,
        );
      }
      for (const n of names) {
        const c = pairsPerGroup[n] ?? 1;
        checkCount(c, `pairsPerGroup.${n}`);
        counts.set(n, c);
      }
    }
    const needed = 2 * [...counts.values()].reduce((a, b) => a + b, 0);
    if (batchSize === undefined) batchSize = needed;
    if (needed > batchSize) {
      throw new LatentError(
        'LATENT_BATCH_INVALID',
        `buildContrastiveBatch: the pairs need ${needed} rows (${[...counts].map(([n, c]) => `${n}:${c}`).join(', ')}) but batchSize is ${batchSize}.`,
      );
    }
    if (batchSize < 2)
      throw new LatentError('LATENT_BATCH_INVALID', 'buildContrastiveBatch: the batch would be empty; give at least one pair.');
  }

  const pairs: Record<string, [number, number][]> = {};
  let row = 0;
  for (const n of names) {
    pairs[n] = [];
    for (let i = 0; i < counts.get(n)!; i++, row += 2) pairs[n].push([row, row + 1]);
  }
  return { batchSize, pairs };
}

/**
 * A `[B, B]` float32 0/1 mask with 1 at (i, j) and (j, i) for each pair (symmetric, zero
 * diagonal). Throws `LATENT_BATCH_INVALID` for rows outside [0, B) or i = j.
 *
 * @example
 * ```ts
 * const m = pairMask(4, [[0, 1]]); // [[0,1,0,0],[1,0,0,0],[0,0,0,0],[0,0,0,0]]
 * ```
 */
export function pairMask(batchSize: number, pairs: readonly (readonly [number, number])[]): tf.Tensor2D {
  const data = new Float32Array(batchSize * batchSize);
  for (const [i, j] of pairs) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= batchSize || j >= batchSize || i === j) {
      throw new LatentError('LATENT_BATCH_INVALID', `pairMask: pair [${i}, ${j}] is not two different rows in [0, ${batchSize}).`);
    }
    data[i * batchSize + j] = 1;
    data[j * batchSize + i] = 1;
  }
  return tf.tensor2d(data, [batchSize, batchSize]);
}

/**
 * Builds a contrastive batch: z ~ N(0, I) of shape `[B, dim]` drawn from `rng`, where each
 * pair (2i, 2i+1) of group k shares z^k (row 2i+1's slice is a copy of row 2i's) and every
 * other slice is independent; plus, per group, the B×B positive-pair mask and the pair list.
 * See {@link planContrastiveBatch} for the pairing rules. Deterministic: the same layout,
 * options and rng state give bit-identical z on every backend.
 *
 * @example
 * ```ts
 * const rng = createRng(0);
 * const { z, masks, pairs } = buildContrastiveBatch(officialFfhqLayout(), { rng }); // z: [16, 512]
 * pairs.id;           // [[0, 1], [2, 3]]
 * tf.dispose([z, ...Object.values(masks)]);
 * ```
 */
export function buildContrastiveBatch(
  layoutInput: LatentLayout | LatentLayoutInput,
  options: ContrastiveBatchOptions & { readonly rng: Rng | number },
): ContrastiveBatch {
  const layout = LatentLayout.parse(layoutInput);
  if (options.rng === undefined) {
    throw new LatentError('LATENT_BATCH_INVALID', 'buildContrastiveBatch: options.rng is required (a seed number or createRng(seed)).');
  }
  const plan = planContrastiveBatch(layout, options);
  const rng = toRng(options.rng);
  const { batchSize: B, pairs } = plan;
  const dim = layout.dim;
  const data = rng.fillNormal(new Float32Array(B * dim));
  for (const g of layout.groups) {
    for (const [i, j] of pairs[g.name]) {
      data.copyWithin(j * dim + g.offset, i * dim + g.offset, i * dim + g.offset + g.size);
    }
  }
  const z = tf.tensor2d(data, [B, dim]);
  const masks: Record<string, tf.Tensor2D> = {};
  for (const g of layout.groups) masks[g.name] = pairMask(B, pairs[g.name]);
  return { z, masks, pairs, batchSize: B };
}

/**
 * z ~ N(0, I) of shape `[batch, dim]` from a seed or an {@link Rng} (Box–Muller in JavaScript,
 * then uploaded: identical on every backend).
 *
 * @example
 * ```ts
 * const z = sampleLatents(512, 4, 123); // [4, 512]
 * ```
 */
export function sampleLatents(dim: number, batch: number, rng: Rng | number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim <= 0 || !Number.isInteger(batch) || batch <= 0) {
    throw new LatentError(
      'LATENT_BATCH_INVALID',
      `sampleLatents(dim, batch, rng): dim and batch must be positive integers, got dim=${dim}, batch=${batch}.`,
    );
  }
  const data = toRng(rng).fillNormal(new Float32Array(dim * batch));
  return tf.tensor2d(data, [batch, dim]);
}
