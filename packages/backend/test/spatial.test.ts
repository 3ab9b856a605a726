// The addon's spatial kernels (MaxPoolGrad, AvgPoolGrad, the depthwise convolution and its input
// gradient, non-contiguous Slice and PadV2) against the tfjs cpu backend's reference kernels, over
// odd shapes, batch sizes 1 to 16, channel counts across the max-pool's 64-channel blocks, strides,
// dilations, paddings and thread counts; values and gradients (the leak check is in `on`). Without
// the addon the same comparisons check the fallback kernels.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels, setNativeThreads, setupBackend, type BackendInfo } from '../src/index.js';
import { MIN_ELEMENTS } from '../src/native/elementwise.js';
import { expectClose, matchesCpu, on, randT } from './helpers.js';

let info: BackendInfo;
beforeAll(async () => {
  info = await setupBackend('wasm');
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await setNativeThreads();
  await tf.setBackend('cpu');
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe('native spatial kernels', () => {
  it('are installed or the reason is reported', () => {
    const k = installedKernels('wasm');
    if (info.native.enabled) {
      expect(k).toMatchObject({
        MaxPoolGrad: 'native',
        AvgPoolGrad: 'native',
        DepthwiseConv2dNative: 'native',
        DepthwiseConv2dNativeBackpropInput: 'native',
        Slice: 'native',
        PadV2: 'native',
      });
    } else {
      expect(k['MaxPoolGrad']).toBe('js');
    }
  });

  // [N, H, W, C], filter, stride, padding. C = 70 and 130 cross the kernel's 64-channel blocks.
  const pools: [number[], number, number, 'same' | 'valid'][] = [
    [[3, 17, 19, 23], 3, 2, 'same'],
    [[3, 17, 19, 23], 3, 2, 'valid'],
    [[1, 33, 31, 70], 2, 2, 'valid'],
    [[16, 9, 9, 130], 3, 1, 'same'],
    [[16, 7, 7, 130], 7, 2, 'valid'], // the age network's global pool
    [[2, 28, 28, 64], 3, 2, 'same'],
    [[1, 5, 7, 3], 3, 2, 'same'], // below MIN_ELEMENTS: the replaced kernel
  ];
  it.each(pools)('max-pool and average-pool gradients match cpu: %j, filter %i, stride %i, %s', async (shape, filter, stride, pad) => {
    await matchesCpu(
      () => {
        const x = randT(shape, 71);
        // Ties (values on a 1/8 grid): the first maximum in the window takes the gradient.
        const tied = tf.div(tf.round(tf.mul(x, 8)), 8);
        const w = randT(tf.maxPool(x as tf.Tensor4D, filter, stride, pad).shape, 72);
        const f = (p: tf.Tensor, pool: 'max' | 'avg') =>
          tf.sum(tf.mul(tf.pool(p as tf.Tensor4D, [filter, filter], pool, pad, 1, stride), w));
        return [
          tf.grad((p: tf.Tensor) => f(p, 'max'))(x),
          tf.grad((p: tf.Tensor) => f(p, 'max'))(tied),
          tf.grad((p: tf.Tensor) => f(p, 'avg'))(x),
        ];
      },
      1e-6,
      `${JSON.stringify(shape)} ${filter}/${stride} ${pad}`,
    );
  });

  // x [N, H, W, C], filter size, stride, dilation, padding.
  const depthwise: [number[], number, number, number, 'same' | 'valid'][] = [
    [[3, 17, 19, 23], 3, 1, 1, 'same'],
    [[3, 17, 19, 23], 3, 2, 1, 'same'],
    [[3, 17, 19, 23], 3, 2, 1, 'valid'],
    [[3, 17, 19, 23], 3, 1, 2, 'same'],
    [[1, 33, 31, 64], 5, 1, 1, 'same'],
    [[16, 14, 14, 128], 3, 1, 1, 'same'],
    [[16, 7, 7, 256], 3, 1, 1, 'same'],
    [[2, 5, 7, 3], 3, 1, 1, 'same'], // below MIN_ELEMENTS: the replaced kernel
  ];
  it.each(depthwise)(
    'depthwise convolution and its input and filter gradients match cpu: %j, filter %i, stride %i, dilation %i, %s',
    async (shape, k, stride, dilation, pad) => {
      const c = shape[3]!;
      await matchesCpu(
        () => {
          const x = randT(shape, 81) as tf.Tensor4D;
          const f = randT([k, k, c, 1], 82) as tf.Tensor4D;
          const y = tf.depthwiseConv2d(x, f, stride, pad, 'NHWC', dilation);
          const w = randT(y.shape, 83);
          if (dilation > 1) return [y]; // no tfjs gradient for dilated depthwise convolutions: the next test
          const [gx, gf] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(p as tf.Tensor4D, q as tf.Tensor4D, stride, pad, 'NHWC', dilation), w)),
          )([x, f]);
          return [y, gx!, gf!];
        },
        2e-6,
        `${JSON.stringify(shape)} ${k}×${k} /${stride} d${dilation} ${pad}`,
      );
    },
  );

  it('the dilated depthwise input gradient is the adjoint of the forward (the cpu reference kernel ignores dilation)', async () => {
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      const [x, y, w, dx] = await on('wasm', () => {
        const x = randT([3, 17, 19, 23], 81) as tf.Tensor4D;
        const f = randT([3, 3, 23, 1], 82) as tf.Tensor4D;
        const y = tf.depthwiseConv2d(x, f, 1, 'same', 'NHWC', 2);
        const w = randT(y.shape, 83);
        const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: w, filter: f }, {
          strides: 1,
          dilations: 2,
          pad: 'same',
          inputShape: x.shape,
        } as never) as tf.Tensor;
        return [x, y, w, dx];
      });
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
      const lhs = dot(y!, w!);
      expect(Math.abs(lhs - dot(x!, dx!)), `⟨conv(x), w⟩ = ⟨x, dx⟩, ${threads} threads`).toBeLessThanOrEqual(1e-6 * x!.length);
    }
    await setNativeThreads();
  });

  it('a channel multiplier above 1 runs the replaced kernel', async () => {
    await matchesCpu(
      () => {
        const x = randT([3, 17, 19, 23], 84) as tf.Tensor4D;
        const f = randT([3, 3, 23, 2], 85) as tf.Tensor4D;
        const w = randT([3, 17, 19, 46], 86);
        return [
          tf.depthwiseConv2d(x, f, 1, 'same'),
          tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(p as tf.Tensor4D, f, 1, 'same'), w)))(x),
        ];
      },
      2e-6,
      'multiplier 2',
    );
  });

  // x shape, begin, size (−1: to the end).
  const slices: [number[], number[], number[]][] = [
    [
      [3, 33, 35, 23],
      [1, 2, 3, 4],
      [2, 29, 27, 17],
    ],
    [
      [16, 128, 128, 3],
      [0, 4, 4, 0],
      [-1, 120, 120, -1],
    ], // the face plugins' centre crop
    [
      [257, 129],
      [3, 5],
      [200, 100],
    ],
    [
      [2, 3, 17, 19, 23],
      [1, 0, 2, 3, 1],
      [1, 3, 13, 15, 21],
    ],
    [
      [3, 33, 35, 23],
      [1, 0, 0, 0],
      [2, 33, 35, 23],
    ], // contiguous: the stock kernel's one copy
  ];
  it.each(slices)('slice and its gradient (a pad) match cpu: %j at %j size %j', async (shape, begin, sz) => {
    await matchesCpu(
      () => {
        const x = randT(shape, 91);
        const y = tf.slice(x, begin, sz);
        const w = randT(y.shape, 92);
        return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.slice(p, begin, sz), w)))(x)];
      },
      0,
      `${JSON.stringify(shape)} at ${JSON.stringify(begin)}`,
    );
  });

  // x shape, paddings, constant.
  const pads: [number[], [number, number][], number][] = [
    [
      [3, 17, 19, 23],
      [
        [0, 0],
        [1, 2],
        [3, 0],
        [0, 0],
      ],
      0,
    ],
    [
      [3, 17, 19, 23],
      [
        [1, 1],
        [0, 0],
        [2, 2],
        [1, 0],
      ],
      0.5,
    ],
    [
      [257, 129],
      [
        [3, 4],
        [0, 5],
      ],
      -1,
    ],
    [
      [2, 3, 17, 19, 23],
      [
        [0, 1],
        [1, 0],
        [2, 1],
        [0, 3],
        [1, 1],
      ],
      0,
    ],
  ];
  it.each(pads)('pad and its gradient (a slice) match cpu: %j by %j with %d', async (shape, paddings, value) => {
    expect(size(shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]))).toBeGreaterThanOrEqual(MIN_ELEMENTS);
    await matchesCpu(
      () => {
        const x = randT(shape, 93);
        const y = tf.pad(x, paddings, value);
        const w = randT(y.shape, 94);
        return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.pad(p, paddings, value), w)))(x)];
      },
      0,
      `${JSON.stringify(shape)} by ${JSON.stringify(paddings)}`,
    );
  });
});
