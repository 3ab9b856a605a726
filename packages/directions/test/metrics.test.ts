import { describe, expect, it } from 'vitest';
import { dci, disentanglementScore, ksStatistic, matrix, mig } from '@gan-control/directions';
import type { FactorColumn } from '@gan-control/directions';
import { gaussian } from './helpers.js';

// Three latent groups of two dims. Attribute k of a perfectly disentangled generator depends on
// group k only; in the fully entangled one, every attribute mixes every group with equal weight.
const G = 3;
const S = 2;
const D = G * S;
const groups = [
  { name: 'hue', size: S },
  { name: 'size', size: S },
  { name: 'pos', size: S },
];
const signs = [
  [1, 1, 1],
  [1, -1, 1],
  [1, 1, -1],
];
const columns: FactorColumn[] = [{ attribute: 'hue' }, { attribute: 'size' }, { attribute: 'pos' }];

const groupSum = (z: ArrayLike<number>, i: number, g: number) => z[i * D + g * S] + 0.5 * z[i * D + g * S + 1];

function measure(z: ArrayLike<number>, entangled: boolean): Float32Array {
  const n = z.length / D;
  const y = new Float32Array(n * G);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < G; k++) {
      y[i * G + k] = entangled ? signs[k].reduce((s, c, g) => s + c * groupSum(z, i, g), 0) : 2 * groupSum(z, i, k) + 1;
    }
  }
  return y;
}

/** `anchors` sets of `m` samples: group `g` resampled, the rest fixed to the anchor. */
function variedSets(g: number, anchors: number, m: number, seed: number): Float32Array[] {
  const base = gaussian(anchors, D, seed);
  const fresh = gaussian(anchors * m, D, seed + 1);
  return Array.from({ length: anchors }, (_, a) => {
    const z = new Float32Array(m * D);
    for (let i = 0; i < m; i++) {
      for (let d = 0; d < D; d++) z[i * D + d] = Math.floor(d / S) === g ? fresh[(a * m + i) * D + d] : base[a * D + d];
    }
    return z;
  });
}

function ds(entangled: boolean) {
  const free = gaussian(3000, D, 1);
  const varied: Record<string, ReturnType<typeof matrix>[]> = {};
  groups.forEach((g, k) => {
    varied[g.name] = variedSets(k, 4, 300, 10 + k).map((z) => matrix(measure(z, entangled), G));
  });
  return disentanglementScore({ columns, dataset: matrix(measure(free, entangled), G), varied });
}

describe('disentanglementScore (DiscoFaceGAN / GAN-Control DS)', () => {
  it('is large for a perfectly disentangled code', () => {
    const r = ds(false);
    expect(r.varied).toEqual(['hue', 'size', 'pos']);
    for (const l of r.log10) expect(l).toBeGreaterThan(10);
    for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) if (i !== j) expect(r.sigma[i][j]).toBe(0);
  });

  it('is ≈ 1 for a fully entangled code', () => {
    const r = ds(true);
    for (const s of r.scores) expect(s).toBeGreaterThan(0.8);
    for (const s of r.scores) expect(s).toBeLessThan(1.25);
    expect(Math.abs(r.meanLog10)).toBeLessThan(0.05);
  });

  it('uses the circular spread for an angle', () => {
    const hue = Float32Array.from({ length: 400 }, (_, i) => (i % 2 ? 359 : 1));
    const other = Float32Array.from({ length: 400 }, (_, i) => (i % 7) / 7);
    const data = new Float32Array(800);
    for (let i = 0; i < 400; i++) {
      data[2 * i] = (i * 37) % 360;
      data[2 * i + 1] = other[i];
    }
    const set = new Float32Array(800);
    for (let i = 0; i < 400; i++) {
      set[2 * i] = hue[i];
      set[2 * i + 1] = 0.5;
    }
    const r = disentanglementScore({
      columns: [{ attribute: 'color', period: 360 }, { attribute: 'size' }],
      dataset: matrix(data, 2),
      varied: { color: [matrix(set, 2)] },
    });
    // 1° either side of 0: a circular σ of ≈ 1°, not the ≈ 179° a linear σ would give.
    expect(r.sigma[0][0]).toBeLessThan(0.02);
  });
});

function codes(n: number, seed: number) {
  const z = gaussian(n, D, seed);
  return { z, dis: measure(z, false), ent: measure(z, true) };
}

describe('mig (adapted to groups)', () => {
  const { z, dis, ent } = codes(5000, 3);
  it('≈ 1 for a perfectly disentangled code, naming the right group', () => {
    const r = mig({ codes: matrix(z, D), groups, factors: matrix(dis, G), columns });
    expect(r.score).toBeGreaterThan(0.9);
    expect(r.factors.map((f) => f.best)).toEqual(['hue', 'size', 'pos']);
  });
  it('≈ 0 for a fully entangled code', () => {
    const r = mig({ codes: matrix(z, D), groups, factors: matrix(ent, G), columns });
    expect(r.score).toBeLessThan(0.1);
  });
  it('handles an angle factor (binned over its period)', () => {
    const hue = Float32Array.from({ length: 5000 }, (_, i) => {
      const a = (Math.atan2(z[i * D + 1], z[i * D]) * 180) / Math.PI;
      return a < 0 ? a + 360 : a;
    });
    const r = mig({ codes: matrix(z, D), groups, factors: matrix(hue, 1), columns: [{ attribute: 'color', value: 'hue', period: 360 }] });
    expect(r.factors[0].best).toBe('hue');
    expect(r.score).toBeGreaterThan(0.8);
  });
  it('is deterministic', () => {
    const a = mig({ codes: matrix(z, D), groups, factors: matrix(dis, G), columns });
    expect(mig({ codes: matrix(z, D), groups, factors: matrix(dis, G), columns })).toEqual(a);
  });
});

describe('dci (adapted to groups)', () => {
  const { z, dis, ent } = codes(3000, 4);
  it('D ≈ 1, C ≈ 1, I ≈ 1 for a perfectly disentangled code', () => {
    const r = dci({ codes: matrix(z, D), groups, factors: matrix(dis, G), columns });
    expect(r.disentanglement).toBeGreaterThan(0.95);
    expect(r.completeness).toBeGreaterThan(0.95);
    expect(r.informativeness).toBeGreaterThan(0.99);
    expect(r.importance[0][0]).toBeGreaterThan(100 * r.importance[0][1]);
  });
  it('D and C low for a fully entangled code (still informative)', () => {
    const r = dci({ codes: matrix(z, D), groups, factors: matrix(ent, G), columns });
    expect(r.disentanglement).toBeLessThan(0.05);
    expect(r.completeness).toBeLessThan(0.05);
    expect(r.informativeness).toBeGreaterThan(0.99);
  });
  it('rejects groups that do not cover the code', () => {
    expect(() => dci({ codes: matrix(z, D), groups: groups.slice(1), factors: matrix(dis, G), columns })).toThrow(/groups cover 4 dims/);
  });
  it('is deterministic', () => {
    const a = dci({ codes: matrix(z, D), groups, factors: matrix(ent, G), columns });
    expect(dci({ codes: matrix(z, D), groups, factors: matrix(ent, G), columns })).toEqual(a);
  });
});

describe('ksStatistic (two-sample Kolmogorov–Smirnov)', () => {
  it('0 for the same sample, 1 for disjoint ones, the exact sup-distance otherwise', () => {
    expect(ksStatistic([3, 1, 2], [1, 2, 3]).statistic).toBe(0);
    expect(ksStatistic([0, 1], [2, 3]).statistic).toBe(1);
    // F_a jumps to 1/4, 2/4, 3/4, 1 at 1, 2, 3, 4; F_b to 1/2, 1 at 3, 4: the largest gap is 2/4 at 2.
    expect(ksStatistic([1, 2, 3, 4], [3, 4]).statistic).toBe(0.5);
    // Ties count on both sides at once (the step at a shared value is compared after both jump).
    expect(ksStatistic([1, 1, 2], [1, 2, 2]).statistic).toBeCloseTo(1 / 3, 12);
  });

  it('leaves out values that are not finite, gives the α = 0.05 critical value, and refuses an empty sample', () => {
    const r = ksStatistic([1, NaN, 2, Infinity], [1, 2]);
    expect(r).toEqual({ statistic: 0, critical05: 1.358 * Math.sqrt(4 / 4), n: 2, m: 2 });
    expect(() => ksStatistic([NaN], [1])).toThrow(expect.objectContaining({ code: 'DIRECTIONS_DEGENERATE' }));
  });

  it('two samples of one distribution stay under the critical value; a shifted one does not', () => {
    const a = gaussian(1000, 1, 61);
    const b = gaussian(1000, 1, 62);
    const shifted = b.map((v) => v + 0.5);
    const same = ksStatistic(a, b);
    expect(same.statistic).toBeLessThan(same.critical05);
    expect(ksStatistic(a, shifted).statistic).toBeGreaterThan(3 * same.critical05);
  });
});
