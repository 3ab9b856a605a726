import { describe, expect, it } from 'vitest';
import { matrix, nameComponents, pca, projectComponents, shiftComponent } from '@gan-control/directions';
import { cosine, gaussian, rng } from './helpers.js';

const D = 6;
const N = 4000;
const sigmas = [5, 3, 2, 1, 0.5, 0.2];

// A random orthonormal basis (Gram–Schmidt of Gaussian vectors): the true principal axes.
function axes(seed: number): number[][] {
  const r = rng(seed);
  const basis: number[][] = [];
  while (basis.length < D) {
    const v = Array.from({ length: D }, () => r.normal());
    for (const q of basis) {
      const p = v.reduce((s, x, i) => s + x * q[i], 0);
      for (let i = 0; i < D; i++) v[i] -= p * q[i];
    }
    const n = Math.hypot(...v);
    basis.push(v.map((x) => x / n));
  }
  return basis;
}

function anisotropic(seed: number) {
  const R = axes(seed);
  const z = gaussian(N, D, seed + 1);
  const w = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < D; k++) {
      const c = sigmas[k] * z[i * D + k];
      for (let a = 0; a < D; a++) w[i * D + a] += c * R[k][a] + (a === 0 ? 1 : 0) * (k === 0 ? 0.5 : 0);
    }
  }
  return { R, z, w };
}

describe('pca (GANSpace)', () => {
  const { R, z, w } = anisotropic(5);
  const p = pca(matrix(w, D), { components: 4 });

  it('recovers the principal axes and variances of an anisotropic Gaussian', () => {
    expect(p.components).toHaveLength(4);
    for (let k = 0; k < 4; k++) {
      expect(Math.abs(cosine(p.components[k], R[k]))).toBeGreaterThan(0.99);
      expect(Math.sqrt(p.variance[k]) / sigmas[k]).toBeCloseTo(1, 1);
      expect(Math.max(...p.components[k].map(Math.abs))).toBe(Math.max(...p.components[k]));
    }
    const total = sigmas.reduce((s, v) => s + v * v, 0);
    expect(p.explained[0]).toBeCloseTo(25 / total, 1);
    expect(p.mean[0]).toBeCloseTo(0.5, 0);
    expect(p.variance[0]).toBeGreaterThan(p.variance[1]);
  });

  it('names each component by its correlation with the measured values, with sign', () => {
    // Two measured values: y0 follows the second axis, y1 (an angle) the first.
    const r = rng(9);
    const y = new Float32Array(N * 2);
    for (let i = 0; i < N; i++) {
      y[2 * i] = -z[i * D + 1] + 0.1 * r.normal();
      y[2 * i + 1] = (((z[i * D] * 40) % 360) + 360) % 360;
    }
    const names = nameComponents(p, matrix(w, D), matrix(y, 2), [
      { attribute: 'size', value: 'size' },
      { attribute: 'color', value: 'hue', period: 360 },
    ]);
    expect(names[1].best?.key).toBe('size.size');
    const sign = Math.sign(cosine(p.components[1], R[1]));
    expect(names[1].label).toBe(sign > 0 ? '-size.size' : '+size.size');
    expect(names[0].best?.key).toBe('color.hue');
    expect(names[0].correlations).toHaveLength(2);
    expect(names[3].label).toBe('?');
  });

  it('shiftComponent moves the score by sigmas·σ', () => {
    const w0 = w.slice(0, 3 * D);
    const moved = shiftComponent(w0, p, 0, 2);
    const s0 = projectComponents(matrix(w0, D), p);
    const s1 = projectComponents(matrix(moved, D), p);
    for (let i = 0; i < 3; i++) expect(s1.data[i * 4] - s0.data[i * 4]).toBeCloseTo(2 * Math.sqrt(p.variance[0]), 3);
  });

  it('is deterministic', () => {
    expect(pca(matrix(w, D), { components: 4 })).toEqual(p);
  });
});

describe('symmetricEigen (Householder + QL)', () => {
  it('decomposes a random symmetric matrix: A v = λ v, orthonormal, descending', async () => {
    const { symmetricEigen } = await import('../src/matrix.js');
    for (const n of [1, 2, 7, 40]) {
      const r = rng(n);
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = r.normal();
      const { values, vectors } = symmetricEigen(A, n);
      for (let k = 0; k < n; k++) {
        if (k) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += A[i * n + j] * vectors[k][j];
          expect(av).toBeCloseTo(values[k] * vectors[k][i], 9);
        }
        for (let l = 0; l <= k; l++) expect(vectors[k].reduce((s, x, i) => s + x * vectors[l][i], 0)).toBeCloseTo(k === l ? 1 : 0, 9);
      }
    }
  });
});
