// Can a discriminator tell a trained shapes generator from the dataset? A fresh discriminator is
// trained alone (the generator frozen) to separate the model's images from dataset images, then
// scored on held-out images of both: accuracy 0.5 means it cannot tell them apart. Broken down by
// measured size and shape kind, it shows whether the realism gap (too few small shapes, small
// discs above all) is visible to a discriminator of a given width — and with R1 at the training
// γ or without it.
//
//   npx tsx --tsconfig packages/trainer/tsconfig.json packages/trainer/scripts/two-sample-test.ts \
//     [--model packages/domain-shapes/model] [--steps 1500] [--batch 32] [--channel-max 64] \
//     [--r1-gamma 5] [--lr 0.0025] [--test 2000] [--json out.json]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@gan-control/backend';
import { sampleLatents } from '@gan-control/latent';
import { createDiscriminator, discriminatorLogistic, lazyRegularizationAdam, r1Penalty } from '@gan-control/stylegan2';
import { SHAPE_KIND_BANDS, ShapesDataset, compactness, sizeFraction } from '@gan-control/domain-shapes';
import { Adam, loadTrainedModel } from '../src/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'packages/domain-shapes/model' },
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '32' },
    'channel-max': { type: 'string', default: '64' },
    'channel-base': { type: 'string', default: '1024' },
    'r1-gamma': { type: 'string', default: '5' },
    'r1-interval': { type: 'string', default: '16' },
    lr: { type: 'string', default: '0.0025' },
    test: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '5' },
    json: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
  },
});
await setupBackend(values.backend as 'auto');
const steps = Number(values.steps);
const B = Number(values.batch);
const gamma = Number(values['r1-gamma']);
const r1Interval = Number(values['r1-interval']);
const seed = Number(values.seed);
const model = await loadTrainedModel(values.model!);
const res = model.generator.resolution;
const dim = model.layout.dim;
const fakesFrom = (n: number, s: number) =>
  tf.tidy(() => {
    const z = sampleLatents(dim, n, s);
    return model.generator.generate(z, { noiseMode: 'const' }) as tf.Tensor4D;
  });

const D = createDiscriminator(
  { resolution: res, channelBase: Number(values['channel-base']), channelMax: Number(values['channel-max']), mbstdGroupSize: 4 },
  { seed },
);
const params = D.variables();
const byTfName = new Map(Object.entries(params).map(([name, v]) => [v.name, name]));
const list = Object.values(params);
const byName = (grads: tf.NamedTensorMap) => Object.fromEntries(Object.entries(grads).map(([k, g]) => [byTfName.get(k)!, g]));
// Adam as the trainer runs it (β = (0, 0.99)), with StyleGAN2's lazy-regularisation correction.
const lazy = lazyRegularizationAdam({ learningRate: Number(values.lr), beta1: 0, beta2: 0.99, interval: gamma > 0 ? r1Interval : null });
const opt = new Adam({ lr: lazy.learningRate, betas: [lazy.beta1, lazy.beta2], eps: 1e-8 });

const train = new ShapesDataset({ resolution: res, seed: 0 });
const t0 = Date.now();
let window = { loss: 0, n: 0 };
for (let step = 0; step < steps; step++) {
  const reals = train.nextTensor(B).images;
  const fakes = fakesFrom(B, 1_000_000 + step * B);
  const { value, grads } = tf.variableGrads(() => discriminatorLogistic(D.logits(reals), D.logits(fakes)), list);
  opt.apply(params, byName(grads));
  window.loss += (await value.data())[0];
  window.n += 1;
  tf.dispose([value, ...Object.values(grads), fakes]);
  if (gamma > 0 && step % r1Interval === 0) {
    const r = tf.variableGrads(
      () => tf.mul(tf.mean(r1Penalty((x) => D.logits(x), reals).penalty), (gamma / 2) * r1Interval) as tf.Scalar,
      list,
    );
    opt.apply(params, byName(r.grads));
    tf.dispose([r.value, ...Object.values(r.grads)]);
  }
  reals.dispose();
  if ((step + 1) % 100 === 0 || step + 1 === steps) {
    process.stderr.write(
      `step ${step + 1}/${steps}  D loss ${(window.loss / window.n).toFixed(4)}  ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
    );
    window = { loss: 0, n: 0 };
  }
}

// Held-out: dataset images of another seed, generated images of other latents.
const N = Number(values.test);
type Scored = { logit: number; size: number; kind: 'triangle' | 'square' | 'disc' };
const score = (images: tf.Tensor4D): Scored[] => {
  const l = tf.tidy(() => D.logits(images)).dataSync();
  const s = tf.tidy(() => sizeFraction(images)).dataSync();
  const k = tf.tidy(() => compactness(images)).dataSync();
  return Array.from(l, (logit, i) => ({
    logit,
    size: s[i],
    kind: k[i] >= SHAPE_KIND_BANDS.disc ? 'disc' : k[i] >= SHAPE_KIND_BANDS.square ? 'square' : 'triangle',
  }));
};
const real: Scored[] = [];
const fake: Scored[] = [];
const test = new ShapesDataset({ resolution: res, seed: 4242 });
for (let k = 0; k < N; k += 100) {
  const n = Math.min(100, N - k);
  const r = test.nextTensor(n).images;
  real.push(...score(r));
  r.dispose();
  const f = fakesFrom(n, 7_000_000 + k);
  fake.push(...score(f));
  f.dispose();
}
const rate = (xs: Scored[], sign: 1 | -1) => (xs.length ? xs.filter((x) => sign * x.logit > 0).length / xs.length : Number.NaN);
const groups: Record<string, (x: Scored) => boolean> = {
  all: () => true,
  'size < 0.2': (x) => x.size < 0.2,
  'size ≥ 0.25': (x) => x.size >= 0.25,
  disc: (x) => x.kind === 'disc',
  'disc, size < 0.2': (x) => x.kind === 'disc' && x.size < 0.2,
  triangle: (x) => x.kind === 'triangle',
  square: (x) => x.kind === 'square',
};
const report = {
  model: values.model,
  discriminator: {
    channelBase: Number(values['channel-base']),
    channelMax: Number(values['channel-max']),
    parameters: list.reduce((a, v) => a + v.size, 0),
  },
  steps,
  batch: B,
  r1Gamma: gamma,
  lr: Number(values.lr),
  seconds: (Date.now() - t0) / 1000,
  heldOut: N,
  accuracy: (rate(real, 1) + rate(fake, -1)) / 2,
  groups: Object.fromEntries(
    Object.entries(groups).map(([g, f]) => {
      const r = real.filter(f);
      const q = fake.filter(f);
      return [g, { real: r.length, fake: q.length, realCalledReal: rate(r, 1), fakeCalledFake: rate(q, -1) }];
    }),
  ),
};
console.log(JSON.stringify(report, null, 2));
if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
D.dispose();
model.dispose();
