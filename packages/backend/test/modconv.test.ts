// The fused kernels of StyleGAN2's modulated convolution and of the generator's EMA, against the
// composed reference ops (the ones `@gan-control/stylegan2` runs without them):
// MODCONV_DEMOD (demodulation coefficients) — values bit-identical to the composed ops (the addon's
// loop where their matMuls run on its GEMM, the same kernels called directly elsewhere); MODCONV_DEMOD_GRAD — first derivatives against
// the composed ops' and finite differences, second derivatives (its own gradient) against the
// composed ops'; EMA_UPDATE — bit-identical to Sub, Mul, Add (native above MIN_ELEMENTS, JS below
// and on cpu); SCALE_CHANNELS (the per-sample channel scaling) — bit-identical to the broadcast
// Multiply, and its style gradient CHANNEL_DOT — first and second derivatives against the composed
// ops', finite differences. Odd shapes and batch sizes, 1 and 3 native threads.
import * as tf from '@tensorflow/tfjs-core';
import { CHANNEL_DOT, EMA_UPDATE, MODCONV_DEMOD, MODCONV_DEMOD_GRAD, SCALE_CHANNELS } from '@gan-control/gradients';
import { expectNoLeaks } from '@gan-control/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_ELEMENTS } from '../src/native/elementwise.js';
import { installedKernels, setNativeThreads, setupBackend, type BackendInfo } from '../src/index.js';
import { expectClose, on, randT } from './helpers.js';

let info: BackendInfo;
beforeAll(async () => {
  info = await setupBackend('wasm');
});
afterAll(async () => {
  await setNativeThreads();
  await tf.setBackend('cpu');
});

const EPS = 1e-8;
type Case = { n: number; i: number; o: number; k: number; gain: number };
const CASES: Case[] = [
  { n: 16, i: 64, o: 64, k: 3, gain: Math.SQRT2 }, // the shapes preset's layers (matMuls on the addon)
  { n: 16, i: 64, o: 32, k: 3, gain: Math.SQRT2 },
  { n: 8, i: 64, o: 64, k: 3, gain: 1 },
  { n: 3, i: 5, o: 7, k: 3, gain: Math.SQRT2 },
  { n: 1, i: 64, o: 64, k: 3, gain: Math.SQRT2 },
  { n: 5, i: 13, o: 11, k: 1, gain: 0.7 },
  { n: 7, i: 33, o: 65, k: 3, gain: Math.SQRT2 },
];

/** The composed ops `@gan-control/stylegan2`'s `demodCoefficients` runs without the fused kernel. */
function composedDemod(styles: tf.Tensor, weight: tf.Tensor, gain: number): tf.Tensor {
  const [k, , i, o] = weight.shape;
  const wsq = tf.reshape(tf.matMul(tf.ones([1, k * k]), tf.reshape(tf.square(weight), [k * k, i * o])), [i, o]);
  const d = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), wsq), EPS));
  return gain !== 1 ? tf.mul(d, gain) : d;
}
const fusedDemod = (styles: tf.Tensor, weight: tf.Tensor, gain: number): tf.Tensor =>
  tf.engine().runKernel(MODCONV_DEMOD, { styles, weight }, { gain, eps: EPS }) as tf.Tensor;

// Styles as the affine layers make them (bias 1 ± noise), raw weights N(0, 1)-like.
const inputs = (c: Case, seed: number) => ({
  s: tf.add(randT([c.n, c.i], seed), 1),
  w: tf.mul(randT([c.k, c.k, c.i, c.o], seed + 1), 1.7),
  dd: randT([c.n, c.o], seed + 2),
});
const label = (c: Case) => `N=${c.n} I=${c.i} O=${c.o} k=${c.k} gain=${c.gain.toFixed(3)}`;
const native = () => info.native.enabled;

describe('MODCONV_DEMOD and its gradient (native addon)', () => {
  it('are installed with the addon', () => {
    if (!native()) return;
    const k = installedKernels('wasm');
    expect(k[MODCONV_DEMOD]).toBe('native');
    expect(k[MODCONV_DEMOD_GRAD]).toBe('native');
  });

  it('computes the composed ops’ coefficients to the bit', async () => {
    if (!native()) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const [ci, c] of CASES.entries()) {
        const [got, ref] = await on('wasm', () => {
          const { s, w } = inputs(c, 10 * ci);
          return [fusedDemod(s, w, c.gain), composedDemod(s, w, c.gain)];
        });
        // The addon's own loop where both matMuls (ones·w², k²·I·O multiply-adds; s²·W, N·I·O) run
        // on its GEMM, the same kernels called directly below that: the same bits either way.
        expect(Array.from(got!), `${label(c)}, ${threads} threads`).toEqual(Array.from(ref!));
      }
    }
    await setNativeThreads();
  });

  it('has the composed ops’ first derivatives, and finite differences agree', async () => {
    if (!native()) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const [ci, c] of CASES.entries()) {
        const grads = (demod: typeof fusedDemod) => () => {
          const { s, w, dd } = inputs(c, 10 * ci);
          return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(demod(a, b, c.gain), dd)))([s, w]);
        };
        const got = await on('wasm', grads(fusedDemod));
        const ref = await on('wasm', grads(composedDemod));
        expectClose(got[0]!, ref[0]!, 2e-5, `${label(c)}: d styles, ${threads} threads`);
        expectClose(got[1]!, ref[1]!, 2e-5, `${label(c)}: d weight, ${threads} threads`);
      }
    }
    await setNativeThreads();
    // Finite differences (central, float32) of Σ dd ⊙ d along random directions.
    for (const [ci, c] of CASES.entries()) {
      const [fd, an] = await on('wasm', () => {
        const { s, w, dd } = inputs(c, 10 * ci);
        const ps = randT(s.shape, 97);
        const pw = randT(w.shape, 98);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fusedDemod(a, b, c.gain), dd));
        const h = 1e-2;
        const plus = f(tf.add(s, tf.mul(ps, h)), tf.add(w, tf.mul(pw, h)));
        const minus = f(tf.sub(s, tf.mul(ps, h)), tf.sub(w, tf.mul(pw, h)));
        const [gs, gw] = tf.grads(f)([s, w]);
        const dir = tf.add(tf.sum(tf.mul(gs!, ps)), tf.sum(tf.mul(gw!, pw)));
        return [tf.reshape(tf.div(tf.sub(plus, minus), 2 * h), [1]), tf.reshape(dir, [1])];
      });
      expect(Math.abs(fd![0]! - an![0]!), `${label(c)}: finite difference ${fd![0]} vs ${an![0]}`).toBeLessThanOrEqual(
        2e-3 * Math.max(1, Math.abs(an![0]!)),
      );
    }
  });

  it('has the composed ops’ second derivatives (the gradient of its gradient, as path-length regularisation takes it)', async () => {
    if (!native()) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const [ci, c] of CASES.entries()) {
        const second = (demod: typeof fusedDemod) => () => {
          const { s, w, dd } = inputs(c, 10 * ci);
          const gs = randT(s.shape, 51);
          const gw = randT(w.shape, 52);
          // h(dd, s, w) = Σ gs ⊙ ∂/∂s + Σ gw ⊙ ∂/∂w of Σ dd ⊙ demod(s, w); differentiate h again.
          const h = (e: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
            const [ds, dw] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(demod(x, y, c.gain), e)))([a, b]);
            return tf.add(tf.sum(tf.mul(ds!, gs)), tf.sum(tf.mul(dw!, gw)));
          };
          return tf.grads(h)([dd, s, w]);
        };
        const got = await on('wasm', second(fusedDemod));
        const ref = await on('wasm', second(composedDemod));
        for (const [j, what] of ['dd', 'styles', 'weight'].entries()) {
          expectClose(got[j]!, ref[j]!, 5e-5, `${label(c)}: second derivative w.r.t. ${what}, ${threads} threads`);
        }
      }
    }
    await setNativeThreads();
  });

  it('leaks no tensors through forward and backward (wasm)', async () => {
    await tf.setBackend('wasm');
    if (!native()) return;
    const c = CASES[0]!;
    const { s, w, dd } = inputs(c, 3);
    expectNoLeaks(() => {
      const [gs, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fusedDemod(a, b, c.gain), dd)))([s, w]);
      tf.dispose([gs!, gw!]);
    });
    tf.dispose([s, w, dd]);
  });

  it('rejects mismatched shapes with the kernel name', async () => {
    if (!native()) return;
    await tf.setBackend('wasm');
    const s = tf.ones([2, 5]);
    const w = tf.ones([3, 3, 4, 6]);
    expect(() => fusedDemod(s, w, 1)).toThrow(/GanControlModconvDemod.*styles \[N, I\]/);
    tf.dispose([s, w]);
  });
});

describe('EMA_UPDATE', () => {
  const composedEma = (e: tf.Tensor, s: tf.Tensor, beta: number) => tf.add(s, tf.mul(tf.sub(e, s), beta));
  const fusedEma = (ema: tf.Tensor, source: tf.Tensor, beta: number) =>
    tf.engine().runKernel(EMA_UPDATE, { ema, source }, { beta }) as tf.Tensor;
  // Below and above MIN_ELEMENTS (JS and native), odd sizes, scalars; betas as emaBeta makes them.
  const shapes = [[], [7], [3, 5], [MIN_ELEMENTS + 13], [17, 31, 33], [64, 64, 3, 3]];
  const betas = [0, 0.5, 0.9965403, 0.999];

  it('is installed on wasm and cpu', () => {
    expect(installedKernels('wasm')[EMA_UPDATE]).toBe(native() ? 'native' : 'js');
    expect(installedKernels('cpu')[EMA_UPDATE]).toBe('js');
  });

  it('is bit-identical to the composed Sub, Mul, Add on wasm (1 and 3 threads) and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      for (const threads of backend === 'wasm' ? [1, 3] : [1]) {
        await setNativeThreads(threads);
        for (const [si, shape] of shapes.entries()) {
          for (const beta of betas) {
            const [got, ref] = await on(backend, () => {
              const e = tf.mul(randT(shape, si), 3);
              const s = randT(shape, si + 100);
              return [fusedEma(e, s, beta), composedEma(e, s, beta)];
            });
            expect(Array.from(got!), `${backend} [${shape}] β=${beta}, ${threads} threads`).toEqual(Array.from(ref!));
          }
        }
      }
    }
    await setNativeThreads();
  });

  it('leaks no tensors (wasm)', async () => {
    await tf.setBackend('wasm');
    const e = randT([MIN_ELEMENTS + 1], 1);
    const s = randT([MIN_ELEMENTS + 1], 2);
    expectNoLeaks(() => fusedEma(e, s, 0.9).dispose());
    tf.dispose([e, s]);
  });
});

describe('SCALE_CHANNELS and CHANNEL_DOT (native addon)', () => {
  const scale = (x: tf.Tensor, s: tf.Tensor) => tf.engine().runKernel(SCALE_CHANNELS, { x, s }) as tf.Tensor;
  const dot = (a: tf.Tensor, b: tf.Tensor) => tf.engine().runKernel(CHANNEL_DOT, { a, b }) as tf.Tensor;
  const composedScale = (x: tf.Tensor, s: tf.Tensor) => tf.mul(x, tf.reshape(s, [s.shape[0]!, 1, 1, s.shape[1]!]));
  // Below and above MIN_ELEMENTS, odd sizes, batch 1 and batch 16 with few channels (one sample per task or slices of rows).
  const shapes: [number, number, number, number][] = [
    [3, 5, 7, 11],
    [1, 33, 31, 17],
    [16, 32, 32, 64],
    [5, 9, 13, 65],
    [2, 64, 64, 3],
    [16, 4, 4, 64],
  ];

  it('are installed with the addon', () => {
    if (!native()) return;
    expect(installedKernels('wasm')[SCALE_CHANNELS]).toBe('native');
    expect(installedKernels('wasm')[CHANNEL_DOT]).toBe('native');
  });

  it('scale to the bit as the broadcast Multiply, and CHANNEL_DOT sums the product (1 and 3 threads)', async () => {
    if (!native()) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const [si, shape] of shapes.entries()) {
        const [n, , , c] = shape;
        const [got, ref, d, dref] = await on('wasm', () => {
          const x = randT(shape, si);
          const s = tf.add(randT([n, c], si + 50), 1);
          const y = randT(shape, si + 60);
          return [scale(x, s), composedScale(x, s), dot(x, y), tf.sum(tf.mul(x, y), [1, 2])];
        });
        expect(Array.from(got!), `[${shape}], ${threads} threads`).toEqual(Array.from(ref!));
        expectClose(d!, dref!, 2e-6, `CHANNEL_DOT [${shape}], ${threads} threads`);
      }
    }
    await setNativeThreads();
  });

  it('have the composed ops’ first and second derivatives, and finite differences agree', async () => {
    if (!native()) return;
    for (const threads of [1, 3]) {
      await setNativeThreads(threads);
      for (const [si, shape] of shapes.entries()) {
        const [n, , , c] = shape;
        const derivs = (f: typeof scale) => () => {
          const x = randT(shape, si);
          const s = tf.add(randT([n, c], si + 50), 1);
          const probe = randT(shape, si + 70);
          const gx = randT(shape, si + 80);
          const gs = randT([n, c], si + 90);
          const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), probe));
          const first = tf.grads(loss)([x, s]);
          // The gradient's gradient (both CHANNEL_DOT's and SCALE_CHANNELS' own gradients).
          const second = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
            const [da, db] = tf.grads(loss)([a, b]);
            return tf.add(tf.sum(tf.mul(tf.square(da!), gx)), tf.sum(tf.mul(tf.square(db!), gs)));
          })([x, s]);
          return [...first, ...second];
        };
        const got = await on('wasm', derivs(scale));
        const ref = await on('wasm', derivs(composedScale));
        for (const [j, what] of ['dx', 'ds', 'd²x', 'd²s'].entries()) {
          expectClose(got[j]!, ref[j]!, 2e-5, `[${shape}] ${what}, ${threads} threads`);
        }
      }
    }
    await setNativeThreads();
    const [fd, an] = await on('wasm', () => {
      const x = randT([3, 9, 7, 5], 1);
      const s = tf.add(randT([3, 5], 2), 1);
      const probe = randT([3, 9, 7, 5], 3);
      const [px, ps] = [randT(x.shape, 4), randT(s.shape, 5)];
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(scale(a, b)), probe));
      const h = 1e-2;
      const plus = f(tf.add(x, tf.mul(px, h)), tf.add(s, tf.mul(ps, h)));
      const minus = f(tf.sub(x, tf.mul(px, h)), tf.sub(s, tf.mul(ps, h)));
      const [gx, gs] = tf.grads(f)([x, s]);
      return [
        tf.reshape(tf.div(tf.sub(plus, minus), 2 * h), [1]),
        tf.reshape(tf.add(tf.sum(tf.mul(gx!, px)), tf.sum(tf.mul(gs!, ps))), [1]),
      ];
    });
    expect(Math.abs(fd![0]! - an![0]!), `finite difference ${fd![0]} vs ${an![0]}`).toBeLessThanOrEqual(
      2e-3 * Math.max(1, Math.abs(an![0]!)),
    );
  });

  it('reject mismatched shapes with the kernel name', async () => {
    if (!native()) return;
    await tf.setBackend('wasm');
    const x = tf.ones([2, 3, 3, 4]);
    const s = tf.ones([2, 5]);
    expect(() => scale(x, s)).toThrow(/GanControlScaleChannels/);
    expect(() => dot(x, tf.ones([2, 3, 3, 5]))).toThrow(/GanControlChannelDot/);
    tf.dispose([x, s]);
  });
});
