// The native addon's kernels (when the addon builds on this machine) against the tfjs cpu
// backend, through tfjs ops and their gradients, on wasm and on cpu, over strides, paddings, odd
// sizes, batch sizes, broadcasting and thread counts. Without a compiler the suite reports the
// reason and checks the fallback instead.
import * as tf from '@tensorflow/tfjs-core';
import { UPFIRDN } from '@gan-control/gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels, removeNativeKernels, setNativeThreads, setupBackend, type BackendInfo } from '../src/index.js';
import { expectClose, on, randT } from './helpers.js';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
// Every case is above the addon's size threshold (2^15 multiply-adds), so it runs natively.
const cases: { x: [number, number, number, number]; w: [number, number, number, number]; s: number | [number, number]; pad: Pad }[] = [
  { x: [2, 9, 9, 8], w: [3, 3, 8, 16], s: 1, pad: 'same' },
  { x: [3, 11, 7, 5], w: [3, 3, 5, 13], s: 2, pad: 'same' },
  { x: [1, 12, 13, 6], w: [4, 3, 6, 20], s: [2, 3], pad: 'valid' },
  {
    x: [2, 10, 10, 9],
    w: [5, 5, 9, 7],
    s: 1,
    pad: [
      [0, 0],
      [1, 3],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [4, 8, 8, 33], w: [1, 1, 33, 17], s: 1, pad: 'valid' },
  { x: [2, 9, 9, 16], w: [3, 3, 16, 8], s: 2, pad: 1 },
];

let info: BackendInfo;
beforeAll(async () => {
  info = await setupBackend('wasm');
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await setNativeThreads();
  await tf.setBackend('cpu');
});

function convRun(c: (typeof cases)[number]) {
  return () => {
    const x = randT(c.x, 51);
    const w = randT(c.w, 52);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad);
    const y = f(x, w);
    const r = randT(y.shape, 53);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
    // conv2dTranspose is Conv2DBackpropInput run forward.
    const t = tf.conv2dTranspose(r as tf.Tensor4D, w as tf.Tensor4D, c.x, c.s, c.pad as 'same');
    return [y, dx!, dw!, t];
  };
}

describe('native kernels', () => {
  it('are installed or the reason is reported', () => {
    if (info.native.enabled) {
      expect(installedKernels('wasm')).toMatchObject({
        Conv2D: 'native',
        Conv2DBackpropInput: 'native',
        Conv2DBackpropFilter: 'native',
        BatchMatMul: 'native',
      });
      expect(info.native.threads).toBeGreaterThanOrEqual(1);
    } else {
      expect(info.native.reason.length).toBeGreaterThan(10);
      expect(installedKernels('wasm')['Conv2DBackpropFilter']).toBe('js');
    }
  });

  it.each(cases)('conv2d, its gradients and conv2dTranspose match cpu on wasm: %#', async (c) => {
    const ref = await on('cpu', convRun(c));
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      const got = await on('wasm', convRun(c));
      for (let i = 0; i < 4; i++) expectClose(got[i]!, ref[i]!, 2e-5, `case ${JSON.stringify(c)} output ${i} threads ${threads}`);
    }
    await setNativeThreads();
  });

  it('matMul: transposes, batches and broadcasting match cpu on wasm', async () => {
    const run = () => {
      const a = randT([3, 40, 37], 54);
      const b = randT([3, 37, 29], 55);
      const shared = randT([29, 37], 56);
      const big = randT([2, 3, 33, 40], 57);
      const outs = [
        tf.matMul(a, b),
        tf.matMul(a, b, false, false),
        tf.matMul(tf.transpose(a, [0, 2, 1]), b, true, false),
        tf.matMul(a, shared, false, true),
        tf.matMul(tf.reshape(shared, [1, 29, 37]), tf.transpose(a, [0, 2, 1])),
        // Partial broadcasting ([2,3] against [3]) goes to the fallback kernel.
        tf.matMul(
          big,
          tf.pad(b, [
            [0, 0],
            [0, 3],
            [0, 0],
          ]),
        ),
        tf.matMul(
          big,
          tf.tile(
            tf.reshape(
              tf.pad(b, [
                [0, 0],
                [0, 3],
                [0, 0],
              ]),
              [1, 3, 40, 29],
            ),
            [2, 1, 1, 1],
          ),
        ),
      ];
      const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, false, true))))([
        a,
        tf.transpose(b, [0, 2, 1]),
      ]);
      return [...outs, ga!, gb!];
    };
    const ref = await on('cpu', run);
    const got = await on('wasm', run);
    for (let i = 0; i < ref.length; i++) expectClose(got[i]!, ref[i]!, 2e-5, `matMul output ${i}`);
  });

  it('serve the cpu backend too and match its stock kernels', async () => {
    const stock = await on('cpu', convRun(cases[1]!));
    const withNative = await setupBackend('cpu');
    try {
      const got = await on('cpu', convRun(cases[1]!));
      if (withNative.native.enabled) expect(installedKernels('cpu')['Conv2D']).toBe('native');
      for (let i = 0; i < 4; i++) expectClose(got[i]!, stock[i]!, 2e-5, `cpu output ${i}`);
    } finally {
      removeNativeKernels('cpu');
    }
  });

  it('fall back to the replaced kernels when removed, with the same results', async () => {
    const withNative = await on('wasm', convRun(cases[2]!));
    removeNativeKernels('wasm');
    try {
      expect(installedKernels('wasm')['Conv2D']).toBeUndefined();
      expect(installedKernels('wasm')['Conv2DBackpropFilter']).toBe('js');
      expect(tf.getKernel(UPFIRDN, 'wasm')).toBeUndefined(); // only the addon has it: callers compose the op without it
      const without = await on('wasm', convRun(cases[2]!));
      for (let i = 0; i < 4; i++) expectClose(without[i]!, withNative[i]!, 2e-5, `fallback output ${i}`);
    } finally {
      await setupBackend('wasm');
      await tf.setBackend('cpu');
    }
  });
});

describe('restoreStockKernels', () => {
  it('puts the stock wasm kernels back and a later setupBackend reinstalls everything', async () => {
    const { restoreStockKernels } = await import('../src/index.js');
    const before = { ...installedKernels('wasm') };
    restoreStockKernels('wasm');
    try {
      expect(installedKernels('wasm')).toEqual({});
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    } finally {
      await setupBackend('wasm');
      await tf.setBackend('cpu');
    }
    expect(installedKernels('wasm')).toEqual(before);
  });
});
