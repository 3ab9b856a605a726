import { expect, it } from 'vitest';
import {
  fitDirections,
  matrix,
  nameComponents,
  parseDirections,
  pca,
  predict,
  serializeDirections,
  setTo,
  shift,
} from '@gan-control/directions';
import { angleDiff, gaussian, rowDot, unit } from './helpers.js';

// The README's "Use" example, on a toy w where hue and size are known functions of w.
it('runs the README example', () => {
  const D = 32;
  const N = 1500;
  const w = gaussian(N, D, 51);
  const [u, v, s] = [unit(D, 52), unit(D, 53), unit(D, 54)];
  const y = new Float32Array(N * 2);
  for (let i = 0; i < N; i++) {
    const h = (Math.atan2(rowDot(w, i, v), rowDot(w, i, u)) * 180) / Math.PI;
    y[2 * i] = h < 0 ? h + 360 : h;
    y[2 * i + 1] = 0.3 + 0.05 * rowDot(w, i, s);
  }
  const W = matrix(w, D);
  const Y = matrix(y, 2);
  const [hue, size] = fitDirections(W, Y, {
    values: [
      { kind: 'circular', attribute: 'color', value: 'hue', unit: 'deg', period: 360 },
      { kind: 'linear', attribute: 'size', value: 'size', unit: 'fraction' },
    ],
  });
  const w0 = w.slice(0, D);
  expect(angleDiff(predict(shift(w0, hue, 40), hue)[0], predict(w0, hue)[0])).toBeCloseTo(40, 3);
  const red = setTo(w0, hue, 0, { keep: [size] });
  expect(Math.abs(angleDiff(predict(red, hue)[0], 0))).toBeLessThan(1e-3);
  expect(predict(red, size)[0]).toBeCloseTo(predict(w0, size)[0], 5);
  const components = pca(W, { components: 10 });
  const names = nameComponents(components, W, Y, [
    { attribute: 'color', value: 'hue', period: 360 },
    { attribute: 'size', value: 'size' },
  ]);
  expect(names).toHaveLength(10);
  const text = serializeDirections({ dim: D, directions: [hue, size], components });
  expect(parseDirections(text).directions).toHaveLength(2);
});
