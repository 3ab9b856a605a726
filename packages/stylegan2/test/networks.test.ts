import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors } from '@gan-control/tensor-io';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import {
  createDiscriminator,
  createGenerator,
  generatorConfigFromOfficial,
  loadOfficialDiscriminator,
  loadOfficialGenerator,
  minibatchStd,
  parseGeneratorConfig,
  upfirdnMatrix,
  type GeneratorConfigInput,
  type SynthesisOptions,
} from '../src/index.js';
import { fixtureConfig, readBytes, TINY_D, TINY_G } from './helpers.js';

const GROUPED: GeneratorConfigInput = {
  ...TINY_G,
  mapping: {
    numLayers: 3,
    layerFeatures: 6,
    groups: [
      { name: 'a', size: 3 },
      { name: 'b', size: 5 },
    ],
  },
};

const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

function expectNoLeak(fn: () => void) {
  fn(); // warm caches (FIR matrices are created once per network)
  expectNoLeaks(fn);
}

describe('configs', () => {
  it('rejects unknown fields, bad resolutions and inconsistent groups, naming the field', () => {
    expect(() => parseGeneratorConfig({ ...TINY_G, foo: 1 })).toThrow(/foo/);
    expect(() => parseGeneratorConfig({ ...TINY_G, synthesis: { channelBse: 3 } })).toThrow(/synthesis/);
    expect(() => parseGeneratorConfig({ ...TINY_G, resolution: 12 })).toThrow(/resolution: must be a power of two/);
    expect(() => parseGeneratorConfig({ ...GROUPED, zDim: 9 })).toThrow(/mapping\.groups: group sizes sum to 8, but zDim is 9/);
    expect(() =>
      parseGeneratorConfig({
        ...TINY_G,
        mapping: {
          groups: [
            { name: 'a', size: 4 },
            { name: 'a', size: 4 },
          ],
        },
      }),
    ).toThrow(/duplicate group name 'a'/);
    try {
      parseGeneratorConfig({ ...TINY_G, foo: 1 });
    } catch (e) {
      expect((e as { code: string }).code).toBe('STYLEGAN2_INVALID_CONFIG');
    }
  });

  it('maps the official kwargs to the same parameter names and shapes as the official state_dict', () => {
    const G = createGenerator(generatorConfigFromOfficial(fixtureConfig.G_kwargs));
    const file = readSafetensors(readBytes('G.safetensors')).tensors;
    const sd = G.stateDict();
    expect(Object.keys(sd).sort()).toEqual(Object.keys(file).sort());
    for (const [k, v] of Object.entries(sd)) expect(v.shape, k).toEqual(file[k].shape);
    expect(G.numWs).toBe(8);
    G.dispose();
  });
});

describe('generator', () => {
  it('is deterministic in the seed and initialises as official', () => {
    const a = createGenerator(TINY_G, { seed: 3 });
    const b = createGenerator(TINY_G, { seed: 3 });
    const c = createGenerator(TINY_G, { seed: 4 });
    const va = a.variables();
    expect(arr(va['synthesis.b8.conv0.weight'])).toEqual(arr(b.variables()['synthesis.b8.conv0.weight']));
    expect(arr(va['synthesis.b8.conv0.weight'])).not.toEqual(arr(c.variables()['synthesis.b8.conv0.weight']));
    expect(arr(va['synthesis.b8.conv0.affine.bias']).every((v) => v === 1)).toBe(true);
    expect(arr(va['synthesis.b8.conv0.noise_strength'])).toEqual([0]);
    // mapping weights are stored ×1/lr_multiplier (std ≈ 100)
    const std = tf.tidy(() => Math.sqrt(tf.mean(tf.square(va['mapping.fc0.weight'])).dataSync()[0]));
    expect(std).toBeGreaterThan(50);
    expect(a.trainableVariables()).not.toContain(va['mapping.w_avg']);
    expect(a.trainableVariables()).not.toContain(va['synthesis.b8.conv0.noise_const']);
    [a, b, c].forEach((g) => g.dispose());
  });

  it('clamps its images to [-1, 1] with synthesis.clampOutput, and passes no gradient through a clamped pixel', () => {
    const clamped = { ...TINY_G, synthesis: { ...TINY_G.synthesis, clampOutput: true } };
    expect(parseGeneratorConfig(TINY_G).synthesis.clampOutput).toBe(false); // official behaviour by default
    const [plain, clamp] = [createGenerator(TINY_G, { seed: 1 }), createGenerator(clamped, { seed: 1 })];
    // Large toRGB weights, so that the untrained output leaves [-1, 1].
    for (const G of [plain, clamp])
      for (const [k, v] of Object.entries(G.variables())) if (/torgb\.weight$/.test(k)) v.assign(tf.mul(v, 40));
    const ws = plain.mapping(tf.randomNormal([4, 8], 0, 1, 'float32', 2) as tf.Tensor2D);
    const a = plain.synthesis(ws);
    const b = clamp.synthesis(ws);
    const outside = tf.tidy(() => tf.cast(tf.greater(tf.abs(a), 1), 'float32'));
    const nOutside = tf.sum(outside).dataSync()[0];
    expect(nOutside).toBeGreaterThan(10);
    expect(nOutside).toBeLessThan(a.size - 10); // some pixels inside too
    expect(maxAbsDiff(b, tf.clipByValue(a, -1, 1))).toBe(0);
    expect(tf.max(tf.abs(b)).dataSync()[0]).toBeLessThanOrEqual(1);
    // d(sum of the clamped pixels)/d(ws) is zero with the clamp, not without.
    const gradOutside = (G: typeof plain) =>
      tf.tidy(() => tf.sum(tf.abs(tf.grad((w: tf.Tensor) => tf.sum(tf.mul(G.synthesis(w as tf.Tensor3D), outside)))(ws))).dataSync()[0]);
    expect(gradOutside(clamp)).toBe(0);
    expect(gradOutside(plain)).toBeGreaterThan(0);
    // Straight-through: the same clamped images, the unclamped network's gradient.
    const st = clamp.synthesis(ws, { clampGradient: 'straight-through' });
    expect(maxAbsDiff(st, b)).toBe(0);
    const gradAll = (G: typeof plain, o: SynthesisOptions) =>
      tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(G.synthesis(w as tf.Tensor3D, o), outside)))(ws));
    const [g1, g2] = [gradAll(clamp, { clampGradient: 'straight-through' }), gradAll(plain, {})];
    expect(maxAbsDiff(g1, g2)).toBe(0);
    tf.dispose([st, g1, g2]);
    tf.dispose([ws, a, b, outside]);
    [plain, clamp].forEach((g) => g.dispose());
  });

  it('runs mapping, synthesis (every noise mode), generate, updateWAvg, clone without leaking', () => {
    const G = createGenerator(TINY_G, { seed: 1 });
    // non-zero noise strengths, so the noise modes differ
    for (const [k, v] of Object.entries(G.variables())) if (k.endsWith('noise_strength')) v.assign(tf.scalar(0.5));
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    expectNoLeak(() => tf.dispose(G.mapping(z, { truncationPsi: 0.5, truncationCutoff: 2 })));
    expectNoLeak(() => tf.dispose(G.mapW(z)));
    const ws = G.mapping(z);
    expect(ws.shape).toEqual([2, G.numWs, 8]);
    for (const noiseMode of ['const', 'random', 'none'] as const) expectNoLeak(() => tf.dispose(G.synthesis(ws, { noiseMode })));
    expectNoLeak(() => tf.dispose(G.generate(z)));
    expectNoLeak(() => G.updateWAvg(ws));
    expectNoLeak(() => G.clone().dispose());
    expectNoLeak(() => void G.stateDict());
    const img = G.synthesis(ws);
    expect(img.shape).toEqual([2, 8, 8, 3]);
    const r1 = G.synthesis(ws, { noiseMode: 'random', noiseSeed: 5 });
    const r2 = G.synthesis(ws, { noiseMode: 'random', noiseSeed: 5 });
    const r3 = G.synthesis(ws, { noiseMode: 'random', noiseSeed: 6 });
    const none = G.synthesis(ws, { noiseMode: 'none' });
    expect(maxAbsDiff(r1, r2)).toBe(0);
    expect(maxAbsDiff(r1, r3)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(img, none)).toBeGreaterThan(1e-3);
    // explicit noise equal to the stored noise reproduces 'const'
    const noise = G.noiseShapes().map((s) => tf.reshape(G.variables()[`${s.name}.noise_const`], s.shape) as tf.Tensor4D);
    const explicit = G.synthesis(ws, { noise });
    expect(maxAbsDiff(explicit, img)).toBeLessThan(1e-6);
    // clone is independent
    const copy = G.clone();
    copy.variables()['synthesis.b4.const'].assign(tf.zeros([4, 4, 8]));
    expect(maxAbsDiff(G.synthesis(ws), img)).toBe(0);
    copy.dispose();
    tf.dispose([z, ws, img, r1, r2, r3, none, explicit, ...noise]);
    G.dispose();
    expect(() => G.mapping(z)).toThrow(/disposed/);
  });

  it('updateWAvg is lerp(mean, w_avg, β)', () => {
    const G = createGenerator(TINY_G, { seed: 1 });
    const w = tf.tensor2d([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [3, 2, 1, 0, 1, 2, 3, 4],
    ]);
    G.wAvg.assign(tf.fill([8], 10));
    G.updateWAvg(w);
    const want = [2, 2, 2, 2, 3, 4, 5, 6].map((m) => m + 0.995 * (10 - m));
    arr(G.wAvg).forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    w.dispose();
    G.dispose();
  });

  it('partitioned mapping: one stack per group, normalised per slice, independent, per-group truncation', () => {
    const G = createGenerator(GROUPED, { seed: 2 });
    const v = G.variables();
    expect(v['mapping.groups.a.fc0.weight'].shape).toEqual([3, 6]); // TF.js layout [in, out]
    expect(v['mapping.groups.a.fc2.weight'].shape).toEqual([6, 3]);
    expect(v['mapping.groups.b.fc0.weight'].shape).toEqual([5, 6]);
    expect(G.stateDict()['mapping.groups.b.fc2.weight'].shape).toEqual([5, 6]); // official [out, in]
    for (const k of Object.keys(v)) expect(k.startsWith('mapping.fc')).toBe(false);
    for (const [k, t] of Object.entries(v))
      if (/^mapping\.groups\..*bias$/.test(k)) t.assign(tf.randomNormal(t.shape, 0, 10, 'float32', 7));

    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    const w = G.mapW(z);
    // Reference for one sample, in plain JS, from the stored (raw, official-layout) parameters.
    const sd = G.stateDict();
    const zs = arr(z);
    const ref: number[] = [];
    for (const [g, off, size] of [
      ['a', 0, 3],
      ['b', 3, 5],
    ] as const) {
      let x = zs.slice(off, off + size);
      const ms = x.reduce((s, q) => s + q * q, 0) / size;
      x = x.map((q) => q / Math.sqrt(ms + 1e-8));
      for (let l = 0; l < 3; l++) {
        const W = sd[`mapping.groups.${g}.fc${l}.weight`];
        const b = sd[`mapping.groups.${g}.bias`.replace('.bias', `.fc${l}.bias`)];
        const [out, inn] = W.shape;
        x = Array.from({ length: out }, (_, o) => {
          let s = 0;
          for (let i = 0; i < inn; i++) s += x[i] * W.data[o * inn + i] * (0.01 / Math.sqrt(inn));
          s += b.data[o] * 0.01;
          return (s > 0 ? s : 0.2 * s) * Math.SQRT2;
        });
      }
      ref.push(...x);
    }
    arr(w)
      .slice(0, 8)
      .forEach((q, i) => expect(Math.abs(q - ref[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref[i]))));

    // Changing group b's latent (or scaling group a's) leaves group a's w unchanged.
    const z2 = tf.concat([tf.mul(tf.slice(z, [0, 0], [2, 3]), 3), tf.randomNormal([2, 5], 0, 1, 'float32', 9)], 1) as tf.Tensor2D;
    const w2 = G.mapW(z2);
    expect(maxAbsDiff(tf.slice(w, [0, 0], [2, 3]), tf.slice(w2, [0, 0], [2, 3]))).toBeLessThan(1e-5);
    expect(maxAbsDiff(tf.slice(w, [0, 3], [2, 5]), tf.slice(w2, [0, 3], [2, 5]))).toBeGreaterThan(1e-3);

    // Per-group truncation moves only that group's dims, towards its average.
    G.wAvg.assign(tf.randomNormal([8], 0, 1, 'float32', 11));
    const ws = G.mapping(z);
    const wt = G.mapping(z, { truncationPsi: { a: 0.5 } });
    const expected = tf.tidy(() => {
      const avg = tf.reshape(G.wAvg, [1, 1, 8]);
      const half = tf.add(avg, tf.mul(tf.sub(ws, avg), 0.5));
      return tf.concat([tf.slice(half, [0, 0, 0], [2, G.numWs, 3]), tf.slice(ws, [0, 0, 3], [2, G.numWs, 5])], 2);
    });
    expect(maxAbsDiff(wt, expected)).toBeLessThan(1e-6);
    expect(() => G.mapping(z, { truncationPsi: { nope: 0.5 } })).toThrow(/unknown group 'nope'; groups are a, b/);
    tf.dispose([z, w, z2, w2, ws, wt, expected]);
    G.dispose();
  });
});

describe('discriminator', () => {
  it('minibatch std groups samples strided (i mod N/G), as official', () => {
    const x = tf.randomNormal([4, 2, 2, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = minibatchStd(x, 2, 2);
    expect(y.shape).toEqual([4, 2, 2, 6]);
    const xs = x.arraySync();
    // Groups {0, 2} and {1, 3}; feature f averages channels [2f, 2f+1].
    for (let i = 0; i < 4; i++) {
      const j = (i + 2) % 4;
      for (let f = 0; f < 2; f++) {
        let s = 0;
        for (let h = 0; h < 2; h++)
          for (let w = 0; w < 2; w++)
            for (let c = 2 * f; c < 2 * f + 2; c++) {
              const d = (xs[i][h][w][c] - xs[j][h][w][c]) / 2;
              s += Math.sqrt(d * d + 1e-8);
            }
        const want = s / 8;
        const got = y.arraySync()[i][1][0][4 + f];
        expect(Math.abs(got - want)).toBeLessThan(1e-5);
      }
    }
    expect(() => minibatchStd(tf.zeros([3, 2, 2, 4]) as tf.Tensor4D, 2, 1)).toThrow(/multiple of the group size/);
    tf.dispose([x, y]);
  });

  it('logits, clone, variables, dispose; no leaks; input checks', () => {
    const D = createDiscriminator(TINY_D, { seed: 1 });
    const x = tf.randomUniform([4, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    expectNoLeak(() => tf.dispose(D.logits(x)));
    expectNoLeak(() => D.clone().dispose());
    const l = D.logits(x);
    expect(l.shape).toEqual([4, 1]);
    expect(D.trainableVariables().length).toBe(Object.keys(D.variables()).length);
    expect(() => D.logits(tf.zeros([4, 16, 16, 3]) as tf.Tensor4D)).toThrow(/NHWC \[N, 8, 8, 3\]/);
    tf.dispose([x, l]);
    D.dispose();
  });
});

describe('official loaders', () => {
  const gBytes = () => readSafetensors(readBytes('G.safetensors')).tensors;
  const rewrite = (t: Record<string, { shape: number[]; data: unknown }>) => writeSafetensors(t as Parameters<typeof writeSafetensors>[0]);

  it('consumes every tensor and reports missing and leftover names by name', () => {
    const t = { ...gBytes() } as Record<string, { shape: number[]; data: Float32Array }>;
    delete t['synthesis.b16.conv1.affine.bias'];
    t['synthesis.b64.extra'] = { shape: [1], data: new Float32Array([1]) };
    let err: { code?: string; missing?: string[]; unexpected?: string[]; message: string } | undefined;
    try {
      loadOfficialGenerator(rewrite(t), fixtureConfig.G_kwargs);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('STYLEGAN2_STATE_DICT_MISMATCH');
    expect(err?.missing).toEqual(['synthesis.b16.conv1.affine.bias']);
    expect(err?.unexpected).toEqual(['synthesis.b64.extra']);
    expect(err?.message).toMatch(/synthesis\.b16\.conv1\.affine\.bias/);
  });

  it('names a wrongly shaped tensor, a wrong filter and unsupported kwargs', () => {
    const t = { ...gBytes() } as Record<string, { shape: number[]; data: Float32Array }>;
    t['mapping.fc1.bias'] = { shape: [32], data: new Float32Array(32) };
    expect(() => loadOfficialGenerator(rewrite(t), fixtureConfig.G_kwargs)).toThrow(
      /'mapping\.fc1\.bias' has shape \[32\].*expects \[64\]/,
    );
    const t2 = { ...gBytes() } as Record<string, { shape: number[]; data: Float32Array }>;
    t2['synthesis.b8.resample_filter'] = { shape: [4, 4], data: new Float32Array(16).fill(1 / 16) };
    expect(() => loadOfficialGenerator(rewrite(t2), fixtureConfig.G_kwargs)).toThrow(/synthesis\.b8\.resample_filter/);
    expect(() => loadOfficialDiscriminator(readBytes('D.safetensors'), { ...fixtureConfig.D_kwargs, architecture: 'skip' })).toThrow(
      /architecture/,
    );
    expect(() => loadOfficialGenerator(readBytes('G.safetensors'), { ...fixtureConfig.G_kwargs, c_dim: 10 })).toThrow(/c_dim/);
    expect(() => loadOfficialGenerator(readBytes('G.safetensors').slice(0, 1000), fixtureConfig.G_kwargs)).toThrow(/safetensors/);
  });

  it('round-trips the state dict exactly', () => {
    const G = loadOfficialGenerator(readBytes('G.safetensors'), fixtureConfig.G_kwargs);
    const file = gBytes();
    const sd = G.stateDict();
    for (const [k, v] of Object.entries(sd)) expect(Array.from(v.data), k).toEqual(Array.from(file[k].data as Float32Array));
    G.dispose();
  });
});

describe('FIR matrix', () => {
  it('equals upfirdn2d on a 1-D impulse: upsample2d pad [2,1] and downsample by 2 pad [1,1]', () => {
    // Official upsample2d of an impulse at i: taps f·2 = [1,3,3,1]/4 centred at 2i (+ [-1, 2] offsets).
    const up = upfirdnMatrix(4, [0.25, 0.75, 0.75, 0.25], 2, 1, 2, 1);
    expect(up.outLen).toBe(8);
    const col1 = Array.from({ length: 8 }, (_, j) => up.data[j * 4 + 1]);
    expect(col1).toEqual([0, 0.25, 0.75, 0.75, 0.25, 0, 0, 0]);
    const down = upfirdnMatrix(8, [0.125, 0.375, 0.375, 0.125], 1, 2, 1, 1);
    expect(down.outLen).toBe(4);
    expect(Array.from(down.data.slice(8, 16))).toEqual([0, 0.125, 0.375, 0.375, 0.125, 0, 0, 0]);
  });
});
