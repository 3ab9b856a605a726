import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { pairMask } from '@gan-control/latent';
import { contrastiveTerm } from '@gan-control/contrastive-loss';
import { expectClose } from './helpers.js';

describe('contrastiveTerm', () => {
  it('computes the official hinge arithmetic over unordered pairs (hand-worked example)', async () => {
    // 4 rows; positives {0,1}; D upper triangle: (0,1)=0.7 (0,2)=0.1 (0,3)=2 (1,2)=0.5 (1,3)=0.2 (2,3)=1.2
    const D = tf.tensor2d([
      [0, 0.7, 0.1, 2],
      [0.7, 0, 0.5, 0.2],
      [0.1, 0.5, 0, 1.2],
      [2, 0.2, 1.2, 0],
    ]);
    const P = pairMask(4, [[0, 1]]);
    await expectNoLeaks(() => {
      const t = contrastiveTerm(D, P, { tauPlus: 0.5, tauMinus: 1, weight: 2 });
      // same = max(0.7 − 0.5, 0) / 1 = 0.2; notSame over 5 pairs: 0.9 + 0 + 0.5 + 0.8 + 0 = 2.2 / 5 = 0.44
      expectClose(t.same.dataSync(), [0.2], 1e-6, 0, 'same');
      expectClose(t.notSame.dataSync(), [0.44], 1e-6, 0, 'notSame');
      expectClose(t.loss.dataSync(), [2 * 0.64], 1e-6, 0, 'loss');
      expect([t.cPlus.dataSync()[0], t.cMinus.dataSync()[0]]).toEqual([1, 5]);
      tf.dispose(t as never);
    });
    tf.dispose([D, P]);
  });

  it('uses the upper triangle only (an asymmetric lower triangle is ignored) and never the diagonal', () => {
    const D = tf.tensor2d([
      [9, 0.1],
      [100, 9],
    ]);
    const P = pairMask(2, [[0, 1]]);
    const t = contrastiveTerm(D, P, { tauPlus: 0, tauMinus: 1 });
    expectClose(t.same.dataSync(), [0.1], 1e-6, 0, 'same');
    expect(t.notSame.dataSync()[0]).toBe(0); // no negatives: 0 instead of NaN
    tf.dispose([D, P, t as never]);
  });

  it('rejects mismatched shapes and non-finite settings', () => {
    const D = tf.zeros([3, 3]) as tf.Tensor2D;
    const P = tf.zeros([2, 2]) as tf.Tensor2D;
    expect(() => contrastiveTerm(D, P, { tauPlus: 0, tauMinus: 1 })).toThrow(/both be \[B, B\]/);
    expect(() => contrastiveTerm(D, D, { tauPlus: Number.NaN, tauMinus: 1 })).toThrow(/tauPlus must be a finite number/);
    tf.dispose([D, P]);
  });
});
