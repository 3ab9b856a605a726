import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Controller,
  calibrateEncoders,
  calibrationOffset,
  createEncoder,
  encoderFromWeights,
  evaluateControl,
  loadEncoder,
  loadEncoders,
} from '../src/index.js';
import { buildEncodersForModel, saveEncoder } from '../src/node.js';
import type { AttributeEncoder, Calibration } from '../src/index.js';
import { HUE_LEVEL_SPEC, TOY_BUILD, brightAttribute, createToyGenerator, hueAttribute, tiltAttribute } from './toy.js';

describe('calibrationOffset', () => {
  const col = { knots: [0, 10, 20], offsets: [1, 3, -1] };
  it('interpolates linearly and holds the end offsets beyond the knots', () => {
    expect(calibrationOffset(col, 5)).toBeCloseTo(2, 12);
    expect(calibrationOffset(col, 15)).toBeCloseTo(1, 12);
    expect(calibrationOffset(col, 10)).toBeCloseTo(3, 12);
    expect(calibrationOffset(col, -7)).toBe(1);
    expect(calibrationOffset(col, 99)).toBe(-1);
    expect(calibrationOffset(col, NaN)).toBe(0);
  });
  it('wraps a circular column around its period', () => {
    const c = { knots: [0, 90, 180, 270], offsets: [4, 0, 0, 2] };
    expect(calibrationOffset(c, 315, 360)).toBeCloseTo(3, 12); // halfway from 270 (2) to 360 ≡ 0 (4)
    expect(calibrationOffset(c, -45, 360)).toBeCloseTo(3, 12);
    expect(calibrationOffset(c, 405, 360)).toBeCloseTo(2, 12); // 45°: halfway from 0 (4) to 90 (0)
    const shifted = { knots: [30, 150, 270], offsets: [3, 0, -3] };
    // 0° lies on the wrap segment 270 → 390 (30 + 360): offset from −3 to 3, 90 of 120 along.
    expect(calibrationOffset(shifted, 0, 360)).toBeCloseTo(-3 + 6 * 0.75, 12);
  });
});

describe('encoder calibration', () => {
  const spec = HUE_LEVEL_SPEC;
  const calibration: Calibration = {
    method: 'input-offset',
    columns: [{ knots: [0, 120, 240], offsets: [10, -5, 0] }, null],
  };

  it('encodes y as the uncalibrated encoder encodes y + offset(y), and saves/loads the calibration', async () => {
    const enc = createEncoder(spec, { seed: 3 });
    const y = [
      [60, 0.5],
      [300, -1],
    ];
    const shifted = [
      [60 + 2.5, 0.5],
      [300 + 5, -1],
    ];
    const plain = enc.encode(tf.tensor2d(shifted));
    enc.calibration = calibration;
    const input = tf.tensor2d(y);
    const cal = expectNoLeaks(() => enc.encode(input), { allowed: 1 });
    input.dispose();
    expect(Array.from(cal.dataSync())).toEqual(Array.from(plain.dataSync()));
    const dir = await mkdtemp(join(tmpdir(), 'calib-'));
    try {
      const path = await saveEncoder(enc, dir);
      const back = await loadEncoder(path);
      expect(back.calibration).toEqual(calibration);
      const again = back.encode(tf.tensor2d(y));
      expect(Array.from(again.dataSync())).toEqual(Array.from(cal.dataSync()));
      tf.dispose(again);
      back.dispose();
      // A calibration that does not fit the values is a clear load error.
      const json = JSON.parse(await readFile(path, 'utf8'));
      json.calibration.columns[0].knots = [0, 240, 120];
      await writeFile(path, JSON.stringify(json));
      await expect(loadEncoder(path)).rejects.toMatchObject({
        code: 'ENCODERS_BAD_FILE',
        message: expect.stringContaining('calibration.columns[0].knots'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    enc.calibration = undefined;
    const off = enc.encode(tf.tensor2d(y));
    expect(Array.from(off.dataSync())).not.toEqual(Array.from(cal.dataSync()));
    tf.dispose([plain, cal, off]);
    enc.dispose();
  });

  it('rejects a calibration with the wrong number of columns or knots outside the period', () => {
    const enc = createEncoder(spec, { seed: 3 });
    expect(() => {
      enc.calibration = { method: 'input-offset', columns: [null] };
    }).toThrow(expect.objectContaining({ code: 'ENCODERS_SHAPE_MISMATCH' }));
    expect(() => {
      enc.calibration = { method: 'input-offset', columns: [{ knots: [0, 400], offsets: [0, 0] }, null] };
    }).toThrow(/\[0, 360\)/);
    expect(() => {
      enc.calibration = { method: 'input-offset', columns: [{ knots: [0, 10], offsets: [0] }, null] };
    }).toThrow(/offsets must have one entry per knot/);
    expect(enc.calibration).toBeUndefined();
    enc.dispose();
  });
});

// On the toy generator: well-trained encoders, then copies with a known input bias (hue read 25°
// off: the first layer rotated; brightness and tilt shifted through the input normalisation).
// Calibration must find the opposite offsets and remove the bias on evaluateControl's own seeds.
const HUE_SHIFT = 25;
const LINEAR_SHIFT = { bright: [0.08], tilt: [0.15, -0.1] } as Record<string, number[]>;

function biased(enc: AttributeEncoder): AttributeEncoder {
  const meta = enc.toMetadata('unused');
  const weights = enc.weights();
  try {
    const values = meta.values.map((v, c) => (v.kind === 'linear' ? { ...v, mean: v.mean - (LINEAR_SHIFT[enc.group]?.[c] ?? 0) } : v));
    if (enc.group === 'hue') {
      // Features (cos h, sin h) → (cos(h+φ), sin(h+φ)) = R(φ)·(cos h, sin h): W' = W·R(φ).
      const f = (HUE_SHIFT * Math.PI) / 180;
      const w0 = weights['fc_stack.0.weight'];
      const rot = tf.tensor2d([
        [Math.cos(f), -Math.sin(f)],
        [Math.sin(f), Math.cos(f)],
      ]);
      weights['fc_stack.0.weight'] = tf.matMul(w0, rot);
      tf.dispose([w0, rot]);
    }
    return encoderFromWeights({ ...meta, values }, weights);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

describe('calibrateEncoders', () => {
  const G = createToyGenerator();
  const attributes = { bright: brightAttribute(), hue: hueAttribute(), tilt: tiltAttribute() };
  let dir: string;
  let good: AttributeEncoder[];
  let encoders: AttributeEncoder[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'calibrate-'));
    const built = await buildEncodersForModel({
      generator: G,
      attributes,
      dir,
      ...TOY_BUILD,
    });
    good = built.encoders;
    encoders = good.map(biased);
  });
  afterAll(async () => {
    for (const e of [...(good ?? []), ...(encoders ?? [])]) e.dispose();
    G.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the opposite of a known input bias, removes it, leaks no tensors, and saves the calibration', async () => {
    const controller = new Controller({ generator: G, encoders: encoders.map((e) => e), attributes });
    const evalOpts = { seeds: 8, steps: 7, rangeSamples: 128, seed: 1 };
    const unbiased = await evaluateControl(
      new Controller({ generator: G, encoders: good.map((e) => e), attributes }),
      attributes,
      evalOpts,
    );
    const before = await evaluateControl(controller, attributes, evalOpts);
    const report = await expectNoLeaks(() =>
      calibrateEncoders(controller, attributes, { knots: 12, samples: 8, iterations: 3, rangeSamples: 128 }),
    );
    const after = await evaluateControl(controller, attributes, evalOpts);
    for (const name of ['bright', 'hue', 'tilt']) {
      const r = report[name];
      const e0 = r.errorBefore.reduce((a, b) => a + b, 0);
      const e1 = r.errorAfter.reduce((a, b) => a + b, 0);
      console.log(
        `${name}: knots error ${e0.toPrecision(3)} → ${e1.toPrecision(3)}; evaluateControl ${before[name].meanError.toPrecision(3)} → ${after[name].meanError.toPrecision(3)} (unbiased encoder ${unbiased[name].meanError.toPrecision(3)})`,
      );
      expect(e1).toBeLessThan(0.5 * e0);
      expect(after[name].meanError).toBeLessThan(0.5 * before[name].meanError);
      expect(after[name].meanError).toBeLessThan(1.5 * unbiased[name].meanError);
    }
    // The fitted offsets are the opposite of the injected bias (mean over knots).
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const enc = (g: string) => encoders.find((e) => e.group === g)!;
    expect(mean(enc('hue').calibration!.columns[0]!.offsets)).toBeCloseTo(-HUE_SHIFT, -0.5); // within ±1.6°
    expect(Math.abs(mean(enc('bright').calibration!.columns[0]!.offsets) + LINEAR_SHIFT.bright[0])).toBeLessThan(0.02);
    for (const c of [0, 1]) expect(Math.abs(mean(enc('tilt').calibration!.columns[c]!.offsets) + LINEAR_SHIFT.tilt[c])).toBeLessThan(0.04);
    for (const e of encoders) await saveEncoder(e, join(dir, 'calibrated'));
    const loaded = await loadEncoders(join(dir, 'calibrated'));
    const hue = loaded.find((e) => e.group === 'hue')!;
    expect(hue.calibration?.columns[0]?.knots).toHaveLength(12);
    expect(hue.calibration?.fit).toMatchObject({ knots: 12, samples: 8, iterations: 3 });
    for (const e of loaded) e.dispose();
  });

  it('never keeps a correction that measured worse than none', async () => {
    const copies = good.map((e) => {
      const w = e.weights();
      try {
        return encoderFromWeights(e.toMetadata('unused'), w);
      } finally {
        tf.dispose(Object.values(w));
      }
    });
    const controller = new Controller({ generator: G, encoders: copies, attributes });
    const report = await calibrateEncoders(controller, attributes, { knots: 12, samples: 4, iterations: 3, rangeSamples: 64, seed: 2 });
    for (const [name, r] of Object.entries(report)) {
      const cal = copies.find((e) => e.group === name)!.calibration!;
      r.errorBefore.forEach((before, c) => {
        expect(r.errorAfter[c]).toBeLessThanOrEqual(before);
        // When no pass improved on the uncalibrated one, the column keeps zero offsets.
        if (r.errorAfter[c] === before) expect(cal.columns[c]!.offsets.every((o) => o === 0)).toBe(true);
      });
    }
    for (const e of copies) e.dispose();
  });

  it('names what it cannot calibrate', async () => {
    const controller = new Controller({ generator: G, encoders: encoders.map((e) => e), attributes });
    await expect(calibrateEncoders(controller, attributes, { only: ['age'] })).rejects.toMatchObject({
      code: 'ENCODERS_UNKNOWN_ATTRIBUTE',
    });
    await expect(calibrateEncoders(controller, attributes, { knots: 1 })).rejects.toMatchObject({
      code: 'ENCODERS_INVALID_OPTIONS',
      message: expect.stringContaining('knots'),
    });
  });
});
