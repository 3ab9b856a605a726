import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { leakyReluGradConfig } from '@tensorflow/tfjs-core/dist/gradients/LeakyRelu_grad';
import { maxPoolGradConfig } from '@tensorflow/tfjs-core/dist/gradients/MaxPool_grad';
import { ensureGradients, GRADIENT_KERNELS } from '../src/index.js';

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('gradients', () => {
  it('the entry registers the stock set and the project set on top of it', () => {
    // Stock only (no project version): registered by the entry itself.
    expect(tf.getGradient('MaxPool')).toBe(maxPoolGradConfig);
    // Both: the project's twice-differentiable version wins.
    expect(tf.getGradient('LeakyRelu')).toBeDefined();
    expect(tf.getGradient('LeakyRelu')).not.toBe(leakyReluGradConfig);
    // The second derivative of leakyRelu needs the project's version (the stock one uses Greater).
    const x = tf.tensor1d([-2, -0.5, 0.5, 2]);
    const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(u, 0.2), u)))(v)))(x);
    Array.from(g2.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([0.4, 0.4, 2, 2][i], 6));
    tf.dispose([x, g2]);
  });

  it('ensureGradients restores the project set after the stock set is registered again', () => {
    tf.registerGradient(leakyReluGradConfig);
    expect(tf.getGradient('LeakyRelu')).toBe(leakyReluGradConfig);
    ensureGradients();
    expect(tf.getGradient('LeakyRelu')).not.toBe(leakyReluGradConfig);
  });

  it('a gradient shared by two inputs survives the tape summing it (x + x, x·y + x)', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.tensor1d([4, 5, 6]);
    const g1 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.add(v, v), tf.add(v, v))))(x); // d/dx 4x² = 8x
    expect(Array.from(g1.dataSync())).toEqual([8, 16, 24]);
    const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.add(tf.mul(v, y), v), tf.sub(v, v))))(x); // y + 1
    expect(Array.from(g2.dataSync())).toEqual([5, 6, 7]);
    tf.dispose([x, y, g1, g2]);
  });

  it('covers the kernels the networks use', () => {
    ensureGradients();
    for (const k of [
      'Conv2D',
      'Conv2DBackpropInput',
      'BatchMatMul',
      'LeakyRelu',
      'ClipByValue',
      'Rsqrt',
      'Softplus',
      'Tile',
      'Concat',
      'Slice',
      'PadV2',
      'Greater',
    ]) {
      expect(GRADIENT_KERNELS).toContain(k);
      expect(tf.getGradient(k), k).toBeDefined();
    }
  });

  it('conv2d filter gradient (dilated-conv formulation) equals the stock Conv2DBackpropFilter kernel', () => {
    ensureGradients();
    for (const [stride, pad, h] of [
      [1, 'same', 6],
      [2, 'valid', 7],
      [1, 'valid', 5],
    ] as const) {
      const x = tf.randomNormal([2, h, h, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const y = tf.conv2d(x, w, stride, pad);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const got = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, stride, pad), r)))(w);
      const want = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: r }, {
        strides: stride,
        pad,
        dataFormat: 'NHWC',
        filterShape: [3, 3, 3, 4],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(maxAbs(got, want), `stride ${stride} ${pad}`).toBeLessThan(1e-4);
      tf.dispose([x, w, y, r, got, want]);
    }
  });
});
