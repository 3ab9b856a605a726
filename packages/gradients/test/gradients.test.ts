import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ensureGradients, GRADIENT_KERNELS } from '../src/index.js';

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('gradients', () => {
  it('covers the kernels the networks use', () => {
    ensureGradients();
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'BatchMatMul', 'LeakyRelu', 'ClipByValue', 'Rsqrt', 'Softplus', 'Tile', 'Concat', 'Slice', 'PadV2', 'Greater']) {
      expect(GRADIENT_KERNELS).toContain(k);
      expect(tf.getGradient(k), k).toBeDefined();
    }
  });

  it('conv2d filter gradient (dilated-conv formulation) equals the stock Conv2DBackpropFilter kernel', () => {
    ensureGradients();
    for (const [stride, pad, h] of [[1, 'same', 6], [2, 'valid', 7], [1, 'valid', 5]] as const) {
      const x = tf.randomNormal([2, h, h, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
      const y = tf.conv2d(x, w, stride, pad);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const got = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, stride, pad), r)))(w);
      const want = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: r }, { strides: stride, pad, dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(maxAbs(got, want), `stride ${stride} ${pad}`).toBeLessThan(1e-4);
      tf.dispose([x, w, y, r, got, want]);
    }
  });
});
