// The comparison metrics of `evaluate --compare` on synthetic measurements with known answers: a
// method that shows exactly what it was asked (and keeps everything else) against one whose every
// linear value follows the mean of all requests (fully entangled).
import { describe, expect, it } from 'vitest';
import { createRng } from '@gan-control/latent';
import type { ControlReport, EvaluateMeasurements } from '@gan-control/encoders';
import { comparisonMetrics } from '../src/compare.js';

const attributes = [
  { key: 'a', values: [{ name: 'a', unit: 'u' }], periods: [undefined] },
  { key: 'b', values: [{ name: 'b', unit: 'u' }], periods: [undefined] },
  { key: 'h', values: [{ name: 'hue', unit: 'deg' }], periods: [360] },
];

/** Random values of the three attributes: a, b uniform in [0, 10), h uniform in [0, 360). */
function draw(rng: ReturnType<typeof createRng>): Record<string, number[]> {
  return { a: [10 * rng.nextFloat()], b: [10 * rng.nextFloat()], h: [360 * rng.nextFloat()] };
}

/**
 * 24 seeds × 3 swept attributes × 7 steps. `respond(asked)` turns what was asked of every attribute
 * (the requested value for the swept one, the base's for the others) into what is measured.
 */
function measurements(respond: (asked: Record<string, number[]>, target: string) => Record<string, number[]>): EvaluateMeasurements {
  const rng = createRng(5);
  const random: Record<string, number[][]> = { a: [], b: [], h: [] };
  for (let i = 0; i < 400; i++) for (const [k, v] of Object.entries(draw(rng))) random[k].push(v);
  const sweeps: EvaluateMeasurements['sweeps'][number][] = [];
  for (const target of ['a', 'b', 'h']) {
    for (let seed = 0; seed < 24; seed++) {
      const base = draw(rng);
      const requested = Array.from({ length: 7 }, (_, s) => [target === 'h' ? (360 * s) / 7 : 0.5 + (9 * s) / 6]);
      const swept: Record<string, number[][]> = { a: [], b: [], h: [] };
      for (const req of requested) for (const [k, v] of Object.entries(respond({ ...base, [target]: req }, target))) swept[k].push(v);
      sweeps.push({ target, seed, requested, base, swept });
    }
  }
  return { attributes, random, sweeps };
}

const report = (leak: Record<string, Record<string, number>>) =>
  Object.fromEntries(Object.entries(leak).map(([k, leakage]) => [k, { leakage }])) as unknown as ControlReport;

describe('comparisonMetrics', () => {
  it('a method that shows exactly what it was asked: DS ≫ 1, MIG high, D = C = I = 1, no leakage', async () => {
    const m = await comparisonMetrics(
      measurements((asked) => asked),
      report({ a: { b: 0, h: 0 }, b: { a: 0.01, h: 0 }, h: { a: 0, b: 0.002 } }),
    );
    console.log(
      `exact: DS ${m.ds.meanLog10.toFixed(2)}, MIG ${m.mig!.score.toFixed(3)}, DCI ${m.dci.disentanglement.toFixed(3)}/${m.dci.completeness.toFixed(3)}/${m.dci.informativeness.toFixed(3)}`,
    );
    expect(m.worstLeakage).toEqual({ value: 0.01, swept: 'b', into: 'a' });
    // Nothing else moves within a sweep: σ_j = 0 (floored at 1e-6), so log10 DS_i ≈ 2·log10(σ_i/1e-6) > 10.
    for (const k of ['a', 'b', 'h']) expect(m.ds.log10[k]).toBeGreaterThan(10);
    expect(m.dci.disentanglement).toBeGreaterThan(0.99);
    expect(m.dci.completeness).toBeGreaterThan(0.99);
    expect(m.dci.informativeness).toBeGreaterThan(0.99);
    // Binned MI of independent codes is biased upward (20 bins, 504 rows), so the gap stays below 1.
    expect(m.mig!.score).toBeGreaterThan(0.6);
    expect(m.mig!.factors['a.a'].best).toBe('a');
    expect(m.mig!.factors['h.hue'].best).toBe('h');
    expect(m.realism).toBeUndefined();
  });

  it('a fully entangled method (a and b both show the mean of what was asked of them): the a–b factor of DS is 1, MIG ≈ 0, D and C low', async () => {
    const exact = await comparisonMetrics(
      measurements((asked) => asked),
      report({}),
    );
    const m = await comparisonMetrics(
      measurements((asked) => {
        const mix = (asked.a[0] + asked.b[0]) / 2;
        return { a: [mix], b: [mix], h: asked.h };
      }),
      report({}),
    );
    console.log(
      `entangled: DS ${JSON.stringify(m.ds.log10)}, MIG ${m.mig!.score.toFixed(3)}, DCI ${m.dci.disentanglement.toFixed(3)}/${m.dci.completeness.toFixed(3)}`,
    );
    expect(m.worstLeakage).toBeNull();
    // Exact: log10 DS_a = log10(σ_a/ε) [over b] + log10(σ_a/ε) [over h]. Entangled: sweeping a moves a
    // and b alike (σ_a/σ_b = 1, a factor of 1) and a by half as much: log10 DS_a = log10(σ_a/2ε).
    for (const k of ['a', 'b'] as const) expect(m.ds.log10[k]).toBeCloseTo(exact.ds.log10[k] / 2 - Math.log10(2), 1);
    expect(m.mig!.factors['a.a'].gap).toBeLessThan(0.1);
    expect(m.mig!.factors['b.b'].gap).toBeLessThan(0.1);
    expect(m.dci.completeness).toBeLessThan(0.8);
    expect(m.dci.disentanglement).toBeLessThan(0.8);
  });

  it('realism: KS 0 against the same sample, large against a shifted one', async () => {
    const exact = measurements((asked) => asked);
    const same = await comparisonMetrics(exact, report({}), { describe: 'same', rows: exact.random });
    expect(Object.values(same.realism!.ks)).toEqual([0, 0, 0]);
    const shifted = Object.fromEntries(
      Object.entries(exact.random).map(([k, rows]) => [k, rows.map((r) => [k === 'h' ? r[0] : r[0] + 5])]),
    );
    const off = await comparisonMetrics(exact, report({}), { describe: 'shifted', rows: shifted });
    expect(off.realism!.ks['a.a']).toBeGreaterThan(0.4);
    expect(off.realism!.ks['h.hue']).toBe(0);
    expect(off.realism!.critical05).toBeCloseTo(1.358 * Math.sqrt(2 / 400), 12);
  });
});
