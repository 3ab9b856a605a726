// Local test helpers of this package's tests. (The leak check is the shared one from
// @gan-control/test-utils.)
import { expect } from 'vitest';

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
