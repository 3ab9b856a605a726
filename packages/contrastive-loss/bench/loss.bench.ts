// Benchmark of the factorized contrastive loss: batch 16 and 64, six attributes with the
// feature shapes of the official FFHQ criteria (ArcFace 512-d, ESR9 9×8, Hopenet 3×66,
// 3DMM illumination 27-d, DeepAge 101 bins, hair colour 3-d). Measures the loss alone
// (`embed` is a slice of a precomputed feature tensor), forward and forward + tf.grad.
//
//   npm run bench -w @gan-control/contrastive-loss              # cpu backend
//   npm run bench -w @gan-control/contrastive-loss -- --backend wasm --json
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildContrastiveBatch, createRng, officialFfhqLayout } from '@gan-control/latent';
import { FactorizedContrastiveLoss, type Attribute, type DistanceName } from '@gan-control/contrastive-loss';

const args = process.argv.slice(2);
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'cpu';
const jsonOnly = args.includes('--json');
const log = (s: string) => {
  if (!jsonOnly) console.log(s);
};

interface Spec {
  group: string;
  shape: number[];
  distance: DistanceName;
  tauPlus: number;
  tauMinus: number;
  weight: number;
}
const SPECS: Spec[] = [
  { group: 'id', shape: [512], distance: 'squared-l2', tauPlus: 0.5, tauMinus: 1.8, weight: 0.25 },
  { group: 'expression', shape: [9, 8], distance: 'l1-mean', tauPlus: 0.3, tauMinus: 2.2, weight: 0.1 },
  { group: 'pose', shape: [3, 66], distance: 'l1-mean', tauPlus: 0.25, tauMinus: 2.75, weight: 0.2 },
  { group: 'illumination', shape: [27], distance: 'l1-mean', tauPlus: 0.05, tauMinus: 0.5, weight: 0.1 },
  { group: 'age', shape: [101], distance: 'l1-mean', tauPlus: 0.4, tauMinus: 1.4, weight: 0.15 },
  { group: 'hair', shape: [3], distance: 'l1-mean', tauPlus: 0.03, tauMinus: 0.15, weight: 0.1 },
];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const TOTAL = SPECS.reduce((a, s) => a + size(s.shape), 0);

function attributes(): Attribute[] {
  let offset = 0;
  return SPECS.map((s) => {
    const from = offset;
    offset += size(s.shape);
    return {
      name: s.group,
      latentSize: 64,
      distance: s.distance,
      thresholds: { tauPlus: s.tauPlus, tauMinus: s.tauMinus },
      weight: s.weight,
      embed: (x: tf.Tensor4D) => tf.reshape(tf.slice(x, [0, 0, 0, from], [x.shape[0], 1, 1, size(s.shape)]), [x.shape[0], ...s.shape]),
      dispose: () => {},
    };
  });
}

function time(fn: () => void, repeats: number): { median: number; mean: number } {
  for (let i = 0; i < 3; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready();

const layout = officialFfhqLayout();
const loss = new FactorizedContrastiveLoss({ layout, attributes: attributes() });
const rows: { batch: number; pass: string; medianMs: number; meanMs: number; repeats: number }[] = [];
for (const batch of [16, 64]) {
  const { z, masks } = buildContrastiveBatch(layout, { rng: createRng(batch), batchSize: batch });
  const features = tf.randomNormal([batch, 1, 1, TOTAL], 0, 0.5, 'float32', 7) as tf.Tensor4D;
  const repeats = batch === 16 ? 30 : 10;
  const forward = time(() => tf.tidy(() => void loss.compute(features, masks).total.dataSync()), repeats);
  const backward = time(
    () =>
      tf.tidy(
        () =>
          void tf
            .grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, masks).total)(features)
            .dataSync(),
      ),
    repeats,
  );
  rows.push({ batch, pass: 'forward', medianMs: forward.median, meanMs: forward.mean, repeats });
  rows.push({ batch, pass: 'forward+grad', medianMs: backward.median, meanMs: backward.mean, repeats });
  tf.dispose([z, features, ...Object.values(masks)]);
}

log(`FactorizedContrastiveLoss, 6 attributes (FFHQ feature shapes), backend ${tf.getBackend()}, Node ${process.version}`);
log('| batch | pass | median ms/call | mean ms/call | calls |');
log('|---:|---|---:|---:|---:|');
for (const r of rows) log(`| ${r.batch} | ${r.pass} | ${r.medianMs.toFixed(2)} | ${r.meanMs.toFixed(2)} | ${r.repeats} |`);
console.log(
  JSON.stringify({ bench: 'contrastive-loss', backend: tf.getBackend(), node: process.version, attributes: SPECS.length, results: rows }),
);
