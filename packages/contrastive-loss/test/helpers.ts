// Local test helpers. (The shared ones live in @gan-control/test-utils, which depends on this
// package; importing it from here would make a dependency cycle in the build graph.)
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `fn` and asserts that it leaves exactly `allowed` new tensors alive (those it returns). */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>, allowed = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  expect(tf.memory().numTensors - before, 'tensors leaked').toBe(allowed);
  return result;
}

/** |actual − expected| ≤ rtol·|expected| + atol, element-wise, with a readable failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (rtol * Math.abs(expected[i]) + atol);
    if (excess > worstExcess || Number.isNaN(actual[i])) {
      worstExcess = Number.isNaN(actual[i]) ? Infinity : excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

export function flatten(values: unknown): number[] {
  return Array.isArray(values) ? values.flatMap(flatten) : [values as number];
}
