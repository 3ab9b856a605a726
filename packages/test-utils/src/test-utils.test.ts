import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { buildContrastiveBatch, LatentLayout } from '@gan-control/latent';
import { createAttribute, FactorizedContrastiveLoss } from '@gan-control/contrastive-loss';
import { expectNoLeaks, fakeAttributePlugin, randomImages, solidImages } from './index';

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

describe('fake mean-colour plugin', () => {
  it('goes through createAttribute, measures colour fractions and disposes', async () => {
    const plugin = fakeAttributePlugin({ name: 'colour' });
    const attribute = await createAttribute(plugin, { weight: 0.5 });
    expect(plugin.calls.setup).toBe(1);
    expect(attribute.weight).toBe(0.5);
    await expectNoLeaks(() => {
      const images = solidImages([[1, 0, 0], [0, 0.5, 1]], 4);
      const y = attribute.measure!(images);
      const values = y.arraySync();
      expect(values[0]).toEqual([1, 0, 0]);
      expect(values[1][1]).toBeCloseTo(0.5, 6);
      tf.dispose([images, y]);
    });
    attribute.dispose();
    expect(plugin.calls.dispose).toBe(1);
    await expect(createAttribute(plugin, { tauPlus: 'x' } as never)).rejects.toThrow(/"colour":\n {2}- tauPlus/);
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
