// The value regressor in an unpartitioned W on the toy generator: tilt (x, y) is exactly (w[5], w[6])
// (the red channel's gradient, test/toy.ts: the other terms are orthogonal to the gradient grids),
// so a regressor trained to the whole w must move w along those two dims by the requested change,
// reach the requested tilt, and (residual edit) leave the other attributes as they were.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, trackTensors } from '@gan-control/test-utils';
import { createRng, sampleLatents } from '@gan-control/latent';
import { evaluateMethod, regressionEdit, regressionMethod, regressionRows, trainEncoder } from '../src/index.js';
import type { AttributeEncoder } from '../src/index.js';
import { brightAttribute, createToyGenerator, hueAttribute, tiltAttribute } from './toy.js';

const G = createToyGenerator();
const attributes = { bright: brightAttribute(), hue: hueAttribute(), tilt: tiltAttribute() };
let tilt: AttributeEncoder;
let relativeValError: number;

/** N sampled w `[N, 10]` and their measured tilt `[N, 2]`. */
function sample(n: number, seed: number): { w: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const ws = G.mapping(sampleLatents(G.zDim, n, createRng(seed)));
    const y = attributes.tilt.measure!(G.synthesis(ws));
    const w = tf.reshape(tf.slice(ws, [0, 0, 0], [n, 1, G.wDim]), [n, G.wDim]);
    return { w: w.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
  });
}

beforeAll(async () => {
  const { w, y } = sample(1024, 7);
  const rows = regressionRows({
    attribute: 'tilt',
    values: [
      { name: 'x', unit: 'slope' },
      { name: 'y', unit: 'slope' },
    ],
    y,
    w,
    wDim: G.wDim,
  });
  expect(rows.wSlice).toEqual({ offset: 0, size: 10 });
  const trained = await trainEncoder({
    data: rows,
    epochs: 40,
    seed: 1,
    batchSize: 64,
    learningRate: 5e-3,
    patience: 8,
    architecture: { hidden: [32, 32] },
  });
  tilt = trained.encoder;
  relativeValError = trained.metrics.relativeValError;
});
afterAll(() => {
  tilt?.dispose();
  G.dispose();
});

describe('value regressor (unpartitioned W)', () => {
  it('learns E[w | tilt]: a residual edit moves w along the known dims w[5], w[6] only', () => {
    // Tilt explains 2 of the 10 dims of w: the whole-w error can only fall by about that share.
    expect(relativeValError).toBeLessThan(0.9);
    const { w } = sample(1, 3);
    const [measured, edited] = expectNoLeaks(() => {
      const measured = tf.tidy(() =>
        Array.from(
          attributes.tilt.measure!(G.synthesis(tf.tile(tf.reshape(tf.tensor2d(w, [1, 10]), [1, 1, 10]), [1, G.numWs, 1]))).dataSync(),
        ),
      );
      return [measured, regressionEdit(tilt, w, [[measured[0] + 0.5, measured[1] - 0.5]], { mode: 'residual', measured })] as const;
    });
    const dw = Array.from(edited, (v, i) => v - w[i]);
    const along = Math.hypot(dw[5], dw[6]);
    const across = Math.hypot(...dw.filter((_, i) => i !== 5 && i !== 6));
    console.log(`Δw along w[5], w[6] ${along.toFixed(3)}, across ${across.toFixed(3)}`);
    // The exact answer is Δw[5] = +0.5, Δw[6] = −0.5 and nothing else; an edit that had not found
    // the structure would spread over all 10 dims (across/along ≈ 2 for a random direction).
    expect(dw[5]).toBeCloseTo(0.5, 1);
    expect(dw[6]).toBeCloseTo(-0.5, 1);
    expect(across).toBeLessThan(0.25 * along);
    // Replace mode is E(y*) itself: nothing of w is kept.
    const replaced = regressionEdit(tilt, w, [[measured[0], measured[1]]], { mode: 'replace' });
    expect(Math.hypot(...Array.from(replaced, (v, i) => v - w[i]))).toBeGreaterThan(0.5);
    expect(() => regressionEdit(tilt, w.subarray(0, 5), [[0, 0]], { mode: 'replace' })).toThrow(/whole w/);
    expect(() => regressionEdit(tilt, w, [[0, 0]], { mode: 'residual' })).toThrow(/measured values/);
  });

  it('evaluateMethod: reaches the requested tilt; residual keeps the other attributes, replace does not; deterministic', async () => {
    const opts = { seeds: 3, steps: 5, rangeSamples: 96, seed: 2, batchSize: 32, only: ['tilt'] };
    const leaks = trackTensors();
    const residual = await evaluateMethod(regressionMethod(G, [tilt], attributes), attributes, opts);
    const again = await evaluateMethod(regressionMethod(G, [tilt], attributes), attributes, opts);
    const replace = await evaluateMethod(regressionMethod(G, [tilt], attributes, { mode: 'replace' }), attributes, opts);
    leaks.expectAlive(0);
    expect(again).toEqual(residual);
    const r = residual.tilt;
    const width = r.range[1] - r.range[0];
    console.log(
      `tilt: residual error ${r.meanError.toPrecision(3)} (range ${width.toPrecision(3)}), leakage ${JSON.stringify(r.leakage)}; replace ${replace.tilt.meanError.toPrecision(3)}, leakage ${JSON.stringify(replace.tilt.leakage)}`,
    );
    expect(r.meanError / width).toBeLessThan(0.05);
    for (const l of Object.values(r.leakage)) expect(l).toBeLessThan(0.02);
    // Replacing w by E[w | tilt] redraws brightness and hue toward their conditional means.
    expect(replace.tilt.leakage.hue).toBeGreaterThan(5 * r.leakage.hue);
    expect(replace.tilt.leakage.bright).toBeGreaterThan(5 * r.leakage.bright);
  });
});
