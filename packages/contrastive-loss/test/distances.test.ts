import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { createRng } from '@gan-control/latent';
import { pairwiseDistances, scaledDistance, DISTANCE_NAMES, isGanControlError, type DistanceName } from '@gan-control/contrastive-loss';
import { expectClose } from './helpers.js';

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
      const d = await expectNoLeaks(() => pairwiseDistances(x, kind), { allowed: 1 });
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

  it('hand-written gradients match autodiff of the naive broadcast formulas', () => {
    const naive: Record<string, (f: tf.Tensor2D) => tf.Tensor> = {
      'squared-l2': (f) => tf.sum(tf.square(tf.sub(tf.expandDims(f, 1), tf.expandDims(f, 0))), 2),
      'mse-mean': (f) => tf.mean(tf.square(tf.sub(tf.expandDims(f, 1), tf.expandDims(f, 0))), 2),
      'l1-mean': (f) => tf.mean(tf.abs(tf.sub(tf.expandDims(f, 1), tf.expandDims(f, 0))), 2),
    };
    const x = tf.tensor2d(randomRows(6, 7, 8));
    const w = tf.tensor2d(randomRows(6, 6, 9)); // an asymmetric weighting of the matrix
    for (const kind of ['squared-l2', 'mse-mean', 'l1-mean'] as const) {
      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pairwiseDistances(t, kind), w)))(x);
      const rows = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pairwiseDistances(t, kind, { maxBroadcastElements: 1 }), w)))(x);
      const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(naive[kind](t as tf.Tensor2D), w)))(x);
      expectClose(ours.dataSync(), ref.dataSync(), 1e-5, 1e-6, `${kind} grad`);
      expectClose(rows.dataSync(), ref.dataSync(), 1e-5, 1e-6, `${kind} row-path grad`);
      tf.dispose([ours, rows, ref]);
    }
    tf.dispose([x, w]);
  });

  it('squared-l2 stays accurate for close pairs far from the origin (no |a|² + |b|² − 2ab cancellation)', () => {
    const base = randomRows(1, 64, 4)[0].map((v) => Math.fround(100 + v));
    const rows = [base, base.map((v, k) => Math.fround(v + (k % 2 ? 1e-3 : -1e-3))), base.map((v) => Math.fround(v + 0.5))];
    const x = tf.tensor2d(rows);
    const d = pairwiseDistances(x, 'squared-l2').arraySync();
    expect(Math.abs(d[0][1] - reference['squared-l2'](rows[0], rows[1])) / d[0][1]).toBeLessThan(1e-5);
    expect(Math.abs(d[0][2] - reference['squared-l2'](rows[0], rows[2])) / d[0][2]).toBeLessThan(1e-5);
    x.dispose();
  });

  it('l2 has a finite (zero) gradient for identical rows instead of NaN', () => {
    const x = tf.tensor2d([
      [1, 2],
      [1, 2],
      [4, 6],
    ]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(pairwiseDistances(t, 'l2')))(x);
    const values = g.arraySync() as number[][];
    expect(values.flat().every(Number.isFinite)).toBe(true);
    tf.dispose([x, g]);
  });

  it('custom functions: called with the features, shape-checked, no leaks (also on errors)', async () => {
    const x = tf.ones([4, 2]);
    const gram = scaledDistance('mse-mean', 1e5);
    const f = tf.tensor2d([
      [0, 0],
      [0, 0.01],
    ]);
    const d = await expectNoLeaks(() => pairwiseDistances(f, gram), { allowed: 1 });
    f.dispose();
    expectClose(d.dataSync(), [0, 5, 5, 0], 1e-5, 0, 'scaled');
    expect(gram.name).toBe('mse-mean×100000');
    await expectNoLeaks(() => {
      try {
        pairwiseDistances(x, (t) => tf.zeros([t.shape[0], 3]) as tf.Tensor2D);
        expect.unreachable();
      } catch (e) {
        expect(isGanControlError(e, 'DISTANCE_SHAPE_MISMATCH')).toBe(true);
        expect((e as Error).message).toContain('[4, 4]');
      }
    });
    expect(() => pairwiseDistances(x, 'euclid' as never)).toThrow(/unknown distance "euclid". Use one of squared-l2, l1-mean/);
    expect(() => pairwiseDistances(tf.ones([3]), 'l2')).toThrow(/rank ≥ 2/);
    tf.dispose([x, d]);
  });
});
