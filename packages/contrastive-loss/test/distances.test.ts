import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { createRng } from '@gan-control/latent';
import { pairwiseDistances, scaledDistance, DISTANCE_NAMES, isGanControlError, type DistanceName } from '@gan-control/contrastive-loss';
import { expectClose, expectNoLeaks } from './helpers';

/** float64 reference of each built-in distance. */
const reference: Record<DistanceName, (a: number[], b: number[]) => number> = {
  'squared-l2': (a, b) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0),
  'l1-mean': (a, b) => a.reduce((s, v, k) => s + Math.abs(v - b[k]), 0) / a.length,
  'mse-mean': (a, b) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0) / a.length,
  l2: (a, b) => Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0)),
  cosine: (a, b) => {
    const dot = a.reduce((s, v, k) => s + v * b[k], 0);
    const na = Math.hypot(...a);
    const nb = Math.hypot(...b);
    return 1 - dot / (na * nb);
  },
};

function randomRows(B: number, F: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: B }, () => Array.from({ length: F }, () => Math.fround(rng.nextNormal())));
}

describe('pairwiseDistances', () => {
  for (const kind of DISTANCE_NAMES) {
    it(`${kind}: matches a float64 reference, symmetric, zero diagonal, no leaks`, async () => {
      const rows = randomRows(5, 12, 3);
      const x = tf.tensor3d(rows.map((r) => [r.slice(0, 4), r.slice(4, 8), r.slice(8)]) as number[][][]);
      const d = await expectNoLeaks(() => pairwiseDistances(x, kind), 1);
      const want = rows.flatMap((a, i) => rows.map((b, j) => (i === j ? 0 : reference[kind](a, b))));
      expectClose(d.dataSync(), want, 1e-5, 1e-6, kind);
      const m = d.arraySync();
      for (let i = 0; i < 5; i++) {
        expect(m[i][i]).toBe(0);
        for (let j = 0; j < 5; j++) expect(m[i][j]).toBe(m[j][i]);
      }
      tf.dispose([x, d]);
    });
  }

  it('the row-at-a-time path (large features) gives the same numbers as broadcasting', () => {
    const x = tf.tensor3d(randomRows(6, 20, 8).map((r) => [r.slice(0, 10), r.slice(10)]));
    for (const kind of ['squared-l2', 'l1-mean', 'mse-mean', 'l2'] as const) {
      const whole = pairwiseDistances(x, kind);
      const rows = pairwiseDistances(x, kind, { maxBroadcastElements: 1 });
      expectClose(rows.dataSync(), whole.dataSync(), 1e-6, 0, kind);
      const g1 = tf.grad((t: tf.Tensor) => tf.sum(pairwiseDistances(t, kind)))(x);
      const g2 = tf.grad((t: tf.Tensor) => tf.sum(pairwiseDistances(t, kind, { maxBroadcastElements: 1 })))(x);
      expectClose(g2.dataSync(), g1.dataSync(), 1e-5, 1e-6, `${kind} grad`);
      tf.dispose([whole, rows, g1, g2]);
    }
    x.dispose();
  });

  it('l2 has a finite (zero) gradient for identical rows instead of NaN', () => {
    const x = tf.tensor2d([[1, 2], [1, 2], [4, 6]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(pairwiseDistances(t, 'l2')))(x);
    const values = g.arraySync() as number[][];
    expect(values.flat().every(Number.isFinite)).toBe(true);
    tf.dispose([x, g]);
  });

  it('custom functions: called with the features, shape-checked', () => {
    const x = tf.ones([4, 2]);
    const gram = scaledDistance('mse-mean', 1e5);
    const d = pairwiseDistances(tf.tensor2d([[0, 0], [0, 0.01]]), gram);
    expectClose(d.dataSync(), [0, 5, 5, 0], 1e-5, 0, 'scaled');
    expect(gram.name).toBe('mse-mean×100000');
    try {
      pairwiseDistances(x, (f) => tf.zeros([f.shape[0], 3]) as tf.Tensor2D);
      expect.unreachable();
    } catch (e) {
      expect(isGanControlError(e, 'DISTANCE_SHAPE_MISMATCH')).toBe(true);
      expect((e as Error).message).toContain('[4, 4]');
    }
    expect(() => pairwiseDistances(x, 'euclid' as never)).toThrow(/unknown distance "euclid". Use one of squared-l2, l1-mean/);
    expect(() => pairwiseDistances(tf.ones([3]), 'l2')).toThrow(/rank ≥ 2/);
    tf.dispose([x, d]);
  });
});
