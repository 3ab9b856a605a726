// The addon's elementwise and reduction kernels (Add/Sub/Multiply/RealDiv with broadcasting,
// LeakyRelu and the fused leaky-ReLU gradient, Sum/Mean, Tile) and the wasm Identity that shares
// its input, against the tfjs cpu backend and against the composed reference ops, over odd
// shapes, batch sizes, broadcast patterns and thread counts; values and first and second
// derivatives. Without the addon the same comparisons check the fallback kernels.
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, BIAS_LEAKY_RELU, LEAKY_RELU_GRAD, UPFIRDN } from '@gan-control/gradients';
import { expectNoLeaks } from '@gan-control/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcastPlan, MIN_ELEMENTS, reducePlan } from '../src/native/elementwise.js';
import { installedKernels, setNativeThreads, setupBackend, type BackendInfo } from '../src/index.js';
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

describe('broadcastPlan and reducePlan', () => {
  it('collapse broadcasts to four dims with strides', () => {
    expect(broadcastPlan([16, 8, 8, 64], [16, 8, 8, 64], [64])).toEqual({ dims: [1, 1, 1024, 64], sa: [0, 0, 64, 1], sb: [0, 0, 0, 1] });
    expect(broadcastPlan([16, 8, 8, 64], [16, 8, 8, 64], [16, 1, 1, 64])).toEqual({
      dims: [1, 16, 64, 64],
      sa: [0, 4096, 64, 1],
      sb: [0, 64, 0, 1],
    });
    expect(broadcastPlan([5, 7], [5, 7], [5, 7])).toEqual({ dims: [1, 1, 1, 35], sa: [0, 0, 0, 1], sb: [0, 0, 0, 1] });
    expect(broadcastPlan([5, 7], [], [5, 7])).toEqual({ dims: [1, 1, 1, 35], sa: [0, 0, 0, 0], sb: [0, 0, 0, 1] });
    // a broadcast on both sides: [2,1,4,1] + [1,3,1,5] -> 4 groups
    expect(broadcastPlan([2, 3, 4, 5], [2, 1, 4, 1], [1, 3, 1, 5])).toEqual({ dims: [2, 3, 4, 5], sa: [4, 0, 1, 0], sb: [0, 5, 0, 1] });
    expect(broadcastPlan([2, 3, 4, 5, 6], [2, 1, 4, 1, 6], [1, 3, 1, 5, 1])).toBeNull();
  });

  it('finds one contiguous reduced block', () => {
    expect(reducePlan([16, 8, 8, 64], [0, 1, 2])).toEqual([1, 1024, 64]);
    expect(reducePlan([16, 8, 8, 64], [1, 2])).toEqual([16, 64, 64]);
    expect(reducePlan([16, 8, 8, 64], [1, 2, 3])).toEqual([16, 4096, 1]);
    expect(reducePlan([16, 1, 8, 64], [0, 2])).toEqual([1, 128, 64]); // the size-1 axis between does not split the block
    expect(reducePlan([16, 8, 8, 64], [0, 2])).toBeNull();
  });
});

describe('native elementwise kernels', () => {
  it('are installed or the reason is reported', () => {
    if (info.native.enabled) {
      expect(installedKernels('wasm')).toMatchObject({
        Add: 'native',
        Multiply: 'native',
        LeakyRelu: 'native',
        [LEAKY_RELU_GRAD]: 'native',
        Sum: 'native',
        Mean: 'native',
        Tile: 'native',
        Identity: 'js',
      });
    } else {
      expect(installedKernels('wasm')[LEAKY_RELU_GRAD]).toBe('js');
    }
  });

  // Every pair is above MIN_ELEMENTS (native) except the last (fallback); odd sizes, batch 1, 3, 16.
  const pairs: [number[], number[]][] = [
    [
      [3, 17, 19, 23],
      [3, 17, 19, 23],
    ],
    [[16, 9, 9, 33], [33]],
    [
      [3, 17, 19, 23],
      [3, 1, 1, 23],
    ],
    [
      [3, 17, 19, 23],
      [1, 17, 19, 1],
    ],
    [
      [3, 17, 19, 23],
      [3, 17, 19, 1],
    ],
    [[1, 33, 31, 17], []],
    [
      [3, 1, 19, 1],
      [1, 17, 1, 23],
    ],
    [[], [5, 61, 59]],
    [[7, 11], [11]],
  ];
  it.each(pairs)('add, sub, mul, div and their gradients match cpu: %j with %j', async (sa, sb) => {
    expect(
      pairs.slice(0, -1).every(([a, b]) => tf.util.sizeFromShape(tf.backend_util.assertAndGetBroadcastShape(a, b)) >= MIN_ELEMENTS),
    ).toBe(true);
    await matchesCpu(
      () => {
        const a = randT(sa, 11);
        const b = tf.add(randT(sb, 12), 2); // away from 0 for the division
        const outs = [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b), tf.sub(b, a), tf.div(b, tf.add(a, 3))];
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(p, q), tf.div(p, q)), tf.sub(p, q))))([a, b]);
        return [...outs, ga!, gb!];
      },
      2e-6,
      `${JSON.stringify(sa)} ∘ ${JSON.stringify(sb)}`,
    );
  });

  /** The composed leaky-ReLU gradient (stock tfjs's formula), the reference for the fused kernel. */
  const composedGrad = (dy: tf.Tensor, x: tf.Tensor, alpha: number) =>
    tf.mul(dy, tf.add(tf.mul(tf.cast(tf.greater(x, 0), 'float32'), 1 - alpha), alpha));

  it.each([[[16, 8, 8, 64]], [[3, 17, 19, 23]], [[1, 5, 7, 3]]])(
    'leakyRelu, its fused gradient and the gradient of that match the composed ops: %j',
    async (shape) => {
      const run = () => {
        const x = randT(shape, 21);
        const r = randT(shape, 22);
        const y = tf.leakyRelu(x, 0.2);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(p, 0.2), r)))(x);
        // R1-style second order: the gradient of a function of the gradient, through dy.
        const gg = tf.grad((q: tf.Tensor) => tf.sum(tf.square(tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(p, 0.2), q)))(x))))(r);
        return [y, g, gg];
      };
      const reference = () => {
        const x = randT(shape, 21);
        const r = randT(shape, 22);
        const slope = composedGrad(tf.onesLike(x), x, 0.2);
        return [tf.where(tf.greater(x, 0), x, tf.mul(x, 0.2)), tf.mul(r, slope), tf.mul(tf.mul(r, 2), tf.square(slope))];
      };
      const ref = await on('cpu', reference);
      for (const backend of ['cpu', 'wasm']) {
        for (const threads of [1, 3]) {
          await setNativeThreads(threads);
          const got = await on(backend, run);
          for (let i = 0; i < 3; i++)
            expectClose(got[i]!, ref[i]!, 1e-6, `${backend} ${JSON.stringify(shape)} output ${i}, ${threads} threads`);
        }
      }
      await setNativeThreads();
    },
  );

  it('the leaky-ReLU gradient agrees with central finite differences (float64, away from the kink)', async () => {
    const vals = await on('wasm', () => {
      const x = tf.add(tf.mul(tf.sign(randT([4, 33, 31, 5], 31)), 0.05), tf.mul(randT([4, 33, 31, 5], 32), 0.04)); // |x| ≥ 0.01
      const r = randT([4, 33, 31, 5], 33);
      return [x, r, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(p, 0.2), r)))(x)];
    });
    const [x, r, g] = vals as [Float32Array, Float32Array, Float32Array];
    const f = (v: number) => (v > 0 ? v : 0.2 * v);
    const h = 1e-3;
    for (let i = 0; i < x.length; i += 97) {
      const fd = (r[i]! * (f(x[i]! + h) - f(x[i]! - h))) / (2 * h);
      expect(Math.abs(g[i]! - fd), `element ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
    }
  });

  const reductions: [number[], number[], boolean][] = [
    [[16, 9, 9, 33], [0, 1, 2], false],
    [[3, 17, 19, 23], [1, 2], true],
    [[3, 17, 19, 23], [1, 2, 3], false],
    [[3, 17, 19, 23], [0], false],
    [[3, 17, 19, 23], [3], true],
    [[3, 17, 19, 23], [0, 1, 2, 3], false],
    [[1, 257, 129], [1], false], // long reduced axis, few outputs: partial sums over threads
    [[5, 1, 61, 59], [0, 2], true], // the size-1 axis between does not split the block
    [[3, 17, 19, 23], [0, 2], false], // not one block: fallback
  ];
  it.each(reductions)('sum and mean and their gradients match cpu: %j over %j (keepDims %s)', async (shape, axes, keepDims) => {
    await matchesCpu(
      () => {
        const x = randT(shape, 41);
        const s = tf.sum(x, axes, keepDims);
        const m = tf.mean(x, axes, keepDims);
        const w = randT(s.shape, 42);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.sum(tf.square(p), axes, keepDims), tf.mean(p, axes, keepDims)), w)))(x);
        return [s, m, g];
      },
      2e-5,
      `${JSON.stringify(shape)} over ${JSON.stringify(axes)}`,
    );
  });

  const tiles: [number[], number[]][] = [
    [
      [1, 1, 1, 64],
      [16, 9, 9, 1],
    ],
    [
      [16, 1, 1, 33],
      [1, 9, 7, 1],
    ],
    [
      [3, 5, 7, 11],
      [2, 3, 1, 5],
    ],
    [
      [1, 4, 4, 64],
      [16, 1, 1, 1],
    ],
    [[257], [65]],
    [
      [2, 3, 4, 5, 6],
      [3, 1, 2, 2, 3],
    ],
    [
      [4, 1, 1, 1],
      [1, 19, 17, 64],
    ], // last dim 1: a broadcast fill (the gradient of a full reduction)
  ];
  it.each(tiles)('tile and its gradient match cpu: %j × %j', async (shape, reps) => {
    await matchesCpu(
      () => {
        const x = randT(shape, 61);
        const y = tf.tile(x, reps);
        const w = randT(y.shape, 62);
        return [y, tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.tile(p, reps), w)))(x)];
      },
      2e-5,
      `${JSON.stringify(shape)} × ${JSON.stringify(reps)}`,
    );
  });
});

/** A banded upfirdn matrix `[outLen, len]` (upsample `up`, pad p0/p1, taps, keep every `down`-th), as stylegan2's `upfirdnMatrix`. */
function firMatrix(len: number, taps: number[], up: number, down: number, p0: number, p1: number): { m: Float32Array; outLen: number } {
  const k = taps.length;
  const outLen = Math.floor((len * up + p0 + p1 - k) / down) + 1;
  const m = new Float32Array(outLen * len);
  for (let j = 0; j < outLen; j++) {
    for (let t = 0; t < k; t++) {
      const i = j * down + t - p0;
      if (i >= 0 && i < len * up && i % up === 0) m[j * len + i / up] += taps[k - 1 - t]!;
    }
  }
  return { m, outLen };
}
const transposed = (m: Float32Array, rows: number, cols: number) => {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j]!;
  return t;
};

describe('UPFIRDN (native upfirdn2d)', () => {
  // [N, H, W, C], up, down, p0, p1: upsample (G skip image, conv0), blur (after conv0), downsample (D).
  const cases: [number[], number, number, number, number][] = [
    [[3, 9, 7, 5], 2, 1, 2, 1],
    [[16, 8, 8, 64], 1, 1, 1, 1],
    [[2, 17, 13, 3], 1, 2, 1, 1],
    [[1, 10, 11, 33], 1, 1, 2, 2],
  ];
  it.each(cases)(
    'matches the two-matMul form, with first and second derivatives: %j up %i down %i pad %i,%i',
    async (shape, up, down, p0, p1) => {
      const taps = [1, 3, 3, 1].map((v) => (v / 8) * Math.sqrt(up * up));
      const [n, h, w, c] = shape as [number, number, number, number];
      const mh = firMatrix(h, taps, up, down, p0, p1);
      const mw = firMatrix(w, taps, up, down, p0, p1);
      const viaMatMul = (x: tf.Tensor) => {
        const y = tf.matMul(tf.tensor3d(mh.m, [1, mh.outLen, h]), tf.reshape(x, [n, h, w * c]));
        return tf.reshape(tf.matMul(tf.tensor3d(mw.m, [1, mw.outLen, w]), tf.reshape(y, [n * mh.outLen, w, c])), [
          n,
          mh.outLen,
          mw.outLen,
          c,
        ]);
      };
      const attrs = {
        mh: mh.m,
        mw: mw.m,
        mhT: transposed(mh.m, mh.outLen, h),
        mwT: transposed(mw.m, mw.outLen, w),
        inH: h,
        inW: w,
        outH: mh.outLen,
        outW: mw.outLen,
      };
      const viaKernel = (x: tf.Tensor) => tf.engine().runKernel(UPFIRDN, { x }, attrs as never) as tf.Tensor;
      const run = (f: (x: tf.Tensor) => tf.Tensor) => () => {
        const x = randT(shape, 91);
        const y = f(x);
        const r = randT(y.shape, 92);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(f(p), r)))(x);
        // second order through a squared gradient (R1-style)
        const gg = tf.grad((q: tf.Tensor) => tf.sum(tf.square(tf.grad((p: tf.Tensor) => tf.sum(tf.mul(f(tf.mul(p, p)), q)))(x))))(r);
        return [y, g, gg];
      };
      const ref = await on('cpu', run(viaMatMul));
      if (!info.native.enabled) {
        expect(tf.getKernel(UPFIRDN, 'wasm')).toBeUndefined();
        return;
      }
      for (const threads of [1, 3]) {
        await setNativeThreads(threads);
        const got = await on('wasm', run(viaKernel));
        for (let i = 0; i < 3; i++) expectClose(got[i]!, ref[i]!, 2e-5, `${JSON.stringify(shape)} output ${i}, ${threads} threads`);
      }
      await setNativeThreads();
    },
  );
});

describe('BIAS_LEAKY_RELU (native bias + leaky ReLU)', () => {
  it.each([[[16, 8, 8, 64]], [[3, 17, 19, 23]], [[5, 7]], [[1, 4, 4, 3]]])(
    'matches add + leakyRelu, with first and second derivatives: %j',
    async (shape) => {
      const c = shape[shape.length - 1]!;
      const run = (f: (x: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => {
        const x = randT(shape, 95);
        const b = tf.mul(randT([c], 96), 0.5);
        const r = randT(shape, 97);
        const [gx, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q), r)))([x, b]);
        // second order (R1-style): the squared input gradient, differentiated w.r.t. a weight and r
        // (the bias moves it only through the piecewise-constant slope: no path, by design)
        const w = randT(shape, 98);
        const [ggw, ggr] = tf.grads((v: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.square(tf.grad((p: tf.Tensor) => tf.sum(tf.mul(f(tf.mul(tf.mul(p, p), v), b), s)))(x))),
        )([w, r]);
        return [f(x, b), gx!, gb!, ggw!, ggr!];
      };
      const ref = await on(
        'cpu',
        run((x, b) => tf.leakyRelu(tf.add(x, b), 0.2)),
      );
      if (!info.native.enabled) return;
      for (const threads of [1, 3]) {
        await setNativeThreads(threads);
        const got = await on(
          'wasm',
          run((x, b) => tf.engine().runKernel(BIAS_LEAKY_RELU, { x, b }, { alpha: 0.2 }) as tf.Tensor),
        );
        for (let i = 0; i < ref.length; i++)
          expectClose(got[i]!, ref[i]!, 2e-5, `${JSON.stringify(shape)} output ${i}, ${threads} threads`);
      }
      await setNativeThreads();
    },
  );
});

describe('fused Adam update', () => {
  // The first two run the JS kernel, the last the native one (≥ MIN_ELEMENTS values) where the addon builds.
  it.each([[[3, 3, 17, 5]], [[1]], [[16, 33, 37]]])('equals the composed float32 ops to the bit on cpu and wasm: %j', async (shape) => {
    const attrs = {
      beta1: 0.9,
      beta2: Math.pow(0.99, 16 / 17),
      eps: 1e-8,
      stepSize: 0.0025 / (1 - 0.9 ** 3),
      sqrtBc2: Math.sqrt(1 - 0.99 ** 3),
    };
    const inputs = () => ({
      param: randT(shape, 81),
      grad: tf.mul(randT(shape, 82), 10),
      m: tf.mul(randT(shape, 83), 0.1),
      v: tf.abs(tf.mul(randT(shape, 84), 0.01)),
    });
    const composed = () => {
      const { param: p, grad: g, m, v } = inputs();
      const { beta1: b1, beta2: b2, eps, stepSize, sqrtBc2 } = attrs;
      const m2 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
      const v2 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
      const denom = tf.add(tf.div(tf.sqrt(v2), sqrtBc2), eps);
      return [tf.sub(p, tf.mul(tf.div(m2, denom), stepSize)), m2, v2];
    };
    const fused = () => tf.engine().runKernel(ADAM_UPDATE, inputs(), attrs) as tf.Tensor[];
    for (const backend of ['cpu', 'wasm']) {
      const want = await on(backend, composed);
      const got = await on(backend, fused);
      for (let i = 0; i < 3; i++) expect(Array.from(got[i]!), `${backend} output ${i}`).toEqual(Array.from(want[i]!));
    }
  });
});

describe('wasm Identity', () => {
  it('shares the input buffer: a clone outlives its source, no bytes are copied', async () => {
    await tf.setBackend('wasm');
    try {
      expectNoLeaks(() => {
        const x = randT([3, 17, 19, 23], 71);
        const want = x.dataSync().slice();
        const c = tf.clone(x);
        expect(c.dataId).toBe(x.dataId);
        x.dispose();
        expect(Array.from(c.dataSync())).toEqual(Array.from(want));
        const y = tf.add(c, 1); // the shared buffer stays readable by kernels
        expect(y.dataSync()[5]).toBeCloseTo(want[5]! + 1, 6);
        tf.dispose([c, y]);
      });
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
