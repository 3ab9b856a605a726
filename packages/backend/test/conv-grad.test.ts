// The conv-gradient kernels on wasm against the tfjs cpu backend (the reference) and against
// central finite differences of the wasm forward (exact up to rounding: conv is bilinear).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeNativeKernels, setupBackend } from '../src/index.js';
import { expectClose, on, rand, randT } from './helpers.js';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  s: number | [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [1, 8, 8, 2], w: [3, 3, 2, 3], s: 2, pad: 'same' },
  { x: [3, 9, 7, 2], w: [3, 2, 2, 5], s: 2, pad: 'valid' },
  { x: [2, 6, 5, 3], w: [1, 1, 3, 2], s: 1, pad: 'valid' },
  {
    x: [2, 7, 8, 3],
    w: [4, 3, 3, 2],
    s: [3, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [1, 5, 5, 2], w: [5, 5, 2, 2], s: 1, pad: 2 },
  { x: [4, 9, 9, 2], w: [3, 3, 2, 2], s: 2, pad: 1 },
  { x: [2, 4, 4, 3], w: [4, 4, 3, 2], s: 2, pad: 'same' },
];

const label = (c: ConvCase) => `x${c.x.join('x')} w${c.w.join('x')} s${String(c.s)} pad ${JSON.stringify(c.pad)}`;

beforeAll(async () => {
  const info = await setupBackend('wasm');
  expect(info.name).toBe('wasm');
  // This file tests the wasm compositions; native.test.ts tests the addon's kernels.
  removeNativeKernels('wasm');
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await setupBackend('wasm');
  await tf.setBackend('cpu');
});

describe('conv2d gradients on wasm', () => {
  it.each(convCases)('match cpu: %#', async (c) => {
    const run = () => {
      const x = randT(c.x, 1);
      const w = randT(c.w, 2);
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      const r = randT(y.shape, 3);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r)),
      )([x, w]);
      return [y, dx!, dw!];
    };
    const ref = await on('cpu', run);
    const got = await on('wasm', run);
    expectClose(got[0]!, ref[0]!, 1e-5, `${label(c)} forward`);
    expectClose(got[1]!, ref[1]!, 1e-5, `${label(c)} dx`);
    expectClose(got[2]!, ref[2]!, 1e-5, `${label(c)} dw`);
  });

  it.each(convCases)('conv2dTranspose forward and gradients match cpu: %#', async (c) => {
    // conv2dTranspose(dy, w) is Conv2DBackpropInput; its gradients are Conv2D and Conv2DBackpropFilter.
    const outH = c.x[1];
    const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.s, 1, c.pad as 'same');
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.w[3]];
    const run = () => {
      const dy = randT(dyShape, 4);
      const w = randT(c.w, 5);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.x as [number, number, number, number], c.s, c.pad as 'same');
      const y = f(dy, w);
      const r = randT(y.shape, 6);
      const [ddy, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([dy, w]);
      return [y, ddy!, dw!];
    };
    const ref = await on('cpu', run);
    const got = await on('wasm', run);
    expect(outH).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expectClose(got[i]!, ref[i]!, 1e-5, `${label(c)} output ${i}`);
  });

  it('agree with central finite differences of the wasm forward', async () => {
    const c: ConvCase = { x: [2, 5, 6, 2], w: [3, 3, 2, 3], s: 2, pad: 'same' };
    await tf.setBackend('wasm');
    try {
      const xv = rand(2 * 5 * 6 * 2, 7);
      const wv = rand(3 * 3 * 2 * 3, 8);
      const loss = (xa: Float32Array, wa: Float32Array) =>
        tf.tidy(() => {
          const y = tf.conv2d(tf.tensor4d(xa, c.x), tf.tensor4d(wa, c.w), c.s, c.pad as 'same');
          return tf.sum(tf.mul(y, tf.tensor(rand(y.size, 9), y.shape))).dataSync()[0]!;
        });
      const [dx, dw] = tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as 'same');
          return tf.sum(tf.mul(y, tf.tensor(rand(y.size, 9), y.shape)));
        })([tf.tensor4d(xv, c.x), tf.tensor4d(wv, c.w)]);
        return g.map((t) => t!.dataSync() as Float32Array);
      });
      const eps = 0.05;
      for (const [arr, grad, other, isX] of [
        [xv, dx!, wv, true],
        [wv, dw!, xv, false],
      ] as const) {
        for (let i = 0; i < arr.length; i += 5) {
          const plus = Float32Array.from(arr);
          plus[i]! += eps;
          const minus = Float32Array.from(arr);
          minus[i]! -= eps;
          const fd = isX ? (loss(plus, other) - loss(minus, other)) / (2 * eps) : (loss(other, plus) - loss(other, minus)) / (2 * eps);
          expect(Math.abs(fd - grad[i]!), `${isX ? 'dx' : 'dw'}[${i}]`).toBeLessThan(2e-3);
        }
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

interface DwCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  s: number;
  d: number;
  pad: Pad;
}
const dwCases: DwCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 1], s: 1, d: 1, pad: 'same' },
  { x: [1, 8, 9, 2], w: [3, 3, 2, 2], s: 2, d: 1, pad: 'same' },
  { x: [3, 9, 7, 2], w: [4, 2, 2, 3], s: 2, d: 1, pad: 'valid' },
  {
    x: [2, 6, 6, 4],
    w: [4, 4, 4, 1],
    s: 1,
    d: 1,
    pad: [
      [0, 0],
      [2, 1],
      [1, 2],
      [0, 0],
    ],
  },
  { x: [2, 9, 8, 2], w: [3, 3, 2, 2], s: 1, d: 2, pad: 'same' },
  { x: [1, 9, 9, 3], w: [2, 3, 3, 1], s: 1, d: 3, pad: 'valid' },
];

describe('depthwiseConv2d gradients on wasm', () => {
  it.each(dwCases)('match a float64 reference (dilations through the kernels): %#', async (c) => {
    const run = () => {
      const x = randT(c.x, 11);
      const w = randT(c.w, 12);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad as 'same', 'NHWC', c.d);
      const dy = randT(y.shape, 13);
      // tfjs' gradient refuses dilations > 1, so the backprop kernels are called directly.
      const attrs = { strides: [c.s, c.s], dilations: [c.d, c.d], pad: c.pad, dimRoundingMode: undefined } as never;
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, {
        ...(attrs as object),
        inputShape: c.x,
      } as never) as tf.Tensor;
      const dw = tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...(attrs as object), filterShape: c.w } as never) as tf.Tensor;
      return [y, dx, dw];
    };
    // tfjs-backend-cpu ignores dilations in its depthwise backprop kernels, so the reference is
    // a direct float64 evaluation of the definition.
    const got = await on('wasm', run);
    const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.s, c.d, c.pad as 'same', undefined, true);
    const xv = rand(
      c.x.reduce((a, b) => a * b),
      11,
    );
    const wv = rand(
      c.w.reduce((a, b) => a * b),
      12,
    );
    const dyv = rand(got[0]!.length, 13);
    const ref = naiveDepthwise(xv, wv, dyv, c.x, c.w, info);
    for (let i = 0; i < 3; i++) expectClose(got[i]!, ref[i]!, 1e-5, `depthwise case ${JSON.stringify(c)} output ${i}`);
  });

  it('through tf.grads match cpu', async () => {
    const run = () => {
      const x = randT([3, 7, 6, 2], 14);
      const w = randT([3, 3, 2, 2], 15);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
      const r = randT(f(x, w).shape, 16);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
      return [dx!, dw!];
    };
    const ref = await on('cpu', run);
    const got = await on('wasm', run);
    expectClose(got[0]!, ref[0]!, 1e-5, 'dx');
    expectClose(got[1]!, ref[1]!, 1e-5, 'dw');
  });
});

/** Depthwise forward, input gradient and filter gradient straight from the definition, in float64. */
function naiveDepthwise(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  xs: number[],
  ws: number[],
  info: tf.backend_util.Conv2DInfo,
): Float32Array[] {
  const [n, h, wd, ch] = xs as [number, number, number, number];
  const [kh, kw, , m] = ws as [number, number, number, number];
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
  const y = new Float64Array(n * oh * ow * ch * m);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++)
        for (let c = 0; c < ch; c++)
          for (let k = 0; k < m; k++) {
            const yi = (((b * oh + r) * ow + q) * ch + c) * m + k;
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yy = r * sh + i * dh - info.padInfo.top;
                const xx = q * sw + j * dwl - info.padInfo.left;
                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                const xi = ((b * h + yy) * wd + xx) * ch + c;
                const wi = ((i * kw + j) * ch + c) * m + k;
                y[yi]! += x[xi]! * w[wi]!;
                dx[xi]! += w[wi]! * dy[yi]!;
                dw[wi]! += x[xi]! * dy[yi]!;
              }
          }
  return [Float32Array.from(y), Float32Array.from(dx), Float32Array.from(dw)];
}
