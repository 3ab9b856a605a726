// The studio's model loading and frame rendering, in Node on the cpu backend (no browser): the
// bundled model opened from its files as the folder picker hands them over, per-group seeds, and
// tensor hygiene.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { fileSource, openModel, type StudioModel } from '../src/model.js';
import { Renderer } from '../src/render.js';
import { parseSettings, type Settings } from '../src/settings.js';
import { SHAPES_MODEL } from './helpers.js';

function folderFiles(dir: string, base = dir, out = new Map<string, Blob>()): Map<string, Blob> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) folderFiles(p, base, out);
    else out.set(relative(base, p).split(sep).join('/'), new Blob([readFileSync(p)]));
  }
  return out;
}

describe('studio model and renderer (Node, cpu)', () => {
  let model: StudioModel;
  let renderer: Renderer;
  const settings = (query: string): Settings => parseSettings(new URLSearchParams(query), model);

  beforeAll(async () => {
    model = await openModel(fileSource('model', folderFiles(SHAPES_MODEL)));
    renderer = new Renderer(model);
  });
  afterAll(() => model?.dispose());

  it('opens the bundled model with its three encoders and browser-side plugins', () => {
    expect(model.resolution).toBe(32);
    expect(model.groups.map((g) => g.name)).toEqual(['color', 'position', 'size', 'other']);
    expect(model.attributes.map((a) => `${a.name}:${a.values.map((v) => v.name).join('+')}`)).toEqual([
      'color:hue',
      'position:x+y',
      'size:size',
    ]);
    expect(model.attributes.every((a) => a.runtime?.measure)).toBe(true);
  });

  it('with one seed for every group, a frame is exactly Controller.generate({ seed, set })', async () => {
    const s = settings('seed=4&color.hue=100&position.x=16&position.y=14&size.size=0.25');
    const [frame] = await renderer.render(s);
    const { images, ws } = model.controller.generate({ seed: 4, set: { color: 100, position: [16, 14], size: 0.25 } });
    const bytes = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(tf.add(images, 1), 127.5)), 0, 255).dataSync());
    tf.dispose([images, ws]);
    const rgb = Array.from({ length: 32 * 32 * 3 }, (_, i) => frame.rgba[Math.floor(i / 3) * 4 + (i % 3)]);
    expect(rgb).toEqual(Array.from(Uint8Array.from(bytes))); // (bytes may hold -0)
    expect(Math.abs(frame.measured.color[0] - 100)).toBeLessThan(5);
  });

  it('reseeding one group changes the picture, and a set attribute holds its value', async () => {
    const [a] = await renderer.render(settings('seed=4&color.hue=100&position.x=16&position.y=14&size.size=0.25'));
    const [b] = await renderer.render(settings('seed=4&seed.other=77&color.hue=100&position.x=16&position.y=14&size.size=0.25'));
    expect(Buffer.from(a.rgba).equals(Buffer.from(b.rgba))).toBe(false);
    expect(Math.abs(b.measured.color[0] - 100)).toBeLessThan(5);
    // Sampling color from a reseeded color group gives another hue than the request.
    const [c] = await renderer.render(settings('seed=4&seed.color=12&sample=color&position.x=16&position.y=14&size.size=0.25'));
    const [d] = await renderer.render(settings('seed=4&seed.color=13&sample=color&position.x=16&position.y=14&size.size=0.25'));
    expect(Math.abs(c.measured.color[0] - d.measured.color[0])).toBeGreaterThan(1);
  });

  it('a frame and a variations batch leave no tensor behind', async () => {
    const s = settings('seed=2&color.hue=200');
    await renderer.render(s); // caches filled
    await expectNoLeaks(async () => {
      await renderer.render(s);
      const frames = await renderer.render(s, 7, (r) => () => 2 + r);
      await renderer.measureSampled(s);
      expect(frames).toHaveLength(7);
    });
  });
});
