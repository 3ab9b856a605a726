import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@gan-control/test-utils';
import { expect } from 'vitest';
import { setNativeThreads } from '../src/index.js';

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
export function rand(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** A tensor of shape `shape` filled with `rand`. */
export function randT(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    rand(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** Runs `fn` on backend `name` and returns the values of the tensors it returns, leak-free. */
export async function on(name: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return expectNoLeaks(
      () => {
        const outs = tf.tidy(fn);
        const vals = outs.map((t) => t.dataSync() as Float32Array);
        tf.dispose(outs);
        return vals;
      },
      { label: name },
    );
  } finally {
    await tf.setBackend(previous);
  }
}

/** max |a − b| ≤ tol · max(1, max |b|), with the worst index in the message. */
export function expectClose(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let worst = 0;
  let at = -1;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst) || Number.isNaN(d)) {
      worst = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
  }
  expect(worst, `${what}: worst at ${at}: ${a[at]} vs ${b[at]} (scale ${scale})`).toBeLessThanOrEqual(tol * scale);
}

/** Runs `fn` on cpu (the stock reference kernels) and on wasm with 1 and 3 native threads; compares every output. */
export async function matchesCpu(fn: () => tf.Tensor[], tol: number, what: string): Promise<void> {
  const ref = await on('cpu', fn);
  for (const threads of [1, 3]) {
    await setNativeThreads(threads);
    const got = await on('wasm', fn);
    for (let i = 0; i < ref.length; i++) expectClose(got[i]!, ref[i]!, tol, `${what}: output ${i}, ${threads} threads`);
  }
  await setNativeThreads();
}
