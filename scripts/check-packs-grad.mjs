// Run by check-packs.mjs in an empty project that installed only the core, the latent package,
// @gan-control/gradients, @gan-control/errors and @gan-control/domain-shapes (plus tfjs-core,
// tfjs-backend-cpu, zod):
// a plugin written in plain Node ESM from the contrastive-loss guide, differentiated with tf.grad.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { LatentLayout, buildContrastiveBatch, createRng } from '@gan-control/latent';
import { createAttribute, FactorizedContrastiveLoss } from '@gan-control/contrastive-loss';
import { color } from '@gan-control/domain-shapes';
import { z } from 'zod';

await tf.setBackend('cpu');
tf.findBackend('cpu').firstUse = false;

/** Brightness of the image's bright parts: max-pool, ReLU, mean (kernels the stock set covers). */
const brightness = {
  name: 'brightness',
  version: '0.1.0',
  apiVersion: 1,
  options: z.object({
    latentSize: z.number().default(4),
    weight: z.number().default(1),
    tauPlus: z.number().default(0.05),
    tauMinus: z.number().default(0.2),
  }),
  async setup(o) {
    return {
      name: 'brightness',
      latentSize: o.latentSize,
      embed: (x) => tf.tidy(() => tf.mean(tf.relu(tf.maxPool(x, 2, 2, 'same')), [1, 2])),
      distance: 'l1-mean',
      thresholds: { tauPlus: o.tauPlus, tauMinus: o.tauMinus },
      weight: o.weight,
      dispose() {},
    };
  },
};

const layout = LatentLayout.fromSizes({ color: 8, brightness: 4, other: 8 }, 'other');
const loss = new FactorizedContrastiveLoss({
  layout,
  attributes: { color: await createAttribute(color), brightness: await createAttribute(brightness) },
});
const { masks } = buildContrastiveBatch(layout, { rng: createRng(0), batchSize: 6 });
const images = tf.randomUniform([6, 32, 32, 3], -1, 1, 'float32', 1);
const g = tf.grad((x) => loss.compute(x, masks).total)(images);
const finite = tf.all(tf.isFinite(g)).dataSync()[0] === 1;
const norm = tf.norm(g).dataSync()[0];
if (!finite || !(norm > 0)) throw new Error(`gradient of the loss w.r.t. the images is not finite and non-zero (norm ${norm})`);
console.log(`gradient ${JSON.stringify(g.shape)}, norm ${norm.toFixed(4)}`);
