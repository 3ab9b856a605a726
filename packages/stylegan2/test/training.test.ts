import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import {
  createDiscriminator,
  createGenerator,
  discriminatorLogistic,
  emaBeta,
  generatorLogisticNS,
  lazyRegularizationAdam,
  mixStyles,
  PathLengthRegularizer,
  pathLengths,
  r1Penalty,
  sampleMixingCutoff,
  updateEma,
  type Discriminator,
  type Generator,
} from '../src/index.js';
import { TINY_D, TINY_G } from './helpers.js';

const val = (t: tf.Tensor) => t.dataSync()[0];

/**
 * Checks the analytic gradient of `loss` w.r.t. `v` (from `tf.variableGrads`; for R1 and path
 * length a second-order gradient) against a central finite difference along single coordinates.
 * R1 and path length are only piecewise smooth in the weights (the lrelu masks of the inner
 * gradient flip), and a difference quotient that straddles a flip is meaningless, so a coordinate
 * is accepted only if the quotients at ε and ε/2 agree; the coordinates tried are those with the
 * largest gradients (best signal to float32 noise), in order.
 */
function coordinateCheck(loss: () => tf.Scalar, v: tf.Variable, eps: number): { analytic: number; numeric: number; tries: number } {
  const { value, grads } = tf.variableGrads(loss, [v]);
  const g = Array.from(grads[v.name].dataSync());
  tf.dispose([value, ...Object.values(grads)]);
  const order = g
    .map((x, i) => [Math.abs(x), i])
    .sort((p, q) => q[0] - p[0])
    .map((p) => p[1]);
  const orig = tf.clone(v);
  const base = orig.dataSync();
  let last = { analytic: NaN, numeric: NaN, tries: 0 };
  for (let attempt = 0; attempt < Math.min(6, order.length); attempt++) {
    const idx = order[attempt];
    const at = (s: number) => {
      const d = Float32Array.from(base);
      d[idx] += s;
      v.assign(tf.tensor(d, v.shape));
      return tf.tidy(() => val(loss()));
    };
    const n1 = (at(eps) - at(-eps)) / (2 * eps);
    const n2 = (at(eps / 2) - at(-eps / 2)) / eps;
    last = { analytic: g[idx], numeric: n1, tries: attempt + 1 };
    if (Math.abs(n1 - n2) <= 0.01 * Math.abs(n1)) break;
  }
  v.assign(orig);
  orig.dispose();
  return last;
}

function nets(): { G: Generator; D: Discriminator } {
  const G = createGenerator(TINY_G, { seed: 11 });
  const D = createDiscriminator(TINY_D, { seed: 12 });
  // Non-trivial biases and noise strengths (zero-initialised parameters hide bugs).
  for (const [k, t] of Object.entries({ ...G.variables(), ...D.variables() })) {
    if (k.endsWith('noise_strength')) t.assign(tf.scalar(0.3));
    else if (k.endsWith('.bias') && !k.includes('affine') && !k.startsWith('mapping'))
      t.assign(tf.randomNormal(t.shape, 0, 0.1, 'float32', k.length));
  }
  return { G, D };
}

describe('second-order gradients (finite differences)', () => {
  it('R1 penalty is differentiable w.r.t. D weights (conv, down-FIR, mbstd, fc)', () => {
    const { D, G } = nets();
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const loss = () => tf.tidy(() => tf.mean(r1Penalty((t) => D.logits(t), x).penalty) as tf.Scalar);
    const v = D.variables();
    for (const [i, name] of [
      'b8.conv0.weight',
      'b8.conv1.weight',
      'b8.skip.weight',
      'b8.fromrgb.weight',
      'b4.conv.weight',
      'b4.fc.weight',
    ].entries()) {
      const { analytic, numeric, tries } = coordinateCheck(loss, v[name], 1e-3);
      expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic} vs numeric ${numeric} (${tries} coordinates tried)`).toBeLessThan(
        2e-2 * Math.abs(numeric),
      );
    }
    x.dispose();
    G.dispose();
    D.dispose();
  });

  it('path length is differentiable w.r.t. G weights (modulated conv, up-conv, demod, noise, toRGB, mapping)', () => {
    const { G, D } = nets();
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 4) as tf.Tensor2D;
    const noise = tf.randomNormal([2, 8, 8, 3], 0, 1 / 8, 'float32', 5) as tf.Tensor4D;
    const loss = () =>
      tf.tidy(() => {
        const { lengths } = pathLengths(G, G.mapping(z), { plNoise: noise, synthesis: { noiseMode: 'const' } });
        return tf.mean(tf.square(tf.sub(lengths, 0.5))) as tf.Scalar;
      });
    const v = G.variables();
    const names = [
      'synthesis.b8.conv0.weight',
      'synthesis.b8.conv0.affine.weight',
      'synthesis.b4.conv1.weight',
      'synthesis.b8.torgb.affine.weight',
      'synthesis.b8.conv1.noise_strength',
      'synthesis.b4.const',
      'mapping.fc1.weight',
    ];
    for (const [i, name] of names.entries()) {
      const eps = name.startsWith('mapping') ? 1e-2 : 1e-4; // mapping weights are stored ×100
      const { analytic, numeric, tries } = coordinateCheck(loss, v[name], eps);
      expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic} vs numeric ${numeric} (${tries} coordinates tried)`).toBeLessThan(
        2e-2 * Math.abs(numeric),
      );
    }
    tf.dispose([z, noise]);
    G.dispose();
    D.dispose();
  });
});

describe('training step', () => {
  it('one G and D step, with path length and R1 on their lazy steps, changes the weights and leaks nothing', () => {
    const { G, D } = nets();
    const Gema = G.clone();
    const gOpt = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 4 });
    const dOpt = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 16 });
    const optG = tf.train.adam(gOpt.learningRate, gOpt.beta1, gOpt.beta2, 1e-8);
    const optD = tf.train.adam(dOpt.learningRate, dOpt.beta1, dOpt.beta2, 1e-8);
    const pl = new PathLengthRegularizer();
    const reals = tf.randomUniform([4, 8, 8, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const snapshot = () =>
      Object.fromEntries(Object.entries({ ...G.variables(), ...D.variables() }).map(([k, t]) => [k, Array.from(t.dataSync())]));
    let rngState = 1;
    const rng = () => ((rngState = (rngState * 16807) % 2147483647) - 1) / 2147483646;

    const step = (seed: number) => {
      const z = tf.randomNormal([4, 8], 0, 1, 'float32', seed) as tf.Tensor2D;
      const z2 = tf.randomNormal([4, 8], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
      const cutoff = sampleMixingCutoff(G.numWs, 0.9, rng);
      // G main: non-saturating loss through D, with style mixing and w_avg tracking.
      optG.minimize(
        () => {
          const w = G.mapW(z);
          G.updateWAvg(w);
          const ws = mixStyles(G.mapping(z), G.mapping(z2), cutoff);
          return generatorLogisticNS(D.logits(G.synthesis(ws, { noiseMode: 'random' }))) as tf.Scalar;
        },
        false,
        G.trainableVariables(),
      );
      // G reg (lazy, every 4 steps): path length on half the batch, loss × interval.
      optG.minimize(
        () => {
          const ws = G.mapping(tf.slice(z, [0, 0], [2, 8]) as tf.Tensor2D);
          return tf.mul(pl.loss(G, ws, { synthesis: { noiseMode: 'random' } }).loss, 4) as tf.Scalar;
        },
        false,
        G.trainableVariables(),
      );
      // D main: logistic loss on fakes (no grad into G) and reals.
      const fakes = tf.tidy(() => G.synthesis(G.mapping(z), { noiseMode: 'random' }));
      optD.minimize(() => discriminatorLogistic(D.logits(reals), D.logits(fakes)), false, D.trainableVariables());
      // D reg (lazy, every 16 steps): R1 with γ = 1, loss × interval; reuses the logits of that pass.
      optD.minimize(
        () => {
          const { penalty, logits } = r1Penalty((x) => D.logits(x), reals);
          return tf.add(tf.mul(tf.mean(penalty), 0.5 * 16), tf.mul(tf.sum(logits), 0)) as tf.Scalar;
        },
        false,
        D.trainableVariables(),
      );
      updateEma(Gema, G, emaBeta({ batchSize: 4, emaKimg: 0.01, emaRampup: 0.05, curNimg: 4 * seed }));
      tf.dispose([z, z2, fakes]);
    };

    const before = snapshot();
    step(10); // the first step creates the optimiser slots
    expectNoLeaks(() => step(20));
    const after = snapshot();
    const changed = Object.keys(before).filter((k) => before[k].some((x, i) => x !== after[k][i]));
    const trainable = new Set([...G.trainableVariables(), ...D.trainableVariables()]);
    const names = Object.entries({ ...G.variables(), ...D.variables() })
      .filter(([, t]) => trainable.has(t))
      .map(([k]) => k);
    expect(changed.length).toBeGreaterThan(names.length * 0.9);
    expect(changed).toContain('mapping.w_avg');
    expect(pl.mean).toBeGreaterThan(0);
    // EMA moved towards G but is not G
    const d = tf.tidy(() =>
      val(tf.max(tf.abs(tf.sub(Gema.variables()['synthesis.b8.conv0.weight'], G.variables()['synthesis.b8.conv0.weight'])))),
    );
    expect(d).toBeGreaterThan(0);
    optG.dispose();
    optD.dispose();
    reals.dispose();
    [G, D, Gema].forEach((n) => n.dispose());
  });
});

describe('training helpers', () => {
  it('EMA β as official (half-life, ramp-up) and updateEma lerps parameters and copies buffers', () => {
    expect(emaBeta({ batchSize: 32, emaKimg: 10, emaRampup: null, curNimg: 0 })).toBeCloseTo(Math.pow(0.5, 32 / 10000), 12);
    expect(emaBeta({ batchSize: 32, emaKimg: 10, emaRampup: 0.05, curNimg: 64000 })).toBeCloseTo(Math.pow(0.5, 32 / 3200), 12);
    expect(emaBeta({ batchSize: 32, emaKimg: 10, emaRampup: 0.05, curNimg: 0 })).toBe(0);
    const G = createGenerator(TINY_G, { seed: 1 });
    const E = createGenerator(TINY_G, { seed: 2 });
    const p = G.variables()['synthesis.b4.const'];
    const pe = E.variables()['synthesis.b4.const'];
    const want = tf.tidy(() => tf.add(p, tf.mul(tf.sub(pe, p), 0.9)));
    expectNoLeaks(() => updateEma(E, G, 0.9));
    expect(tf.tidy(() => val(tf.max(tf.abs(tf.sub(pe, want)))))).toBeLessThan(1e-6);
    const nc = 'synthesis.b8.conv0.noise_const';
    expect(Array.from(E.variables()[nc].dataSync())).toEqual(Array.from(G.variables()[nc].dataSync()));
    want.dispose();
    G.dispose();
    E.dispose();
  });

  it('lazy regularisation correction of Adam: lr·c, β^c, c = I/(I+1)', () => {
    const g = lazyRegularizationAdam({ learningRate: 0.0025, beta1: 0, beta2: 0.99, interval: 4 });
    expect(g.ratio).toBeCloseTo(0.8, 12);
    expect(g.learningRate).toBeCloseTo(0.002, 12);
    expect(g.beta1).toBe(0);
    expect(g.beta2).toBeCloseTo(Math.pow(0.99, 0.8), 12);
    expect(lazyRegularizationAdam({ learningRate: 1, beta1: 0.5, beta2: 0.9, interval: null })).toEqual({
      learningRate: 1,
      beta1: 0.5,
      beta2: 0.9,
      ratio: 1,
    });
  });

  it('style-mixing cutoff: U{1..numWs-1} with probability p, else numWs', () => {
    const seq = [0.0, 0.5, 0.999, 0.95];
    let i = 0;
    const r = () => seq[i++ % seq.length];
    expect(sampleMixingCutoff(8, 0.9, r)).toBe(1); // cutoff from 0.0, kept (0.5 < 0.9)
    expect(sampleMixingCutoff(8, 0.9, r)).toBe(8); // cutoff from 0.999 = 7, dropped (0.95 ≥ 0.9)
    const counts = new Map<number, number>();
    for (let k = 0; k < 2000; k++)
      counts.set(sampleMixingCutoff(8, 0.9, Math.random), (counts.get(sampleMixingCutoff(8, 0.9, Math.random)) ?? 0) + 1);
    expect([...counts.keys()].every((c) => c >= 1 && c <= 8)).toBe(true);
  });

  it('losses and regularisers leak nothing and match their formulas', () => {
    const { G, D } = nets();
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const l = tf.tensor2d([[0.5], [-1]]);
    tf.dispose([D.logits(x), G.generate(tf.zeros([2, 8]) as tf.Tensor2D)]); // networks cache their FIR matrices on first use
    expectNoLeaks(() => {
      tf.dispose(generatorLogisticNS(l));
      const d = discriminatorLogistic(l, l, { reduction: 'none' });
      tf.dispose([d.real, d.fake, discriminatorLogistic(l, l)]);
      const r1 = r1Penalty((t) => D.logits(t), x);
      tf.dispose([r1.penalty, r1.logits, r1.grads]);
      const ws = tf.tidy(() => G.mapping(tf.zeros([2, 8]) as tf.Tensor2D));
      const p = pathLengths(G, ws);
      tf.dispose([p.lengths, p.grads, p.images]);
      const reg = new PathLengthRegularizer({ mean: 1 });
      const out = reg.loss(G, ws, { seed: 1 });
      tf.dispose([out.loss, out.lengths, out.penalty, out.images, ws]);
    });
    const sp = (v: number) => Math.log1p(Math.exp(v));
    expect(val(generatorLogisticNS(l))).toBeCloseTo((sp(-0.5) + sp(1)) / 2, 6);
    expect(val(discriminatorLogistic(l, l))).toBeCloseTo((sp(0.5) + sp(-1)) / 2 + (sp(-0.5) + sp(1)) / 2, 6);
    // pl_mean ← pl_mean + 0.01·(mean(len) − pl_mean); penalty uses the updated mean.
    const ws2 = tf.tidy(() => G.mapping(tf.ones([2, 8]) as tf.Tensor2D));
    const reg2 = new PathLengthRegularizer({ mean: 1 });
    const o2 = reg2.loss(G, ws2, { seed: 2 });
    const lens = Array.from(o2.lengths.dataSync());
    const m = 1 + 0.01 * ((lens[0] + lens[1]) / 2 - 1);
    expect(reg2.mean).toBeCloseTo(m, 6);
    expect(val(o2.loss)).toBeCloseTo(2 * (((lens[0] - m) ** 2 + (lens[1] - m) ** 2) / 2), 5);
    tf.dispose([x, l, ws2, o2.loss, o2.lengths, o2.penalty, o2.images]);
    G.dispose();
    D.dispose();
  });
});
