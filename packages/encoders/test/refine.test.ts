import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, createEncoder, encoderFromWeights, loadEncoder, refineEncoders } from '../src/index.js';
import { buildEncodersForModel, saveEncoder } from '../src/node.js';
import type { AttributeEncoder } from '../src/index.js';
import { HUE_LEVEL_SPEC, TOY_BUILD, createToyGenerator, doubledHueAttribute, tiltAttribute } from './toy.js';

describe('AttributeEncoder.addSeam', () => {
  const spec = HUE_LEVEL_SPEC;

  it('adds a feature that jumps at the seam, keeps encode() unchanged, and saves/loads it', async () => {
    const enc = createEncoder(spec, { seed: 5 });
    const y = tf.tensor2d([
      [10, 0.5],
      [50, -1],
      [55.5, 0],
      [300, 1],
    ]);
    const plain = enc.encode(y);
    expectNoLeaks(() => enc.addSeam(0, 55), { label: 'addSeam' }); // the first layer's variable was replaced, not added
    expect(enc.architecture.inDim).toBe(4);
    expect(enc.values[0]).toMatchObject({ kind: 'circular', seam: 55 });
    const seamed = enc.encode(y);
    const [a, b] = [seamed.dataSync(), plain.dataSync()];
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
    // The seam feature: √3·(2·((y − 55) mod 360)/360 − 1), after cos and sin, before the linear value.
    const f = enc
      .features(
        tf.tensor2d([
          [54.999, 0],
          [55, 0],
          [235, 0],
        ]),
      )
      .arraySync();
    expect(f[0][2]).toBeCloseTo(Math.sqrt(3), 3);
    expect(f[1][2]).toBeCloseTo(-Math.sqrt(3), 6);
    expect(f[2][2]).toBeCloseTo(0, 6);
    expect(f[2][3]).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'seam-'));
    try {
      const back = await loadEncoder(await saveEncoder(enc, dir));
      expect(back.values[0]).toMatchObject({ seam: 55 });
      const again = back.encode(y);
      expect(Array.from(again.dataSync())).toEqual(Array.from(seamed.dataSync()));
      tf.dispose(again);
      back.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => enc.addSeam(1, 0)).toThrow(/column 1 is not a circular value/);
    expect(() => enc.addSeam(0, 10)).toThrow(/has a seam already \(at 55\)/);
    const other = createEncoder(spec, { seed: 5 });
    expect(() => other.addSeam(0, 360)).toThrow(/seam 360 must lie in \[0, 360\)/);
    const seamed400 = { kind: 'circular' as const, name: 'hue', unit: 'deg', period: 360, range: [0, 360] as [number, number], seam: 400 };
    const w = other.weights();
    expect(() => encoderFromWeights({ ...spec, values: [seamed400, spec.values[1]] }, w)).toThrow(
      /values\.0\.seam 400 must lie in \[0, 360\)/,
    );
    tf.dispose(Object.values(w));
    tf.dispose([y, plain, seamed]);
    enc.dispose();
    other.dispose();
  });
});

// Doubled hue on the toy generator: w_hue and −w_hue give the same value, so the L1 encoder
// (the median of two opposite branches) fails almost everywhere. Refining through the generator,
// with a seam, must move it onto one branch.
describe('refineEncoders', () => {
  const G = createToyGenerator();
  const attributes = { hue: doubledHueAttribute(), tilt: tiltAttribute() };
  let dir: string;
  let trained: AttributeEncoder[];
  const copy = (e: AttributeEncoder) => {
    const w = e.weights();
    try {
      return encoderFromWeights(e.toMetadata('unused'), w);
    } finally {
      tf.dispose(Object.values(w));
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'refine-'));
    trained = (await buildEncodersForModel({ generator: G, attributes, dir, ...TOY_BUILD })).encoders;
  });
  afterAll(async () => {
    for (const e of trained ?? []) e.dispose();
    G.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  // |requested − measured| of the doubled hue at every 0.5° (one latent each): the knots of the
  // probe are 15° apart, so this also sees what happens between them.
  const sweep = async (controller: Controller) => {
    const h = Array.from({ length: 720 }, (_, i) => i / 2);
    const { images, ws } = controller.generate({ seed: 77, count: h.length, set: { hue: h.map((v) => [v]) } });
    const got = attributes.hue.measure!(images);
    const m = got.dataSync();
    tf.dispose([images, ws, got]);
    return h.map((v, i) => Math.abs(((m[i] - v + 540) % 360) - 180));
  };

  const options = { steps: 500, batchSize: 16, learningRate: 3e-3, anchor: 0.1, probeKnots: 24, probeSamples: 4, only: ['hue'] };

  it('gives the value a seam and moves the encoder onto one branch: every knot reaches its value', async () => {
    const encoders = trained.map(copy);
    const controller = new Controller({ generator: G, encoders, attributes });
    const report = await expectNoLeaks(() => refineEncoders(controller, attributes, options));
    const r = report.hue;
    const before = r.probeBefore[0]!;
    const after = r.probeAfter[0]!;
    console.log(
      `doubled hue: probe mean ${before.mean.toFixed(1)}° (max ${before.max.toFixed(1)}°) → ${after.mean.toFixed(1)}° (max ${after.max.toFixed(1)}°); cycle ${r.cycleBefore.toFixed(3)} → ${r.cycleAfter.toFixed(3)}; seam ${r.seams[0]}`,
    );
    expect(before.max).toBeGreaterThan(60);
    expect(r.seams[0]).toBe(before.knots[before.errors.indexOf(before.max)]);
    expect(controller.encoder('hue').values[0]).toMatchObject({ seam: r.seams[0] });
    const fine = await sweep(controller);
    const off = fine.flatMap((e, i) => (e > 20 ? [i / 2] : []));
    console.log(`  fine sweep: mean ${(fine.reduce((a, b) => a + b, 0) / fine.length).toFixed(1)}°, off by > 20° at ${off.join(', ')}`);
    expect(after.mean).toBeLessThan(5);
    expect(fine.reduce((a, b) => a + b, 0) / fine.length).toBeLessThan(5);
    expect(off.length).toBeLessThan(0.02 * fine.length);
    expect(after.max).toBeLessThan(20);
    expect(r.cycleAfter).toBeLessThan(0.25 * r.cycleBefore);
    expect(r.images).toBe(2 * 16 * options.steps);
    // Only the hue encoder moved.
    const tilt = (es: AttributeEncoder[]) => es.find((e) => e.group === 'tilt')!.weights()['fc_stack.0.weight'];
    const [a, b] = [tilt(trained), tilt(encoders)];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
    for (const e of encoders) e.dispose();
  });

  it('refuses what it cannot refine, by name', async () => {
    const controller = new Controller({ generator: G, encoders: trained.map((e) => e), attributes });
    await expect(refineEncoders(controller, attributes, { only: ['age'] })).rejects.toMatchObject({ code: 'ENCODERS_UNKNOWN_ATTRIBUTE' });
    await expect(refineEncoders(controller, attributes, { steps: 0 })).rejects.toMatchObject({
      code: 'ENCODERS_INVALID_OPTIONS',
      message: expect.stringContaining('steps'),
    });
  });
});
