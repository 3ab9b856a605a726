// One regression test per stock-tfjs bug this package works around, plus the gradients of the
// other kernels a StyleGAN2 / GAN-Control training step differentiates, wasm against cpu.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../src/index.js';
import { expectClose, on, randT } from './helpers.js';

beforeAll(async () => {
  await setupBackend('wasm');
  await tf.setBackend('cpu');
});

describe('MaxPoolGrad', () => {
  it('routes the gradient of windows whose maximum is negative (stock wasm drops it)', async () => {
    const run = () => {
      // Every value negative: the stock wasm kernel gave an all-zero gradient here.
      const x = tf.sub(tf.abs(randT([2, 5, 6, 3], 21)), 2);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same'), randT([2, 3, 3, 3], 22))))([x]);
      return [dx!];
    };
    const [got] = await on('wasm', run);
    const [ref] = await on('cpu', run);
    expect(got!.some((v) => v !== 0)).toBe(true);
    expectClose(got!, ref!, 1e-6, 'maxPool dx, negative windows');
  });

  it.each([
    { k: 3, s: 2, pad: 'valid' as const },
    { k: 3, s: 1, pad: 'same' as const },
    { k: 2, s: 2, pad: 'valid' as const },
  ])('matches cpu over window/stride/padding %o', async ({ k, s, pad }) => {
    const run = () => {
      const x = randT([3, 7, 6, 2], 23);
      const y = tf.maxPool(x as tf.Tensor4D, k, s, pad);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), randT(y.shape, 24))))([x]);
      return [y, dx!];
    };
    const got = await on('wasm', run);
    const ref = await on('cpu', run);
    expectClose(got[0]!, ref[0]!, 1e-6, 'maxPool');
    expectClose(got[1]!, ref[1]!, 1e-6, 'maxPool dx');
  });
});

describe('ResizeNearestNeighborGrad', () => {
  // The stock cpu kernel read dy with the images' batch stride: wrong for batch > 1 whenever the
  // sizes differ, and it ignored halfPixelCenters. The reference here is the exact vjp of the
  // forward: the gradient of sum(resize(x) · r) w.r.t. x is resize's adjoint applied to r.
  it.each([
    { size: [8, 6] as [number, number], alignCorners: false, halfPixelCenters: false },
    { size: [3, 5] as [number, number], alignCorners: true, halfPixelCenters: false },
    { size: [9, 7] as [number, number], alignCorners: false, halfPixelCenters: true },
  ])('is the adjoint of the forward for batch 3, on cpu and wasm: %o', async ({ size, alignCorners, halfPixelCenters }) => {
    for (const backend of ['cpu', 'wasm']) {
      const [y, dx, x, r] = await on(backend, () => {
        const xx = randT([3, 4, 5, 2], 25);
        const yy = tf.image.resizeNearestNeighbor(xx as tf.Tensor4D, size, alignCorners, halfPixelCenters);
        const rr = randT(yy.shape, 26);
        const [g] = tf.grads((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners, halfPixelCenters), rr)),
        )([xx]);
        return [yy, g!, xx, rr];
      });
      // <resize(x), r> = <x, dx> for the linear map resize, checked per batch image.
      const per = (a: Float32Array, b: Float32Array, n: number) => {
        const out = new Float64Array(3);
        for (let i = 0; i < a.length; i++) out[Math.floor(i / n)]! += a[i]! * b[i]!;
        return out;
      };
      const lhs = per(y!, r!, y!.length / 3);
      const rhs = per(x!, dx!, x!.length / 3);
      for (let b = 0; b < 3; b++) expect(Math.abs(lhs[b]! - rhs[b]!), `${backend} batch ${b}`).toBeLessThan(1e-4);
    }
  });
});

describe('ResizeBilinearGrad', () => {
  // Stock cpu returned shape [N,W,H,C] (wrong for non-square images); both stock kernels ignored
  // halfPixelCenters. The reference is the adjoint identity <resize(x), r> = <x, dx> per image.
  it.each([
    { size: [7, 9] as [number, number], alignCorners: false, halfPixelCenters: false },
    { size: [3, 2] as [number, number], alignCorners: true, halfPixelCenters: false },
    { size: [9, 7] as [number, number], alignCorners: false, halfPixelCenters: true },
    { size: [2, 3] as [number, number], alignCorners: false, halfPixelCenters: true },
  ])('is the adjoint of the forward for non-square batch 3, on cpu and wasm: %o', async ({ size, alignCorners, halfPixelCenters }) => {
    for (const backend of ['cpu', 'wasm']) {
      const [y, dx, x, r] = await on(backend, () => {
        const xx = randT([3, 4, 5, 2], 41);
        const yy = tf.image.resizeBilinear(xx as tf.Tensor4D, size, alignCorners, halfPixelCenters);
        const rr = randT(yy.shape, 42);
        const [g] = tf.grads((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.image.resizeBilinear(a as tf.Tensor4D, size, alignCorners, halfPixelCenters), rr)),
        )([xx]);
        return [yy, g!, xx, rr];
      });
      expect(dx!.length).toBe(x!.length);
      const per = (a: Float32Array, b: Float32Array, n: number) => {
        const out = new Float64Array(3);
        for (let i = 0; i < a.length; i++) out[Math.floor(i / n)]! += a[i]! * b[i]!;
        return out;
      };
      const lhs = per(y!, r!, y!.length / 3);
      const rhs = per(x!, dx!, x!.length / 3);
      for (let b = 0; b < 3; b++) expect(Math.abs(lhs[b]! - rhs[b]!), `${backend} batch ${b}`).toBeLessThan(1e-4);
    }
  });
});

describe('gather gradient (UnsortedSegmentSum, missing from stock wasm)', () => {
  it('matches cpu', async () => {
    const run = () => {
      const x = randT([5, 3], 27);
      const idx = tf.tensor1d([4, 0, 0, 2, 4, 4], 'int32');
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, idx), randT([6, 3], 28))))([x]);
      return [dx!];
    };
    expectClose((await on('wasm', run))[0]!, (await on('cpu', run))[0]!, 1e-6, 'gather dx');
  });
});

describe('other kernels a StyleGAN2 step differentiates: wasm matches cpu', () => {
  const x4 = () => randT([2, 5, 4, 3], 31);
  const ops: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    matMul: (x) => tf.matMul(tf.reshape(x, [8, 15]), randT([15, 4], 32)),
    matMulTransposed: (x) => tf.matMul(tf.reshape(x, [15, 8]), randT([4, 15], 33), true, true),
    batchMatMul: (x) => tf.matMul(tf.reshape(x, [2, 10, 6]), randT([2, 6, 3], 34)),
    pad: (x) =>
      tf.pad(x, [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 1],
      ]),
    padReflect: (x) =>
      tf.mirrorPad(
        x,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        'reflect',
      ),
    transposeSliceConcat: (x) =>
      tf.concat([tf.slice(tf.transpose(x, [0, 2, 1, 3]), [0, 1, 0, 0], [2, 2, 5, 3]), tf.reverse(tf.transpose(x, [0, 2, 1, 3]), [1])], 1),
    leakyRelu: (x) => tf.leakyRelu(x, 0.2),
    prelu: (x) => tf.prelu(x, tf.fill([3], 0.2)),
    rsqrtSquareMean: (x) => tf.rsqrt(tf.add(tf.mean(tf.square(x), [1, 2], true), 1e-8)),
    sqrtSum: (x) => tf.sqrt(tf.add(tf.sum(tf.square(x), -1), 1)),
    where: (x) => tf.where(tf.greater(randT(x.shape, 40), 0), tf.mul(x, 2), tf.exp(x)),
    softplusLog: (x) => tf.log(tf.add(tf.exp(tf.neg(tf.abs(x))), 1)),
    sigmoidTanh: (x) => tf.mul(tf.sigmoid(x), tf.tanh(x)),
    divPowMax: (x) => tf.div(tf.pow(tf.abs(x), 1.5), tf.maximum(tf.abs(x), 0.5)),
    tileBroadcast: (x) => tf.mul(tf.tile(x, [1, 2, 1, 1]), randT([1, 10, 1, 3], 35)),
    avgPool: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
    resizeBilinear: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [7, 9], false, true),
    resizeBilinearDown: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [3, 2], true),
    conv2dFusedLikeStyleGan: (x) =>
      tf.leakyRelu(
        tf.add(
          tf.conv2d(tf.mul(x, randT([2, 1, 1, 3], 36)) as tf.Tensor4D, randT([3, 3, 3, 4], 37) as tf.Tensor4D, 1, 'same'),
          randT([4], 38),
        ),
        0.2,
      ),
    logSoftmax: (x) => tf.logSoftmax(tf.reshape(x, [6, 20])),
    stackUnstack: (x) => tf.stack(tf.unstack(x, 1).reverse(), 2),
    cumsumLastAxis: (x) => tf.cumsum(x, 3),
    absSign: (x) => tf.mul(tf.abs(x), tf.sign(x)),
    clip: (x) => tf.clipByValue(x, -0.3, 0.4),
    minimumSquaredDifference: (x) => tf.minimum(tf.squaredDifference(x, 0.3), 0.5),
    norm: (x) => tf.norm(tf.reshape(x, [2, 60]), 'euclidean', 1),
  };
  it.each(Object.keys(ops))('%s', async (name) => {
    const run = () => {
      const x = x4();
      const y = ops[name]!(x);
      const r = randT(y.shape, 39);
      const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(ops[name]!(a), r)))([x]);
      return [y, dx!];
    };
    const got = await on('wasm', run);
    const ref = await on('cpu', run);
    expectClose(got[0]!, ref[0]!, 1e-5, `${name} forward`);
    expectClose(got[1]!, ref[1]!, 1e-5, `${name} gradient`);
  });
});
