import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildContrastiveBatch, LatentLayout } from '@gan-control/latent';
import { createAttribute, FactorizedContrastiveLoss } from '@gan-control/contrastive-loss';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expectNoLeaks,
  fakeAttributePlugin,
  maxAbsDiff,
  measureRows,
  onBackend,
  pairGradient,
  photoFixtures,
  randomImages,
  readPpm,
  solidImages,
  trackPageTensors,
  trackTensors,
} from '../src/index.js';

describe('expectNoLeaks', () => {
  it('passes for tidy code and returns the result', async () => {
    const x = tf.ones([3]);
    expect(expectNoLeaks(() => tf.tidy(() => tf.sum(tf.add(x, 1)).dataSync()[0]))).toBe(6);
    const y = expectNoLeaks(() => tf.add(x, 1), { allowed: 1 });
    expect(await expectNoLeaks(async () => (await y.data())[0])).toBe(2);
    tf.dispose([x, y]);
  });

  it('fails for leaking sync and async code with a helpful message', async () => {
    const kept: tf.Tensor[] = [];
    expect(() => expectNoLeaks(() => void kept.push(tf.zeros([2])), { label: 'leaky' })).toThrow(/Tensor leak in leaky: 1 tensor/);
    await expect(expectNoLeaks(async () => void kept.push(tf.zeros([2])))).rejects.toThrow(/Tensor leak/);
    tf.dispose(kept);
  });
});

describe('trackTensors', () => {
  it('checks the count at several points of one flow, across awaits', async () => {
    const leaks = trackTensors();
    leaks.expectAlive(0);
    const y = tf.ones([2]);
    expect(leaks.alive()).toBe(1);
    leaks.expectAlive(1);
    await y.data();
    y.dispose();
    leaks.expectAlive(0);
  });

  it('fails with the label and both counts, and also when tensors were disposed that it did not own', () => {
    const x = tf.zeros([1]);
    const leaks = trackTensors({ label: 'setup' });
    const kept = tf.zeros([2]);
    expect(() => leaks.expectAlive(0)).toThrow(/Tensor leak in setup: 1 tensor\(s\) more alive than when tracking started \(expected 0; /);
    expect(() => leaks.expectAlive(0, 'teardown')).toThrow(/Tensor leak in teardown: 1 tensor/);
    tf.dispose([x, kept]);
    expect(() => leaks.expectAlive(0)).toThrow(/-1 tensor\(s\) more alive/);
  });
});

describe('trackPageTensors', () => {
  // A stand-in for a playwright Page: evaluate runs the function where `window.tf` is this
  // process's tf, after a round trip through its source text as playwright does.
  const page = {
    evaluate: async (fn: () => number): Promise<number> => {
      const run = new Function('globalThis', `return (${fn.toString()})();`) as (g: unknown) => number;
      return run({ tf });
    },
  };

  it('counts the tensors of the page’s window.tf, and fails on a leak there', async () => {
    const leaks = await trackPageTensors(page, { label: 'the page' });
    const y = tf.ones([3]);
    expect(await leaks.alive()).toBe(1);
    await expect(leaks.expectAlive(0)).rejects.toThrow(/Tensor leak in the page: 1 tensor\(s\) more alive in the page/);
    y.dispose();
    await leaks.expectAlive(0);
  });
});

describe('fake mean-colour plugin', () => {
  it('goes through createAttribute, measures colour fractions and disposes', async () => {
    const plugin = fakeAttributePlugin({ name: 'colour' });
    const attribute = await createAttribute(plugin, { weight: 0.5 });
    expect(plugin.calls.setup).toBe(1);
    expect(attribute.weight).toBe(0.5);
    await expectNoLeaks(() => {
      const images = solidImages(
        [
          [1, 0, 0],
          [0, 0.5, 1],
        ],
        4,
      );
      const y = attribute.measure!(images);
      const values = y.arraySync();
      expect(values[0]).toEqual([1, 0, 0]);
      expect(values[1][1]).toBeCloseTo(0.5, 6);
      tf.dispose([images, y]);
    });
    attribute.dispose();
    expect(plugin.calls.dispose).toBe(1);
    await expect(createAttribute(plugin, { tauPlus: 'x' } as never)).rejects.toThrow(/"colour":\ntauPlus: /);
  });

  it('drives the loss (with an intermediate layer) without leaks, and gradients flow to the images', async () => {
    const layout = LatentLayout.fromSizes({ colour: 2, other: 2 }, 'other');
    const attribute = await createAttribute(fakeAttributePlugin({ name: 'colour' }), { intermediate: { focus: 'not_same_as_last_layer' } });
    const loss = new FactorizedContrastiveLoss({ layout, attributes: [attribute] });
    const { z, masks } = buildContrastiveBatch(layout, { rng: 1, batchSize: 6 });
    const images = randomImages(6, 4, 4, 3, 9);
    await expectNoLeaks(() => {
      const g = tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, masks).total)(images);
      expect(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
      g.dispose();
    });
    tf.dispose([z, images, ...Object.values(masks)]);
  });

  it('randomImages is deterministic per seed', () => {
    const a = randomImages(2, 2, 2, 3, 5);
    const b = randomImages(2, 2, 2, 3, 5);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Math.max(...a.dataSync())).toBeLessThanOrEqual(1);
    tf.dispose([a, b]);
  });
});

describe('test photographs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'test-utils-'));
  // 2×1 PPM: a red and a white pixel.
  writeFileSync(join(dir, 'two.ppm'), Buffer.concat([Buffer.from('P6\n2 1\n255\n', 'latin1'), Buffer.from([255, 0, 0, 255, 255, 255])]));
  writeFileSync(join(dir, 'short.ppm'), Buffer.concat([Buffer.from('P6\n2 1\n255\n', 'latin1'), Buffer.from([255, 0, 0])]));
  writeFileSync(join(dir, 'text.ppm'), 'P3\n2 1\n255\n255 0 0 255 255 255\n');
  writeFileSync(join(dir, 'reference.json'), JSON.stringify({ value: 3 }));

  it('reads binary PPMs as pixels and as [-1, 1] faces, and the reference', () => {
    expect(readPpm(join(dir, 'two.ppm'))).toMatchObject({ width: 2, height: 1 });
    const photos = photoFixtures(dir);
    const px = photos.pixels(['two']);
    const faces = photos.faces(['two', 'two']);
    expect(px.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(px.dataSync())).toEqual([255, 0, 0, 255, 255, 255]);
    expect(faces.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(faces.dataSync().slice(0, 6))).toEqual([1, -1, -1, 1, 1, 1]);
    expect(photos.reference<{ value: number }>().value).toBe(3);
    tf.dispose([px, faces]);
  });

  it('rejects other formats and truncated files, naming the file', () => {
    expect(() => readPpm(join(dir, 'text.ppm'))).toThrow(/text\.ppm is not a binary 8-bit PPM/);
    expect(() => readPpm(join(dir, 'short.ppm'))).toThrow(/short\.ppm is truncated: 3 of 6/);
  });

  it('maxAbsDiff compares equal-length rows only', () => {
    expect(maxAbsDiff([1, 2], [1.5, -4])).toEqual({ abs: 6, ref: 4 });
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/lengths differ/);
  });

  it('measureRows disposes input and output and catches a leaking forward', () => {
    expectNoLeaks(() =>
      expect(
        measureRows((x) => tf.tidy(() => tf.reshape(tf.mean(x, [1, 2]), [-1, 3]) as tf.Tensor2D), solidImages([[1, 0, 0]], 2)),
      ).toEqual([[1, -1, -1]]),
    );
    const kept: tf.Tensor[] = [];
    expect(() =>
      measureRows(
        (x) => {
          kept.push(tf.add(x, 1));
          return tf.zeros([1, 1]) as tf.Tensor2D;
        },
        solidImages([[0, 0, 0]], 2),
      ),
    ).toThrow(/Tensor leak in the forward: 1 tensor/);
    tf.dispose(kept);
  });

  it('onBackend switches backend and restores it, also when the body throws', async () => {
    const previous = tf.getBackend();
    await expect(onBackend('cpu', () => tf.getBackend())).resolves.toBe('cpu');
    await expect(
      onBackend('cpu', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.getBackend()).toBe(previous);
    await expect(onBackend('no-such-backend', () => 1)).rejects.toThrow(/no-such-backend/);
    expect(tf.getBackend()).toBe(previous);
  });
});

describe('pairGradient', () => {
  it('differentiates a plugin through its contrastive term, without leaks', async () => {
    const attribute = await createAttribute(fakeAttributePlugin({ name: 'colour' }));
    const images = randomImages(2, 4, 4, 3, 5);
    const { finite, maxAbs } = expectNoLeaks(() => pairGradient(attribute, images));
    expect(finite).toBe(true);
    expect(maxAbs).toBeGreaterThan(0);
    const three = randomImages(3, 4, 4, 3, 5);
    expect(() => pairGradient(attribute, three)).toThrow(/batch of 2 images, got 3/);
    tf.dispose([images, three]);
    attribute.dispose();
  });
});
