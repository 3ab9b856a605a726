// Projection into the bundled shapes model's partitioned latent and Controller operations on a given
// latent (cpu backend, few steps). Reconstruction quality and edits measured with the shapes plugins:
// apps/cli/test/project-shapes.test.ts (this package does not depend on the shapes domain).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { Controller, learningRateRamp, prepareImage, projectImage } from '../src/index.js';
import type { LatentCode } from '../src/index.js';

const modelDir = resolve(import.meta.dirname, '../../domain-shapes/model');
const hasModel = existsSync(resolve(modelDir, 'encoders'));

describe('learningRateRamp (projector.py)', () => {
  it('warms up over the first 5 %, holds, and ramps down by a cosine over the last 25 %', () => {
    expect(learningRateRamp(0, 0.05, 0.25)).toBe(0);
    expect(learningRateRamp(0.025, 0.05, 0.25)).toBeCloseTo(0.5, 12);
    expect(learningRateRamp(0.5, 0.05, 0.25)).toBe(1);
    expect(learningRateRamp(0.875, 0.05, 0.25)).toBeCloseTo(0.5, 12);
    expect(learningRateRamp(0.999, 0.05, 0.25)).toBeLessThan(1e-4);
  });
});

describe('prepareImage: the crop/resize rule and bad images', () => {
  const raw = (width: number, height: number, channels: 1 | 3 | 4, px: (x: number, y: number) => number[]) => {
    const data = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(px(x, y), (y * width + x) * channels);
    return { width, height, channels, data };
  };

  it('keeps the centred square and averages the area each output pixel covers', () => {
    // 12×8: a 2-px red band on each side is cut; the kept 8×8 centre has 2×2 blocks of distinct colours.
    const img = raw(12, 8, 3, (x, y) => (x < 2 || x >= 10 ? [255, 0, 0] : [((x - 2) >> 1) * 60, (y >> 1) * 60, 30]));
    const t = expectNoLeaks(() => prepareImage(img, 4), { allowed: 1 });
    const v = t.arraySync()[0];
    t.dispose();
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        expect((v[i][j][0] + 1) * 127.5).toBeCloseTo(j * 60, 3);
        expect((v[i][j][1] + 1) * 127.5).toBeCloseTo(i * 60, 3);
      }
    }
  });

  it('averages fractional overlaps (6 px → 4 px: weights 2/3, 1/3)', () => {
    const img = raw(6, 6, 3, (x) => [x * 40, 10, 20]);
    const t = prepareImage(img, 4);
    const row = t.arraySync()[0][0].map((p) => (p[0] + 1) * 127.5);
    t.dispose();
    const expected = [(2 * 0 + 1 * 40) / 3, (1 * 40 + 2 * 80) / 3, (2 * 120 + 1 * 160) / 3, (1 * 160 + 2 * 200) / 3];
    row.forEach((r, i) => expect(r).toBeCloseTo(expected[i], 3));
  });

  it('lays transparent pixels over the background (black unless given)', () => {
    const img = raw(4, 4, 4, () => [200, 100, 50, 128]);
    const t = prepareImage(img, 4);
    expect((t.arraySync()[0][0][0][0] + 1) * 127.5).toBeCloseTo((200 * 128) / 255, 3);
    t.dispose();
    const w = prepareImage(img, 4, { background: [255, 255, 255] });
    expect((w.arraySync()[0][0][0][2] + 1) * 127.5).toBeCloseTo((50 * 128 + 255 * 127) / 255, 3);
    w.dispose();
  });

  it('refuses tiny and colourless images with the reason and what to do', () => {
    expect(() =>
      prepareImage(
        raw(15, 40, 3, () => [255, 0, 0]),
        32,
      ),
    ).toThrow(/15×40 px, too small for this 32×32 model: its shorter side must be at least 16 px/);
    expect(() =>
      prepareImage(
        raw(32, 32, 3, () => [255, 0, 0]),
        32,
        { minSide: 64 },
      ),
    ).toThrowError(expect.objectContaining({ code: 'ENCODERS_BAD_IMAGE' }));
    expect(() =>
      prepareImage(
        raw(32, 32, 3, (x) => [x * 8, x * 8, x * 8]),
        32,
      ),
    ).toThrow(/no colour \(every pixel has R = G = B/);
    expect(() =>
      prepareImage(
        raw(32, 32, 1, (x) => [x * 8]),
        32,
      ),
    ).toThrowError(expect.objectContaining({ code: 'ENCODERS_BAD_IMAGE' }));
    const ok = prepareImage(
      raw(32, 32, 1, (x) => [x * 8]),
      32,
      { allowGrayscale: true },
    );
    expect(ok.shape).toEqual([1, 32, 32, 3]);
    ok.dispose();
    expect(() => prepareImage({ width: 32, height: 32, channels: 2 as 3, data: new Uint8Array(2048) }, 32)).toThrow(/2 channels/);
  });
});

describe.runIf(hasModel)('projectImage on the bundled shapes model', () => {
  let controller: Controller;
  let target: tf.Tensor4D;
  /** The generator's mean w, as numbers. */
  const meanW = () => Array.from(tf.tidy(() => tf.reshape(controller.generator.wAvg!, [-1]).dataSync()));
  /** The w of one seed's sample, as numbers (its images and ws disposed). */
  const sampledW = (seed: number) => {
    const s = controller.generate({ seed, count: 1 });
    const w = Array.from(tf.tidy(() => tf.slice(s.ws, [0, 0, 0], [1, 1, controller.generator.wDim]).dataSync()));
    tf.dispose([s.images, s.ws]);
    return w;
  };

  beforeAll(async () => {
    controller = await Controller.load(modelDir);
    const r = controller.generate({ seed: 2 });
    target = r.images;
    r.ws.dispose();
  });
  afterAll(() => {
    target?.dispose();
    controller?.dispose();
  });

  it('is deterministic for a seed, differs for another, and leaks no tensor', async () => {
    const run = async (seed: number, mode: 'w' | 'groups' | 'w+' = 'groups') => {
      const steps: number[] = [];
      const r = await expectNoLeaks(
        () =>
          projectImage(controller.generator, target, {
            steps: 3,
            statsSamples: 200,
            seed,
            mode,
            onProgress: (p) => steps.push(p.step),
          }),
        { allowed: 1, label: 'projectImage (the returned image only)' },
      );
      r.image.dispose();
      expect(steps).toEqual([1, 2, 3]);
      return r.latent;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(b.ws).toEqual(a.ws);
    expect(c.ws).not.toEqual(a.ws);
    const plus = await run(7, 'w+');
    expect(plus.ws).toHaveLength(controller.generator.numWs);
    expect((await run(7, 'w')).ws).toHaveLength(1);
  });

  it('several starts: each gets screenSteps steps, the one nearest the target goes on; one start in an array is that start', async () => {
    const G = controller.generator;
    const avg = meanW();
    const w2 = sampledW(2);
    const code = (w: number[]): LatentCode => ({ format: 'gan-control-latent', version: 1, mode: 'w', ws: [w] });
    // The target is seed 2's picture: of the mean w, seed 2's own w and the mean again, the second must win.
    const seen: { step: number; steps: number }[] = [];
    const r = await expectNoLeaks(
      () =>
        projectImage(G, target, {
          steps: 3,
          screenSteps: 2,
          statsSamples: 200,
          start: [code(avg), code(w2), code(avg)],
          onProgress: (p) => seen.push({ step: p.step, steps: p.steps }),
        }),
      { allowed: 1, label: 'projectImage with three starts (the returned image only)' },
    );
    r.image.dispose();
    expect(r.starts).toBe(3);
    expect(r.startKept).toBe(1);
    expect(r.steps).toBe(3);
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(seen.map((p) => p.steps))).toEqual(new Set([9]));
    // A one-element array runs exactly as the start itself (no screening).
    const one = await projectImage(G, target, { steps: 3, statsSamples: 200, start: [code(avg)] });
    const plain = await projectImage(G, target, { steps: 3, statsSamples: 200, start: code(avg) });
    tf.dispose([one.image, plain.image]);
    expect(one.latent.ws).toEqual(plain.latent.ws);
    expect([one.starts, one.startKept]).toEqual([1, 0]);
    // The kept start's run reconstructs the target better than the same steps from the mean w.
    expect(r.psnr).toBeGreaterThan(plain.psnr + 3);
  });

  it('latentPrior pulls w toward the latent distribution (alone, from a far start, it walks back to the mean)', async () => {
    const G = controller.generator;
    const avg = meanW();
    const w5 = sampledW(5);
    const far = avg.map((a, i) => a + 5 * (w5[i] - a));
    const dist = (w: number[]) => Math.hypot(...w.map((x, i) => x - avg[i]));
    const r = await projectImage(G, target, {
      steps: 5,
      pixelWeight: 0,
      latentPrior: 1,
      latentNoise: 0,
      rampUp: 0,
      statsSamples: 500,
      start: { mode: 'w', ws: [far] },
    });
    r.image.dispose();
    expect(dist(r.latent.ws[0])).toBeLessThan(dist(far) - 1);
  });

  it('says what is wrong with a target of the wrong size and with an unknown attribute term', async () => {
    const small = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    await expect(projectImage(controller.generator, small, { steps: 1, statsSamples: 10 })).rejects.toThrow(
      /the target is \[1, 16, 16, 3\], but this generator makes \[1, 32, 32, 3\] images/,
    );
    small.dispose();
    await expect(projectImage(controller.generator, target, { steps: 1, statsSamples: 10, attributeWeights: { pose: 1 } })).rejects.toThrow(
      /names 'pose', but no attribute runtime of that name was passed .*pass attributes/,
    );
    await expect(projectImage(controller.generator, target, { steps: 1, statsSamples: 10, noise: true })).rejects.toThrow(
      /no noise inputs/,
    );
  });

  it('applies every Controller operation to a given latent exactly as to the sampled one', () => {
    const G = controller.generator;
    // The latent of seed 5's sample, as a latent code.
    const w = sampledW(5);
    const latent: LatentCode = { format: 'gan-control-latent', version: 1, mode: 'groups', ws: [w] };
    const same = (a: { images: tf.Tensor; ws: tf.Tensor }, b: { images: tf.Tensor; ws: tf.Tensor }) => {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a.images, b.images))).dataSync()[0]);
      tf.dispose([a.images, a.ws, b.images, b.ws]);
      return d;
    };
    expectNoLeaks(() => {
      // set by value, truncation per group
      const opts = { set: { color: 200, size: 0.3 }, truncation: { other: 0.5, position: 0.8 } };
      expect(same(controller.generate({ seed: 5, ...opts }), controller.generate({ latent, ...opts }))).toBeLessThan(1e-6);
      // set per row on one latent = a sweep of the projected picture; keep shares row 0's sub-vector
      const sweep = controller.generate({ latent, set: { color: [0, 120, 240] }, count: 3 });
      const rows = [0, 120, 240].map((h) => controller.generate({ latent, set: { color: h } }));
      const d = tf.tidy(
        () =>
          tf
            .max(
              tf.abs(
                tf.sub(
                  sweep.images,
                  tf.concat(
                    rows.map((r) => r.images),
                    0,
                  ),
                ),
              ),
            )
            .dataSync()[0],
      );
      tf.dispose([sweep.images, sweep.ws, ...rows.flatMap((r) => [r.images, r.ws])]);
      expect(d).toBeLessThan(1e-5);
      // resample a group: its slice comes from the seed's sample, the rest from the latent
      const r = controller.generate({ latent, resample: ['other'], seed: 9 });
      const s9 = controller.generate({ seed: 9 });
      const g = controller.groups.find((x) => x.name === 'other')!;
      const c = controller.groups.find((x) => x.name === 'color')!;
      const [rw, sw] = [r.ws, s9.ws].map((t) => t.arraySync()[0][0]);
      expect(rw.slice(g.offset, g.offset + g.size)).toEqual(sw.slice(g.offset, g.offset + g.size));
      expect(rw.slice(c.offset, c.offset + c.size).map((x) => Math.fround(x))).toEqual(
        w.slice(c.offset, c.offset + c.size).map((x) => Math.fround(x)),
      );
      tf.dispose([r.images, r.ws, s9.images, s9.ws]);
      // keep: row 0's "other" for every row of a batch of seeds
      const k = controller.generate({ latent: [latent, { ...latent, ws: [w.map((x) => -x)] }], keep: ['other'], count: 2 });
      const kw = k.ws.arraySync();
      expect(kw[1][0].slice(g.offset, g.offset + g.size)).toEqual(kw[0][0].slice(g.offset, g.offset + g.size));
      tf.dispose([k.images, k.ws]);
      // A W+ latent whose rows are all w renders the same; set replaces the slice on every style input.
      const plus: LatentCode = { ...latent, mode: 'w+', ws: Array.from({ length: G.numWs }, () => w) };
      expect(
        same(controller.generate({ latent: plus, set: { color: 30 } }), controller.generate({ latent, set: { color: 30 } })),
      ).toBeLessThan(1e-6);
    });
    expect(() => controller.generate({ latent: { mode: 'w', ws: [[1, 2, 3]] } })).toThrow(
      /ws is \[1, 3\], but this generator takes \[1, 40\] \(one w\) or \[8, 40\] \(W\+\)/,
    );
    expect(() => controller.generate({ resample: ['other'] })).toThrow(/without a latent/);
    expect(() => controller.generate({ latent, resample: ['hair'] })).toThrow(
      /resample: unknown latent group 'hair'; the groups are: color, position, size, other/,
    );
  });
});
