// The library path under `gan-control invert` / `edit`, on the bundled shapes model with its
// plugins: projecting an image the model sampled reproduces it, and an edit of the projected
// latent changes only its attribute (measured with the shapes plugins' `measure`; cpu backend).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttribute } from '@gan-control/contrastive-loss';
import type { Attribute } from '@gan-control/contrastive-loss';
import { color, position, size } from '@gan-control/domain-shapes';
import { Controller, encoderStart, encoderStarts, projectImage } from '@gan-control/encoders';
import { trackTensors } from '@gan-control/test-utils';

const modelDir = resolve(import.meta.dirname, '..', '..', '..', 'packages', 'domain-shapes', 'model');
const hasModel = existsSync(resolve(modelDir, 'encoders'));

describe.runIf(hasModel)('projectImage + Controller on the bundled shapes model', () => {
  let controller: Controller;
  let attributes: Record<string, Attribute>;
  let target: tf.Tensor4D;
  const measure = (images: tf.Tensor4D) =>
    tf.tidy(() => ({
      hue: attributes.color.measure!(images).dataSync()[0],
      xy: Array.from(attributes.position.measure!(images).dataSync()),
      size: attributes.size.measure!(images).dataSync()[0],
    }));
  const hueDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

  beforeAll(async () => {
    attributes = { color: await createAttribute(color), position: await createAttribute(position), size: await createAttribute(size) };
    controller = await Controller.load(modelDir, { attributes });
    const r = controller.generate({ seed: 2 });
    target = r.images;
    r.ws.dispose();
  });
  afterAll(() => {
    target?.dispose();
    controller?.dispose();
    for (const a of Object.values(attributes ?? {})) a.dispose();
  });

  // Measured on the cpu backend: 40 steps from the encoders' start reconstruct seed 2 at 43.5 dB
  // (60 steps: 46.1 dB); from the mean w, 60 steps stay at 20 dB on this image (the blob starts at
  // the centre, 8 px from the shape). The bound leaves room for backend rounding.
  it('reproduces an image sampled from the model (PSNR above 35 dB) and an edit changes only its attribute', async () => {
    const leaks = trackTensors();
    // `gan-control invert`'s settings: 8 starts screened, latent prior 0.001 (here 40 steps).
    const start = encoderStarts(controller, target, attributes, { count: 8 });
    leaks.expectAlive(0, 'encoderStarts');
    const r = await projectImage(controller.generator, target, { steps: 40, statsSamples: 1000, start, latentPrior: 0.001 });
    try {
      expect(r.latent.mode).toBe('groups');
      expect(r.psnr).toBeGreaterThan(35);
      const orig = measure(target);
      const rec = measure(r.image);
      expect(hueDiff(rec.hue, orig.hue)).toBeLessThan(5);
      expect(Math.hypot(rec.xy[0] - orig.xy[0], rec.xy[1] - orig.xy[1])).toBeLessThan(1);
      expect(Math.abs(rec.size - orig.size) / orig.size).toBeLessThan(0.05);

      // color.hue = 200 on the projected picture: the hue is set, position and size stay.
      const e = controller.generate({ latent: r.latent, set: { color: 200 } });
      const ed = measure(e.images);
      tf.dispose([e.images, e.ws]);
      expect(hueDiff(ed.hue, 200)).toBeLessThan(5);
      expect(Math.hypot(ed.xy[0] - rec.xy[0], ed.xy[1] - rec.xy[1])).toBeLessThan(1);
      expect(Math.abs(ed.size - rec.size) / rec.size).toBeLessThan(0.05);
      // A size edit moves the size, not the hue or the position.
      const s = controller.generate({ latent: r.latent, set: { size: 0.25 } });
      const sd = measure(s.images);
      tf.dispose([s.images, s.ws]);
      expect(Math.abs(sd.size - 0.25) / 0.25).toBeLessThan(0.05);
      expect(hueDiff(sd.hue, rec.hue)).toBeLessThan(5);
      expect(Math.hypot(sd.xy[0] - rec.xy[0], sd.xy[1] - rec.xy[1])).toBeLessThan(1);
      // A partial position edit: x set, y filled with the value measured on the projected picture.
      const p = controller.generate({ latent: r.latent, set: { position: { x: 12 } } });
      const pd = measure(p.images);
      tf.dispose([p.images, p.ws]);
      expect(Math.abs(pd.xy[0] - 12)).toBeLessThan(1);
      expect(Math.abs(pd.xy[1] - rec.xy[1])).toBeLessThan(1);
      expect(hueDiff(pd.hue, rec.hue)).toBeLessThan(5);
      // Closed loop: one pass of feedback lands the hue within 1° (also across 0°/360°), size within 1 %.
      for (const [hue, sz] of [
        [200, 0.3],
        [2, 0.2],
        [355, 0.25],
      ]) {
        const f = controller.generate({ latent: r.latent, set: { color: hue, size: sz }, feedback: 1 });
        const fd = measure(f.images);
        expect(f.values).toEqual({ color: [[hue]], size: [[sz]] });
        tf.dispose([f.images, f.ws]);
        expect(hueDiff(fd.hue, hue), `hue ${hue}: ${fd.hue}`).toBeLessThan(1);
        expect(Math.abs(fd.size - sz) / sz, `size ${sz}: ${fd.size}`).toBeLessThan(0.01);
      }
    } finally {
      r.image.dispose();
    }
    leaks.expectAlive(0);
  });

  it("encoderStarts: the encoders' start first, then starts that share its controlled sub-vectors and draw the rest from the seed", () => {
    const leaks = trackTensors();
    const one = encoderStart(controller, target, attributes);
    const starts = encoderStarts(controller, target, attributes, { count: 4, seed: 3 });
    leaks.expectAlive(0, 'encoderStarts');
    expect(starts).toHaveLength(4);
    expect(starts[0]).toEqual(one);
    const slice = (code: { ws: number[][] }, group: string) => {
      const g = controller.groups.find((x) => x.name === group)!;
      return code.ws[0].slice(g.offset, g.offset + g.size);
    };
    for (const s of starts.slice(1)) {
      for (const g of ['color', 'position', 'size']) expect(slice(s, g)).toEqual(slice(one, g));
      expect(slice(s, 'other')).not.toEqual(slice(one, 'other'));
    }
    expect(slice(starts[1], 'other')).not.toEqual(slice(starts[2], 'other'));
    expect(encoderStarts(controller, target, attributes, { count: 4, seed: 3 })).toEqual(starts);
    expect(encoderStarts(controller, target, attributes, { count: 4, seed: 4 })[1]).not.toEqual(starts[1]);
    expect(() => encoderStarts(controller, target, attributes, { count: 0 })).toThrow(/count must be a positive integer/);
  });

  it('feedback without the attribute runtimes says what is missing', async () => {
    const bare = await Controller.load(modelDir);
    try {
      expect(() => bare.generate({ set: { color: 200 }, feedback: 1 })).toThrow(
        /feedback: 1 measures 'color' .*needs its attribute runtime/,
      );
    } finally {
      bare.dispose();
    }
  });
});
