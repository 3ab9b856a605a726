// The README's "Writing an attribute plugin" example is examples/mean-colour.ts verbatim;
// this test keeps the two in sync and checks that the example works end to end.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@gan-control/test-utils';
import { buildContrastiveBatch, LatentLayout } from '@gan-control/latent';
import { AttributeRegistry, createAttribute, FactorizedContrastiveLoss } from '@gan-control/contrastive-loss';
import meanColourPlugin, { meanColour } from '../examples/mean-colour.js';
import { expectClose } from './helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const source = readFileSync(new URL('../examples/mean-colour.ts', import.meta.url), 'utf8');

/** Solid-colour NHWC images in [-1, 1] from RGB fractions. */
function solid(colours: number[][], size = 4): tf.Tensor4D {
  return tf.tidy(() =>
    tf.stack(colours.map((c) => tf.add(tf.zeros([size, size, 3]), tf.sub(tf.mul(tf.tensor1d(c), 2), 1)))),
  ) as tf.Tensor4D;
}

describe('README example plugin (mean colour)', () => {
  it('appears verbatim in the README guide', () => {
    const block = readme.match(/<!-- example:mean-colour -->\s*```ts\n([\s\S]*?)```/);
    expect(block, 'README must contain the example block').not.toBeNull();
    expect(block![1].trim()).toBe(source.trim());
  });

  it('sets up through createAttribute with defaults and named option errors', async () => {
    const attribute = await createAttribute(meanColourPlugin);
    expect([attribute.name, attribute.weight, attribute.latentSize]).toEqual(['mean-colour', 1, 16]);
    await expect(createAttribute(meanColour(), { tauMinus: -1 })).rejects.toThrow(/"mean-colour":\ntauMinus: /);
    expect(new AttributeRegistry().register(meanColour()).list()).toEqual(['mean-colour']);
  });

  it('measures colours in [0, 1] and embeds without leaks', async () => {
    const attribute = await createAttribute(meanColourPlugin);
    const images = solid([
      [1, 0, 0],
      [0.25, 0.5, 0.75],
    ]);
    await expectNoLeaks(() => {
      const y = attribute.measure!(images);
      expectClose(y.dataSync(), [1, 0, 0, 0.25, 0.5, 0.75], 1e-6, 1e-7, 'measure');
      const e = attribute.embed(images) as tf.Tensor;
      expect(e.shape).toEqual([2, 3]);
      tf.dispose([y, e]);
    });
    images.dispose();
    attribute.dispose();
  });

  it('drives the factorized loss: pairs with equal colours and distinct others cost nothing', async () => {
    const layout = LatentLayout.fromSizes({ colour: 4, other: 4 }, 'other');
    const attribute = await createAttribute(meanColourPlugin, { tauPlus: 0.02, tauMinus: 0.2 });
    const loss = new FactorizedContrastiveLoss({ layout, attributes: { colour: attribute } });
    const { z, masks, pairs } = buildContrastiveBatch(layout, { rng: 0, batchSize: 4 });
    expect(pairs).toEqual({ colour: [[0, 1]], other: [[2, 3]] });
    const good = solid([
      [0.2, 0.2, 0.2],
      [0.2, 0.2, 0.2],
      [0.9, 0.1, 0.1],
      [0.1, 0.9, 0.1],
    ]);
    const bad = solid([
      [0.2, 0.2, 0.2],
      [0.8, 0.2, 0.2],
      [0.2, 0.2, 0.2],
      [0.2, 0.2, 0.2],
    ]);
    await expectNoLeaks(() => {
      const low = tf.tidy(() => loss.compute(good, masks).total.dataSync()[0]);
      const high = tf.tidy(() => loss.compute(bad, masks).total.dataSync()[0]);
      expect(low).toBe(0);
      // pair (0,1) differs by 0.4 on one of 3 channels in [-1, 1]: l1-mean 0.4 → same = 0.38;
      // of 5 negatives, 3 have distance 0 (→ 0.2 each) and 2 have 0.4 (→ 0): notSame = 0.12
      expectClose([high], [0.38 + 0.12], 1e-5, 0, 'loss');
    });
    tf.dispose([z, good, bad, ...Object.values(masks)]);
  });
});
