import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, controllerMethod, formatControlReport, loadEncoders } from '../src/index.js';
import type { TrainProgress } from '../src/index.js';
import { buildEncodersForModel, evaluateControl, evaluateMethod } from '../src/node.js';
import type { BuildEncodersResult } from '../src/node.js';
import { TOY_BUILD, brightAttribute, createToyGenerator, hueAttribute, tiltAttribute } from './toy.js';

// End to end on the toy generator: sampler → training → save/load → controller → evaluation.
const G = createToyGenerator();
const attributes = { bright: brightAttribute(), hue: hueAttribute(), tilt: tiltAttribute() };
let dir: string;
let built: BuildEncodersResult;
const progress: TrainProgress[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'encoders-e2e-'));
  built = await buildEncodersForModel({
    generator: G,
    attributes,
    dir,
    ...TOY_BUILD,
    onProgress: (p) => {
      if (p.phase === 'train') progress.push(p);
    },
  });
});
afterAll(async () => {
  for (const e of built?.encoders ?? []) e.dispose();
  G.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('pipeline', () => {
  it('trains encoders whose validation error is far below predicting the mean', () => {
    for (const name of ['bright', 'hue', 'tilt']) {
      const m = built.metrics[name];
      expect(m.trainRows + m.valRows).toBe(768);
      expect(m.valRows).toBe(77);
      expect(m.relativeValError).toBeLessThan(0.25);
      console.log(
        `${name}: val error ${m.valError.toPrecision(3)}, mean predictor ${m.baselineValError.toPrecision(3)}, relative ${m.relativeValError.toFixed(3)}`,
      );
    }
    const p = progress.filter((x) => x.group === 'hue');
    expect(p[0].epoch).toBe(1);
    expect(p.at(-1)!.valError).toBeLessThan(p[0].valError);
    expect(p.every((x) => Number.isFinite(x.trainLoss) && x.etaMs >= 0)).toBe(true);
  });

  it('sets values by name and the measured values follow', async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders, attributes });
    expectNoLeaks(() => {
      const r = controller.generate({ set: { bright: [-0.3, 0, 0.3, 0.5], hue: 200, tilt: { x: 0.8, y: -0.5 } }, seed: 4, count: 4 });
      expect(r.images.shape).toEqual([4, 8, 8, 3]);
      expect(r.ws.shape).toEqual([4, 3, 10]);
      expect(r.values.tilt).toEqual([
        [0.8, -0.5],
        [0.8, -0.5],
        [0.8, -0.5],
        [0.8, -0.5],
      ]);
      const [bright, hue, tilt] = ['bright', 'hue', 'tilt'].map((k) => measure(k, r.images));
      [-0.3, 0, 0.3, 0.5].forEach((v, i) => expect(Math.abs(bright[i][0] - v)).toBeLessThan(0.05));
      for (let i = 0; i < 4; i++) {
        expect(Math.abs(hue[i][0] - 200)).toBeLessThan(6);
        expect(Math.abs(tilt[i][0] - 0.8)).toBeLessThan(0.1);
        expect(Math.abs(tilt[i][1] + 0.5)).toBeLessThan(0.1);
      }
      // The w+ edit is the same on every layer.
      const ws = r.ws.arraySync();
      for (const row of ws) for (const layer of row) expect(layer).toEqual(row[0]);
      tf.dispose([r.images, r.ws]);
    });
    controller.dispose();
  });

  it('keeps sampled sub-vectors, fills partial sets, truncates per group and takes references', async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders, attributes });
    expectNoLeaks(() => {
      // Unset attributes are sampled from the seed: same seed, same images.
      const a = controller.generate({ seed: 11, count: 3 });
      const b = controller.generate({ seed: 11, count: 3 });
      expect(Array.from(b.images.dataSync())).toEqual(Array.from(a.images.dataSync()));
      // keep: every row gets row 0's hue and tilt; the brightness varies as set.
      const k = controller.generate({ seed: 11, count: 3, keep: ['hue', 'tilt', 'other'], set: { bright: [-0.4, 0, 0.4] } });
      const kh = measure('hue', k.images);
      const kt = measure('tilt', k.images);
      const ah = measure('hue', a.images);
      for (let i = 0; i < 3; i++) {
        expect(kh[i][0]).toBeCloseTo(ah[0][0], 3);
        expect(kt[i][0]).toBeCloseTo(kt[0][0], 4);
      }
      // Partial set: the missing tilt.y is measured on the seed's own image.
      const at = measure('tilt', a.images);
      const p = controller.generate({ seed: 11, count: 3, set: { tilt: { x: 0.5 } } });
      p.values.tilt.forEach((row, i) => {
        expect(row[0]).toBe(0.5);
        expect(row[1]).toBeCloseTo(at[i][1], 5);
      });
      const pm = controller.generate({ seed: 11, count: 1, set: { tilt: { x: 0.5 } }, fill: 'mean' });
      expect(Math.abs(pm.values.tilt[0][1])).toBeLessThan(0.2); // the training mean of a zero-mean slope
      // Truncation of one group pulls only that group toward the average w.
      const t = controller.generate({ seed: 11, count: 3, truncation: { tilt: 0 } });
      const tt = measure('tilt', t.images);
      const tb = measure('bright', t.images);
      const ab = measure('bright', a.images);
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(tt[i][0])).toBeLessThan(1e-4);
        expect(tb[i][0]).toBeCloseTo(ab[i][0], 5);
      }
      // Reference: hue measured on another image.
      const ref = controller.generate({ seed: 99, count: 1, set: { hue: 40 } });
      const r = controller.generate({ seed: 11, count: 3, reference: { attribute: 'hue', image: ref.images } });
      const rh = measure('hue', r.images);
      const refHue = measure('hue', ref.images)[0][0];
      for (let i = 0; i < 3; i++) expect(Math.abs(rh[i][0] - refHue)).toBeLessThan(6);
      const rv = controller.generate({ seed: 11, count: 2, reference: { attribute: 'hue', values: [[100], [300]] } });
      expect(rv.values.hue).toEqual([[100], [300]]);
      const rb = controller.generate({ seed: 11, count: 2, reference: { attribute: 'hue', values: [100] } });
      expect(rb.values.hue).toEqual([[100], [100]]);
      for (const x of [a, b, k, p, pm, t, ref, r, rv, rb]) tf.dispose([x.images, x.ws]);
    });
    controller.dispose();
  });

  it('rejects unknown names, wrong shapes and out-of-range values, listing what the model supports', async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders });
    expectNoLeaks(() => {
      const err = (o: Parameters<Controller['generate']>[0]) => {
        try {
          controller.generate(o);
        } catch (e) {
          return e as Error & { code: string };
        }
        throw new Error('expected an error');
      };
      const unknown = err({ set: { pose: { yaw: 30 } } });
      expect(unknown.code).toBe('ENCODERS_UNKNOWN_ATTRIBUTE');
      expect(unknown.message).toMatch(
        /unknown attribute 'pose'; this model controls:\nbright: level \[-?[\d.]+, [\d.]+\] level\nhue: hue \(circular, period 360\) deg\ntilt: x \[.+\] slope, y \[.+\] slope/,
      );
      expect(err({ set: { other: 1 } }).message).toMatch(/'other' is a latent group without an encoder/);
      const value = err({ set: { tilt: { z: 1 } } });
      expect(value.code).toBe('ENCODERS_UNKNOWN_VALUE');
      expect(value.message).toMatch(/set\.tilt: unknown value name\(s\) 'z' for 'tilt'; its values are: x \(slope\), y \(slope\)/);
      const range = err({ set: { bright: 5 } });
      expect(range.code).toBe('ENCODERS_VALUE_OUT_OF_RANGE');
      expect(range.message).toMatch(/'bright': level = 5 level \(supported \[-?[\d.]+, [\d.]+\]\)/);
      expect(err({ set: { tilt: 1 } }).message).toMatch(/set\.tilt: a single number was given; 'tilt' has 2 value\(s\): x, y/);
      expect(err({ set: { bright: [0.1, 0.2] }, count: 3 }).message).toMatch(/the array has 2 per-row values but count is 3/);
      expect(err({ set: { tilt: { x: 0.1 } }, fill: 'measured' }).code).toBe('ENCODERS_NO_MEASURE');
      expect(err({ keep: ['hue'], set: { hue: 10 } }).message).toMatch(/'hue' is both kept and set/);
      expect(err({ count: 0 }).message).toMatch(/invalid options for Controller.generate: count: /);
      expect(err({ truncation: { nope: 0.5 } }).message).toMatch(
        /truncation: unknown latent group 'nope'; the groups are: bright, hue, tilt, other/,
      );
      // Circular values are never out of range; everything created before an error was released.
      const out = controller.generate({ set: { hue: 720 }, count: 1 });
      tf.dispose([out.images, out.ws]);
    });
    // An encoder from another model is refused.
    const bad = {
      ...encoders[0],
      values: encoders[0].values,
      group: 'hue',
      wSlice: { offset: 0, size: 3 },
      encode: encoders[0].encode.bind(encoders[0]),
      dispose() {},
    };
    expect(() => new Controller({ generator: G, encoders: [bad] })).toThrow(/predicts w\[0:3\) but group 'hue' is w\[3:5\)/);
    controller.dispose();
  });

  it('evaluates control precision and leakage, writes grids, and renders a table', async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders, attributes });
    const gridDir = join(dir, 'eval');
    const seen: string[] = [];
    const report = await expectNoLeaks(() =>
      evaluateControl(controller, attributes, {
        seeds: 3,
        steps: 5,
        rangeSamples: 96,
        gridDir,
        seed: 2,
        batchSize: 32,
        onProgress: (p) => seen.push(`${p.phase}:${p.attribute ?? ''}:${p.done}/${p.total}`),
      }),
    );
    expect(seen[0]).toBe('range::32/150'); // 96 random images + 3 attributes × 3 seeds × (1 + 5)
    expect(seen.at(-1)).toBe('sweep:tilt:150/150');
    console.log(formatControlReport(report));
    expect(Object.keys(report)).toEqual(['bright', 'hue', 'tilt']);
    for (const [name, r] of Object.entries(report)) {
      expect(Object.keys(r.leakage).sort()).toEqual(['bright', 'hue', 'tilt'].filter((x) => x !== name));
      expect(r.range[1]).toBeGreaterThan(r.range[0]);
      expect(r.p90Error).toBeGreaterThanOrEqual(r.meanError * 0.5);
      for (const l of Object.values(r.leakage)) expect(l).toBeLessThan(0.05);
    }
    expect(report.bright.unit).toBe('level');
    expect(report.bright.meanError / (report.bright.range[1] - report.bright.range[0])).toBeLessThan(0.05);
    expect(report.hue.meanError).toBeLessThan(5); // degrees, across the 0/360 wrap
    expect(report.hue.requested.map((x) => x[0])).toEqual([0, 72, 144, 216, 288]);
    expect(Object.keys(report.tilt.values!)).toEqual(['x', 'y']);
    const png = await readFile(join(gridDir, 'hue.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // 5 columns × (8 px + 2 px padding) + 2 = 52 px wide, 3 rows → 32 px high.
    expect(png.readUInt32BE(16)).toBe(52);
    expect(png.readUInt32BE(20)).toBe(32);
    expect((await stat(join(gridDir, 'tilt.png'))).size).toBeGreaterThan(100);
    const table = formatControlReport(report);
    expect(table.split('\n')[0]).toMatch(/^attribute\s+unit\s+range\s+mean err\s+p90 err\s+leakage/);
    expect(table).toMatch(/\n {2}x\s+slope/);
    controller.dispose();
  });
});

/** measure(images) of a toy attribute as rows. */
function measure(name: string, images: tf.Tensor4D): number[][] {
  const y = attributes[name as keyof typeof attributes].measure!(images);
  const out = y.arraySync() as number[][];
  y.dispose();
  return out;
}

describe('evaluateControl with failing measurements', () => {
  it('leaves non-finite measurements out and counts them', async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders });
    // A hue "detector" that fails (NaN) on hues in [60°, 120°].
    const flaky = {
      ...attributes.hue,
      measure: (im: tf.Tensor4D) =>
        tf.tidy(() => {
          const hue = attributes.hue.measure!(im);
          const bad = tf.logicalAnd(tf.greater(hue, 60), tf.less(hue, 120));
          return tf.where(bad, tf.fill(hue.shape, NaN), hue) as tf.Tensor2D;
        }),
    };
    const report = await evaluateControl(
      controller,
      { bright: attributes.bright, hue: flaky },
      { seeds: 3, steps: 4, rangeSamples: 64, only: ['hue'] },
    );
    // Requests 0°, 90°, 180°, 270° on 3 seeds: the three 90° images cannot be measured.
    expect(report.hue.requested.map((r) => r[0])).toEqual([0, 90, 180, 270]);
    expect(report.hue.failedMeasurements).toBe(3);
    expect(report.hue.meanError).toBeLessThan(5);
    expect(report.hue.range.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(report.hue.leakage.bright)).toBe(true);
    await expect(evaluateControl(controller, { bright: attributes.bright }, { only: ['hue'] })).rejects.toThrow(
      /only names 'hue', but no attribute runtime/,
    );
    controller.dispose();
  });
});

describe('evaluateMethod: one protocol for any control method', () => {
  it("the controller as a ControlMethod gives evaluateControl's report; another method is measured alike", async () => {
    const encoders = await loadEncoders(join(dir, 'encoders'));
    const controller = new Controller({ generator: G, encoders });
    const options = { seeds: 2, steps: 3, rangeSamples: 32, only: ['hue'] };
    const direct = await evaluateControl(controller, attributes, options);
    expect(await evaluateMethod(controllerMethod(controller), attributes, options)).toEqual(direct);
    // A method that ignores the request (returns the base picture): the error is as large as the
    // requested hues' spread from the seed's hue, and nothing leaks.
    const inert = controllerMethod(controller);
    const ignoring = {
      ...inert,
      setValues: ({ seed, rows }: { seed: number; rows: number[][] }) =>
        tf.tidy(() => tf.tile(inert.sample({ seed, count: 1 }), [rows.length, 1, 1, 1])),
    };
    const report = await evaluateMethod(ignoring, attributes, options);
    expect(report.hue.meanError).toBeGreaterThan(10 * direct.hue.meanError);
    for (const leak of Object.values(report.hue.leakage)) expect(leak).toBe(0);
    controller.dispose();
  });
});
